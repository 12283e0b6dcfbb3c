import { describe, expect, it } from "vitest";
import {
  archiveKeys,
  CatalogKeys,
  CheckpointKeys,
  ConsumerGroups,
  EdgeKeys,
  EventKeys,
  featureKeys,
  gaugeSamplerKeys,
  LakeKeys,
  MediaKeys,
  OriginalKeys,
  rankerKeys,
  SeenKeys,
  UploadLockKeys,
  UploadStreams,
} from "./keyspace";

// These spellings are data already in Redis and the bucket: a change here strands it, so a
// failure means a migration is needed, not that the test needs updating.
describe("the keyspace", () => {
  it("spells the keys the edge shares with the origin without any prefix", () => {
    expect(EventKeys.stream(3)).toBe("ev:3");
    expect(EventKeys.dedupe("u1", "e1")).toBe("evid:u1:e1");
    expect(EventKeys.likes("u1")).toBe("liked:u1");
    expect(EventKeys.follows("u1")).toBe("following:u1");
    expect(CatalogKeys.video("v1")).toBe("video:v1");
    expect(CatalogKeys.forYou("u1")).toBe("fyp:u1");
    expect(CatalogKeys.trending("eu")).toBe("trending:eu");
    expect(CatalogKeys.trendingGlobal()).toBe("trending-global");
    expect(CatalogKeys.newestLive()).toBe("live:newest");
    expect(CatalogKeys.explore("eu")).toBe("explore:eu");
    expect(SeenKeys.seen("u1")).toBe("seen:u1");
    expect(SeenKeys.seenBits("u1", 1)).toBe("seen:u1:1");
    expect(SeenKeys.suppressed("u1")).toBe("suppressed:u1");
    expect(EdgeKeys.impressions).toBe("impressions");
    expect(EdgeKeys.metricsMinute(Date.UTC(2026, 0, 2, 3, 4, 59))).toBe("metrics:2026-01-02T03:04");
  });

  it("spells the origin's keys, streams, groups and leases", () => {
    const features = featureKeys("");
    expect(features.stream(0)).toBe("ev:0");
    expect(features.notify()).toBe("notify");
    expect(features.lease(2)).toBe("features:lease:2");
    expect(features.positions()).toBe("features:positions");
    expect(features.videoFeatures("v1")).toBe("vf:v1");
    expect(features.interest("u1")).toBe("ui:u1");
    expect(features.recent("u1")).toBe("recent:u1");
    expect(features.follows("u1")).toBe("follows:u1");
    expect(features.trendingBucket("eu", 60_000)).toBe("tr:eu:60000");
    expect(features.trendingRegions()).toBe("trending:regions");
    expect(features.spamUser("u1")).toBe("spam:user:u1");
    const ranker = rankerKeys("");
    expect(ranker.due()).toBe("ranker:due");
    expect(ranker.longHistory("u1")).toBe("ranker:history:u1");
    expect(ranker.leader()).toBe("ranker:leader");
    expect(ranker.coalesce("u1")).toBe("ranker:coalesce:u1");
    expect(archiveKeys("").lock(4)).toBe("archive:lock:4");
    expect(gaugeSamplerKeys("").lease()).toBe("gauge-sampler:lease");
    expect(CatalogKeys.creatorVideos("c1")).toBe("creator:c1:videos");
    expect(CatalogKeys.digest("c1", "ab12")).toBe("upload:sha256:c1:ab12");
    expect(UploadStreams).toEqual({
      jobs: "uploads",
      deadLetter: "uploads:dead",
      events: "upload-events",
    });
    expect(ConsumerGroups.features).toBe("features");
    expect(ConsumerGroups.transcoders).toBe("transcoders");
    expect(ConsumerGroups.ranker("0")).toBe("ranker");
    expect(ConsumerGroups.ranker("b")).toBe("ranker:b");
    expect(UploadLockKeys.lock("originals/v1")).toBe("upload-lock:originals/v1");
    expect(UploadLockKeys.releaseRequests).toBe("upload-lock:release-requests");
    expect(EventKeys.rateLimitPrefix).toBe("rl:events");
    expect(EventKeys.userRateLimitPrefix).toBe("rl:events:user");
  });

  it("prefixes a test run's origin keys but never what the edge also reads", () => {
    const ranker = rankerKeys("t:1:");
    expect(ranker.features.stream(1)).toBe("t:1:ev:1");
    expect(ranker.features.video("v1")).toBe("t:1:video:v1");
    expect(ranker.explore("eu")).toBe("t:1:explore:eu");
    expect(ranker.regionSet()).toBe("t:1:ranker:region-set");
    expect(archiveKeys("t:1:").positions()).toBe("t:1:archive:positions");
  });

  it("lays out the bucket: renditions, originals, the lake and checkpoints", () => {
    expect(MediaKeys.master("v1", 2)).toBe("videos/v1/v2/master.m3u8");
    expect(MediaKeys.playlist("v1", 2, "240p")).toBe("videos/v1/v2/240p/index.m3u8");
    expect(MediaKeys.poster("v1", 2)).toBe("videos/v1/v2/poster.jpg");
    expect(OriginalKeys.original("v1")).toBe("originals/v1");
    expect(LakeKeys.segment(3, Date.UTC(2026, 4, 6, 7, 8), "1-0", "9-1")).toBe(
      `lake/events/date=2026-05-06/p=3/${Date.UTC(2026, 4, 6, 7, 8)}_1-0_9-1.ndjson.gz`,
    );
    expect(LakeKeys.events + LakeKeys.day("2026-05-06")).toBe("lake/events/date=2026-05-06/");
    expect(CheckpointKeys.prefix).toBe("models/ranker/");
  });
});
