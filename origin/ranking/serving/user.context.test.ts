import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { rankerKeys, SeenKeys } from "../../../contracts/keyspace";
import {
  fullLengthSet,
  GENERATION_MS,
  generationFields,
  idBitSets,
  SeenFilter,
  wholeGenerationSets,
} from "../../../contracts/seen-filter";
import {
  bitfieldArgs,
  writeSeenMirror,
} from "../../../testing/origin/ranking/serving/seen-mirror.testing";
import { RECENT_WINDOW_MS } from "../../features/feature-windows";
import { VideoCatalog } from "../model/video.catalog";
import {
  feedRequestFor,
  hidesVideo,
  mergeShortTerm,
  readUserContext,
  withLiveSignals,
  withRequest,
} from "./user.context";
import { UserSignals } from "./user.signals";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.disconnect());

const MINUTE = 60_000;

/** A catalog of live videos `{prefix}v{n}` by creator `c{n % 3}` with sound `s{n % 2}`. */
function catalogOf(prefix: string, count: number): VideoCatalog {
  const catalog = new VideoCatalog();
  for (let n = 0; n < count; n++) {
    const videoId = `${prefix}v${n}`;
    catalog.set({
      videoId,
      item: catalog.itemOf(videoId),
      creatorId: `c${n % 3}`,
      audioId: `s${n % 2}`,
      hashtags: [],
      createdAt: Date.now(),
      content: new Float32Array(8),
    });
  }
  return catalog;
}

/** A seen mirror of one generation holding `videoIds`, written as the edge writes it. */
async function writeSeenIds(userId: string, videoIds: readonly string[], now: number) {
  const filter = new SeenFilter();
  for (const id of videoIds) filter.add(id, now);
  await writeSeenMirror(redis, userId, filter);
}

describe("readUserContext", () => {
  it("reads the mirrors, the short-term sequence, follows and region of one user", async () => {
    const prefix = `uc${randomUUID().slice(0, 8)}-`;
    const keys = rankerKeys(prefix);
    const user = `${prefix}user`;
    const catalog = catalogOf(prefix, 6);
    const now = Date.now();
    const item = (n: number) => catalog.lookup(`${prefix}v${n}`)!;

    await writeSeenIds(user, [`${prefix}v5`], now - MINUTE);
    await redis.hset(SeenKeys.suppressed(user), {
      "creator_id:c1": now + MINUTE,
      "audio_id:s0": now + MINUTE,
      "video_id:elsewhere": now + MINUTE,
      "creator_id:c2": now - 1,
      "mood:grumpy": now + MINUTE,
    });
    await redis.zadd(
      keys.features.recent(user),
      now - RECENT_WINDOW_MS - MINUTE,
      `${prefix}v0`,
      now - 5 * MINUTE,
      `${prefix}v3`,
      now - 10 * MINUTE,
      `${prefix}v4`,
      now - MINUTE,
      `${prefix}not-live`,
    );
    await redis.zadd(keys.features.follows(user), now - 2 * MINUTE, "c1", now - MINUTE, "c2");
    await redis.hset(keys.regions(), user, "us-east");

    const context = await readUserContext(redis, keys, user, catalog, now);
    expect(context.recent).toEqual([
      { item: item(4), at: now - 10 * MINUTE },
      { item: item(3), at: now - 5 * MINUTE },
    ]);
    expect(context.seenVideo(`${prefix}v5`)).toBe(true);
    expect(context.seenVideo(`${prefix}v1`)).toBe(false);
    expect([...context.suppressed.creators]).toEqual(["c1"]);
    expect([...context.suppressed.sounds]).toEqual(["s0"]);
    expect([...context.suppressed.videos]).toEqual(["elsewhere"]);
    expect([...context.follows]).toEqual(["c2", "c1"]);
    expect(context.region).toBe("us-east");

    const request = feedRequestFor(catalog, user, "us-east", context);
    expect(request.history).toEqual([item(4), item(3)]);
    expect(request.recentCreators).toEqual(["c1", "c0"]);
    // Watched (v3, v4) and mirrored (v5) are seen; c1 (v1, v4) and sound s0 (v0, v2, v4) are out.
    expect([0, 1, 2, 3, 4, 5].filter((n) => request.seen(item(n)))).toEqual([3, 4, 5]);
    expect([0, 1, 2, 3, 4, 5].filter((n) => request.suppressed(item(n)))).toEqual([0, 1, 2, 4]);
    const hidden = hidesVideo(context, catalog);
    expect([0, 1, 2, 3, 4, 5].filter((n) => hidden(`${prefix}v${n}`))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(hidden("elsewhere")).toBe(true);
  });

  it("is empty for a user Redis knows nothing about, and without a model has no sequence", async () => {
    const prefix = `uc${randomUUID().slice(0, 8)}-`;
    const keys = rankerKeys(prefix);
    const user = `${prefix}nobody`;
    await redis.zadd(keys.features.recent(user), Date.now(), `${prefix}v0`);
    const context = await readUserContext(redis, keys, user, undefined);
    expect(context.recent).toEqual([]);
    expect(context.seenVideo(`${prefix}v0`)).toBe(false);
    expect(context.follows.size).toBe(0);
    expect(context.region).toBeUndefined();
    expect(hidesVideo(context, undefined)(`${prefix}v0`)).toBe(false);
  });
});

describe("reading the seen mirror", () => {
  it("answers exactly as the edge's filter after bit-by-bit pages and a rotation", async () => {
    const user = `uc${randomUUID().slice(0, 8)}-bits`;
    const [newestKey, olderKey] = [SeenKeys.seenBits(user, 0), SeenKeys.seenBits(user, 1)];
    const now = Date.now();
    const started = now - GENERATION_MS - MINUTE;
    const seen = new SeenFilter();
    const serve = (ids: readonly string[], at: number) => {
      for (const id of ids) seen.add(id, at);
    };
    const ids = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}-${i}`);

    // The object's first write, then pages as single bits, as the edge's BITFIELD writes them.
    serve(ids("first", 8), started);
    await writeSeenMirror(redis, user, seen);
    const pages = ids("paged", 9_000);
    serve(pages, started + MINUTE);
    const older = seen.generations[0]!;
    const perPage = redis.pipeline();
    for (let i = 0; i < pages.length; i += 8) {
      const page = pages.slice(i, i + 8);
      perPage.call("BITFIELD", newestKey, ...bitfieldArgs(idBitSets(older.filter, page)));
    }
    await perPage.exec();
    await redis.hset(SeenKeys.seen(user), generationFields(0, older));
    // 15 days on a new generation starts: slot 0 moves to slot 1 in the same transaction.
    serve(ids("rotated", 8), now);
    const newest = seen.generations[0]!;
    await redis
      .multi()
      .call("BITFIELD", newestKey, ...bitfieldArgs([fullLengthSet(older.filter)]))
      .rename(newestKey, olderKey)
      .call("BITFIELD", newestKey, ...bitfieldArgs(wholeGenerationSets(newest.filter)))
      .hset(SeenKeys.seen(user), { ...generationFields(0, newest), ...generationFields(1, older) })
      .exec();

    expect(await redis.getBuffer(newestKey)).toEqual(Buffer.from(newest.filter.bits));
    expect(await redis.getBuffer(olderKey)).toEqual(Buffer.from(older.filter.bits));
    const context = await readUserContext(redis, rankerKeys(`${user}-`), user, undefined, now);
    let falsePositives = 0;
    for (const id of [
      ...ids("first", 8),
      ...pages,
      ...ids("rotated", 8),
      ...ids("other", 20_000),
    ]) {
      expect(context.seenVideo(id)).toBe(seen.has(id, now));
      if (id.startsWith("other") && seen.has(id, now)) falsePositives++;
    }
    // 9,008 ids in 12 KiB: ~0.5 % of other ids collide, and the origin must skip those too.
    expect(falsePositives).toBeGreaterThan(0);
  });
});

describe("joining the stored context with newer signals", () => {
  it("merges the ranker's own watches by time and unions seen, suppressions and follows", async () => {
    const prefix = `uc${randomUUID().slice(0, 8)}-`;
    const catalog = catalogOf(prefix, 6);
    const now = Date.now();
    const stored = await readUserContext(redis, rankerKeys(prefix), `${prefix}u`, catalog, now);
    const fromRedis = { ...stored, recent: [{ item: 1, at: now - 3 * MINUTE }] };
    const live = new UserSignals();
    live.watched(0, now - RECENT_WINDOW_MS - MINUTE);
    live.watched(2, now - 4 * MINUTE);
    live.watched(3, now - MINUTE);
    live.seen.add(5);
    live.suppressedCreators.add("c2");
    live.follows.add("c0");

    const joined = withLiveSignals(fromRedis, live, now);
    // v0 is older than the window; v2 came before the stored v1, v3 after it.
    expect(joined.recent.map((r) => r.item)).toEqual([2, 1, 3]);
    const request = feedRequestFor(catalog, "u", "eu", joined);
    expect(request.seen(5)).toBe(true);
    expect(request.suppressed(catalog.lookup(`${prefix}v2`)!)).toBe(true);
    expect([...joined.follows]).toEqual(["c0"]);
  });

  it("appends a request's recent videos after the processor's sequence, once each", () => {
    const now = Date.now();
    const merged = mergeShortTerm(
      [
        [
          { item: 7, at: now - 2 * MINUTE },
          { item: 8, at: now - MINUTE },
        ],
        [
          { item: 7, at: now },
          { item: 9, at: now },
        ],
      ],
      now,
    );
    expect(merged.map((r) => r.item)).toEqual([8, 7, 9]);
  });

  it("counts a request's excluded videos as seen", async () => {
    const prefix = `uc${randomUUID().slice(0, 8)}-`;
    const catalog = catalogOf(prefix, 3);
    const stored = await readUserContext(redis, rankerKeys(prefix), `${prefix}u`, catalog);
    const context = withRequest(stored, [0], [2]);
    const request = feedRequestFor(catalog, "u", "eu", context);
    expect(request.history).toEqual([0]);
    expect([0, 1, 2].filter((item) => request.seen(item))).toEqual([0, 2]);
  });
});
