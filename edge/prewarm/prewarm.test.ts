import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CatalogKeys, MediaKeys } from "../../contracts/keyspace";
import { lowestVariant } from "../../contracts/media.schema";
import {
  fixtureMaster,
  fixturePlaylist,
  ORIGIN_FIXTURE_VIDEO,
} from "../../testing/contracts/media.fixtures";
import { edgeFetch, getFeed, tokenFor } from "../../testing/edge/feed/feed.testing";
import { rank, seedCatalog, seedVideos } from "../../testing/worker-lib/redis.testing";
import { prewarmVideosFromEnv } from "./prewarm";

const TIER = "x-edgefeed-tier";

describe("pre-warm after a feed page", () => {
  it("makes the next videos' first segment an edge-cache hit on the client's first request", async () => {
    const ids = await seedVideos("warm", 2);
    for (const id of ids) {
      await env.VIDEOS.put(MediaKeys.master(id, 1), fixtureMaster());
      await env.VIDEOS.put(MediaKeys.playlist(id, 1, "240p"), fixturePlaylist());
      await env.VIDEOS.put(`${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`, `first segment of ${id}`);
      await env.VIDEOS.put(`${MediaKeys.prefix(id, 1)}720p/seg-00000.ts`, "high rendition");
    }
    // The third video exists only on the origin (the global setup's fixture).
    await seedCatalog([ORIGIN_FIXTURE_VIDEO]);
    await rank(CatalogKeys.forYou("u-warm-media"), [...ids, ORIGIN_FIXTURE_VIDEO]);
    const { status, body } = await getFeed(await tokenFor("u-warm-media"), "?limit=5");
    expect(status).toBe(200);
    expect(body.items.slice(0, 3).map((item) => item.id)).toEqual([...ids, ORIGIN_FIXTURE_VIDEO]);
    for (const id of [...ids, ORIGIN_FIXTURE_VIDEO]) {
      const master = await edgeFetch(`/v1/${MediaKeys.master(id, 1)}`);
      expect(master.headers.get(TIER), id).toBe("edge-cache");
      const playlist = await edgeFetch(`/v1/${MediaKeys.playlist(id, 1, "240p")}`);
      expect(playlist.headers.get(TIER), id).toBe("edge-cache");
      const segment = await edgeFetch(`/v1/${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`);
      expect(segment.headers.get(TIER), id).toBe("edge-cache");
    }
    // Only the lowest rendition is pre-warmed.
    const high = await edgeFetch(`/v1/${MediaKeys.prefix(ids[0]!, 1)}720p/seg-00000.ts`);
    expect(high.headers.get(TIER)).toBe("r2");
  });

  it("is off at PREWARM_VIDEOS=0: the client's first requests go to R2", async () => {
    const ids = await seedVideos("unwarmed", 2);
    for (const id of ids) {
      await env.VIDEOS.put(MediaKeys.master(id, 1), fixtureMaster());
      await env.VIDEOS.put(MediaKeys.playlist(id, 1, "240p"), fixturePlaylist());
      await env.VIDEOS.put(`${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`, `first segment of ${id}`);
    }
    await rank(CatalogKeys.forYou("u-unwarmed"), ids);
    const off = { ...env, PREWARM_VIDEOS: "0" };
    const { status } = await getFeed(await tokenFor("u-unwarmed"), "?limit=5", off);
    expect(status).toBe(200);
    for (const id of ids) {
      const segment = await edgeFetch(`/v1/${MediaKeys.prefix(id, 1)}240p/seg-00000.ts`, {}, off);
      expect(segment.headers.get(TIER), id).toBe("r2");
    }
  });

  it("refuses a PREWARM_VIDEOS that is not an integer from 0 to a page's maximum", async () => {
    expect(prewarmVideosFromEnv({ PREWARM_VIDEOS: "0" })).toBe(0);
    expect(prewarmVideosFromEnv({ PREWARM_VIDEOS: "10" })).toBe(10);
    for (const bad of ["", "-1", "2.5", "three", "11"]) {
      expect(() => prewarmVideosFromEnv({ PREWARM_VIDEOS: bad }), bad).toThrow(
        /^worker var PREWARM_VIDEOS: must be an integer from 0 to 10$/,
      );
    }
    // The var is read before the page is sent, so a bad one fails the request, not silently.
    await rank(CatalogKeys.forYou("u-badvar"), await seedVideos("badvar", 5));
    const { status } = await getFeed(await tokenFor("u-badvar"), "", {
      ...env,
      PREWARM_VIDEOS: "three",
    });
    expect(status).toBe(500);
  });

  it("picks the lowest-bandwidth variant of a master playlist", () => {
    expect(lowestVariant(fixtureMaster())).toBe("240p/index.m3u8");
    expect(lowestVariant("#EXTM3U\n")).toBeNull();
  });
});
