import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { BloomFilter } from "../../contracts/bloom-filter";
import { encodeForYouMember, type FeedItem } from "../../contracts/feed.schema";
import { CatalogKeys, SeenKeys } from "../../contracts/keyspace";
import {
  RETENTION_MS,
  SEEN_SLOTS,
  SeenFilter,
  seenFilterFromMirror,
} from "../../contracts/seen-filter";
import { DEAD_URL, rank, redis, seedVideos } from "../../testing/worker-lib/redis.testing";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { hydrateCandidates } from "../../worker-lib/video-card";
import {
  FeedEngine,
  type FeedEngineDeps,
  MAX_SUPPRESSIONS,
  type PageRequest,
  type PageResult,
} from "./feed-engine";
import { FeedMeta } from "./feed-meta";
import { FeedMirror } from "./feed-mirror";
import { rankAtOrigin } from "./origin-rank";
import { SeenStore } from "./seen-store";

const DAY_MS = 24 * 3600 * 1000;

const stubFor = (userId: string) => env.USER_FEED.get(env.USER_FEED.idFromName(userId));

const request = (userId: string, after: string | null = null): PageRequest => ({
  userId,
  region: "eu",
  sessionId: "s1",
  after,
  limit: 8,
});

/** What the object itself runs on: the run's Redis and origin, unless a test replaces one. */
const deps = (userId: string, replace: Partial<FeedEngineDeps> = {}): FeedEngineDeps => ({
  userId,
  redis: redisFromEnv(env),
  rank: (body) => rankAtOrigin(env, body),
  ...replace,
});

function expectPage(result: PageResult): Extract<PageResult, { kind: "page" }> {
  if (result.kind !== "page") throw new Error(`expected a page, got ${JSON.stringify(result)}`);
  return result;
}

async function fallbackItems(prefix: string, n: number): Promise<FeedItem[]> {
  const ids = await seedVideos(prefix, n);
  return hydrateCandidates(
    redis,
    ids.map((id) => ({ id, reason: "fallback" as const })),
  );
}

async function impressionsOf(pageId: string): Promise<Record<string, unknown>[]> {
  const entries = await redis.xrevrange("impressions", "+", "-", 500);
  return Object.values(entries).filter((fields) => fields.page_id === pageId);
}

/** A mirror hash as the origin reads it: every value a string. */
async function mirrorHash(key: string): Promise<Record<string, string>> {
  const fields = await redis.hgetall<Record<string, unknown>>(key);
  return Object.fromEntries(Object.entries(fields ?? {}).map(([field, v]) => [field, String(v)]));
}

/** A slot's bytes through BITFIELD GET: the REST client hands strings back, not raw bytes. */
async function slotBytes(key: string): Promise<Uint8Array | null> {
  const length = await redis.strlen(key);
  if (length === 0) return null;
  // Through a pipeline: the client's auto-pipelining cannot chain BITFIELD subcommands.
  const command = redis.pipeline().bitfield(key);
  for (let byte = 0; byte < length; byte++) command.get("u8", 8 * byte);
  const [bytes] = await command.exec().exec();
  return Uint8Array.from(bytes);
}

/** The seen mirror as the origin reads it: the hash, each slot's bytes and the filter they make. */
async function seenMirror(userId: string) {
  const fields = await mirrorHash(SeenKeys.seen(userId));
  const slots = await Promise.all(
    SEEN_SLOTS.map((slot) => slotBytes(SeenKeys.seenBits(userId, slot))),
  );
  return { fields, slots, filter: seenFilterFromMirror(fields, slots) };
}

/**
 * Expects the mirror to be the object's seen-filter byte for byte, newest generation in slot 0:
 * the filter as the object would load it now (stored generations plus the pages since).
 */
async function expectMirrorOf(userId: string, storage: DurableObjectStorage) {
  const stored = new SeenStore(storage.sql, new FeedMeta(storage.sql)).filter.generations;
  const mirror = await seenMirror(userId);
  expect(mirror.slots).toEqual(SEEN_SLOTS.map((slot) => stored[slot]?.filter.bits ?? null));
  expect(mirror.fields).toEqual(
    Object.fromEntries(
      stored.flatMap((generation, slot) => [
        [`${slot}:started`, String(generation.startedAt)],
        [`${slot}:count`, String(generation.count)],
      ]),
    ),
  );
  return mirror;
}

function unmirroredIds(storage: DurableObjectStorage): number {
  return storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen_unmirrored").one().n;
}

/**
 * Runs `serve` and returns the size of the seen-mirror commands it sent in MULTI bodies (every
 * argument's length, as Redis receives it), passing each request on to the real fetch.
 */
async function seenMirrorBytes(serve: () => Promise<void>): Promise<number> {
  const realFetch = globalThis.fetch;
  let bytes = 0;
  globalThis.fetch = (input, init) => {
    if (String(input).endsWith("/multi-exec") && typeof init?.body === "string") {
      for (const command of JSON.parse(init.body) as unknown[][]) {
        if (!String(command[1]).startsWith("seen:")) continue;
        bytes += command.reduce<number>((sum, arg) => sum + String(arg).length, 0);
      }
    }
    return realFetch(input, init);
  };
  try {
    await serve();
  } finally {
    globalThis.fetch = realFetch;
  }
  return bytes;
}

describe("UserFeed", () => {
  it("keeps pages, seen-filter and buffer across eviction", async () => {
    await rank(CatalogKeys.forYou("d-evict"), await seedVideos("evict", 40));
    const stub = stubFor("d-evict");
    const first = expectPage(await stub.page(request("d-evict")));
    const second = expectPage(await stub.page(request("d-evict", first.pageId)));
    await runInDurableObject(stub, async (_, state) => {
      // A fresh engine over the same storage is what the object is after eviction.
      const revived = new FeedEngine(state.storage, deps("d-evict"));
      const replay = await revived.page(request("d-evict", first.pageId));
      expect(replay).toEqual({ ...second, refresh: null });
      const third = expectPage(await revived.page(request("d-evict", second.pageId)));
      const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
      expect(new Set(ids).size).toBe(24);
    });
  });

  it("makes one Redis round trip per warm page: the flush after it also pops what comes next", async () => {
    const ids = await seedVideos("ahead", 80);
    await rank(CatalogKeys.forYou("d-ahead"), ids);
    // Cards other users of the isolate were handed: the steady state of a busy edge.
    await hydrateCandidates(
      redis,
      ids.map((id) => ({ id, reason: "ann" as const })),
    );
    await runInDurableObject(stubFor("d-ahead"), async (_, state) => {
      const engine = new FeedEngine(state.storage, deps("d-ahead"));
      const realFetch = globalThis.fetch;
      let redisRequests = 0;
      const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (url.startsWith(env.UPSTASH_REDIS_REST_URL)) redisRequests++;
        return realFetch(input, init);
      });
      try {
        const perPage: number[] = [];
        const served: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 8; i++) {
          redisRequests = 0;
          const page = expectPage(await engine.page(request("d-ahead", after)));
          await engine.flush();
          expect(page.fallback).toBeNull();
          served.push(...page.items.map((item) => item.id));
          perPage.push(redisRequests);
          after = page.pageId;
        }
        // The first page waits for its own pops; every later one writes its impressions and
        // mirror and pops the next candidates in one transaction, after its answer.
        expect(perPage.slice(1).every((n) => n === 1)).toBe(true);
        expect(new Set(served).size).toBe(64);
        expect(await redis.zcard(CatalogKeys.forYou("d-ahead"))).toBeLessThan(80 - 64);
      } finally {
        spy.mockRestore();
      }
    });
  });

  it("skips suppressed creators, sounds and videos on the following pages", async () => {
    const ids = await seedVideos("supp", 60, {
      creator: (i) => (i % 3 === 0 ? "c-boring" : `c-${i}`),
      audio: (i) => (i % 5 === 0 ? "a-annoying" : `a-${i}`),
    });
    await rank(CatalogKeys.forYou("d-supp"), ids);
    const stub = stubFor("d-supp");
    await stub.suppress({ creator_id: "c-boring" });
    await stub.suppress({ audio_id: "a-annoying", video_id: "supp-1" });
    const items: FeedItem[] = [];
    let after: string | null = null;
    for (let i = 0; i < 3; i++) {
      const page = expectPage(await stub.page(request("d-supp", after)));
      items.push(...page.items);
      after = page.pageId;
    }
    expect(items).toHaveLength(24);
    expect(items.some((item) => item.creator_id === "c-boring")).toBe(false);
    expect(items.some((item) => item.audio_id === "a-annoying")).toBe(false);
    expect(items.some((item) => item.id === "supp-1")).toBe(false);
  });

  it("appends every served video to the impressions stream", async () => {
    await rank(CatalogKeys.forYou("d-impr"), await seedVideos("impr", 20));
    const stub = stubFor("d-impr");
    const page = expectPage(await stub.page(request("d-impr")));
    await stub.flush();
    const mine = await impressionsOf(page.pageId);
    expect(mine.map((fields) => fields.video_id).sort()).toEqual(
      page.items.map((item) => item.id).sort(),
    );
    // A bare fyp member was ranked by no experiment: the control arm.
    expect(mine[0]).toMatchObject({ user_id: "d-impr", session_id: "s1", arm: "control" });
  });

  it("asks for the fallback when Redis is unreachable and serves it, filtered", async () => {
    const fallback = await fallbackItems("deadredis", 20);
    await runInDurableObject(stubFor("d-dead"), async (_, state) => {
      const engine = new FeedEngine(
        state.storage,
        deps("d-dead", { redis: redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL }) }),
      );
      const need = await engine.page(request("d-dead"));
      expect(need).toEqual({ kind: "need-fallback", cause: "redis_unreachable" });
      const first = expectPage(
        await engine.page({
          ...request("d-dead"),
          fallback: { items: fallback, cause: "redis_unreachable" },
        }),
      );
      expect(first.fallback).toBe("redis_unreachable");
      expect(first.refresh).toBe("redis_unreachable");
      expect(first.items.every((item) => item.reason === "fallback")).toBe(true);
      const second = expectPage(
        await engine.page({
          ...request("d-dead", first.pageId),
          fallback: { items: fallback, cause: "redis_unreachable" },
        }),
      );
      // Refresh requests to the origin are coalesced per user.
      expect(second.refresh).toBeNull();
      const ids = new Set([...first.items, ...second.items].map((item) => item.id));
      expect(ids.size).toBe(16);
      // Never blank: with every fallback video seen, it repeats them rather than show nothing.
      const third = expectPage(
        await engine.page({
          ...request("d-dead", second.pageId),
          fallback: { items: fallback, cause: "redis_unreachable" },
        }),
      );
      expect(third.items.length).toBeGreaterThanOrEqual(5);
    });
  });
});

describe("UserFeed A/B arm on impressions", () => {
  it("records the arm from the fyp member, and the same arm on fallback videos after it", async () => {
    const ids = await seedVideos("arm", 3);
    const [first, ...rest] = ids.map((id, i) => ({
      score: ids.length - i,
      member: encodeForYouMember(id, "ann", "wide"),
    }));
    if (first) await redis.zadd(CatalogKeys.forYou("d-arm"), first, ...rest);
    const fallback = await fallbackItems("arm-fb", 10);
    const stub = stubFor("d-arm");
    expect(await stub.page(request("d-arm"))).toEqual({
      kind: "need-fallback",
      cause: "fyp_empty",
    });
    const page = expectPage(
      await stub.page({ ...request("d-arm"), fallback: { items: fallback, cause: "fyp_empty" } }),
    );
    expect(page.items.map((item) => item.reason)).toEqual([
      ...Array(3).fill("ann"),
      ...Array(5).fill("fallback"),
    ]);
    // The arm is for analysis only: the client never sees it.
    expect(page.items.every((item) => !("arm" in item))).toBe(true);
    await stub.flush();
    const arms = (await impressionsOf(page.pageId)).map((fields) => fields.arm);
    expect(arms).toEqual(Array(8).fill("wide"));
  });

  it("records fallback impressions of a never-ranked user under control", async () => {
    const fallback = await fallbackItems("arm-never", 10);
    await runInDurableObject(stubFor("d-never"), async (_, state) => {
      const engine = new FeedEngine(
        state.storage,
        deps("d-never", { rank: (body) => rankAtOrigin({ ...env, ORIGIN_URL: DEAD_URL }, body) }),
      );
      expect(await engine.page(request("d-never"))).toEqual({
        kind: "need-fallback",
        cause: "fyp_empty",
      });
      const page = expectPage(
        await engine.page({
          ...request("d-never"),
          fallback: { items: fallback, cause: "fyp_empty" },
        }),
      );
      await engine.flush();
      const arms = (await impressionsOf(page.pageId)).map((fields) => fields.arm);
      expect(arms).toEqual(Array(8).fill("control"));
    });
  });
});

describe("UserFeed seen-filter storage", () => {
  it("writes the filter's bits every 8 pages, and a reloaded object rebuilds it from the pages since", async () => {
    const ids = await seedVideos("seenstore", 48);
    await rank(CatalogKeys.forYou("d-seenstore"), ids);
    await runInDurableObject(stubFor("d-seenstore"), async (_, state) => {
      const engine = new FeedEngine(state.storage, deps("d-seenstore"));
      const served: string[][] = [];
      let after: string | null = null;
      for (let i = 0; i < 3; i++) {
        const page = expectPage(await engine.page(request("d-seenstore", after)));
        served.push(page.items.map((item) => item.id));
        after = page.pageId;
      }
      await engine.flush();
      const [row] = state.storage.sql
        .exec<{ bits: ArrayBuffer }>("SELECT bits FROM seen")
        .toArray();
      const stored = new BloomFilter(new Uint8Array(row!.bits));
      // The first page started the generation (a rotation, saved at once); the next two are not
      // in the stored bits yet.
      expect(served[0]!.filter((id) => !stored.has(id))).toEqual([]);
      expect(
        served
          .slice(1)
          .flat()
          .filter((id) => stored.has(id)),
      ).toEqual([]);

      // As after an eviction: a new engine over the same storage knows all three pages.
      const reloaded = new FeedEngine(state.storage, deps("d-seenstore"));
      const next = expectPage(await reloaded.page(request("d-seenstore", after)));
      expect(next.items.filter((item) => served.flat().includes(item.id))).toEqual([]);
      const rebuilt = new SeenStore(state.storage.sql, new FeedMeta(state.storage.sql)).filter;
      const now = Date.now();
      expect(
        [...served.flat(), ...next.items.map((item) => item.id)].filter(
          (id) => !rebuilt.has(id, now),
        ),
      ).toEqual([]);
    });
  });
});

describe("UserFeed Redis mirror of seen and suppressed", () => {
  it("mirrors each page as the bits its videos set, byte for byte, in about 1 KB", async () => {
    const ids = await seedVideos("mirror", 48);
    await rank(CatalogKeys.forYou("d-mirror"), ids);
    await runInDurableObject(stubFor("d-mirror"), async (_, state) => {
      const engine = new FeedEngine(state.storage, deps("d-mirror"));
      const served: string[] = [];
      const sent: number[] = [];
      let after: string | null = null;
      for (let i = 0; i < 5; i++) {
        sent.push(
          await seenMirrorBytes(async () => {
            const page = expectPage(await engine.page(request("d-mirror", after)));
            served.push(...page.items.map((item) => item.id));
            after = page.pageId;
            await engine.flush();
          }),
        );
      }
      console.info(`seen mirror: ${sent.join(", ")} bytes of commands for 5 pages of 8 videos`);
      // The first page writes the young generation whole (its non-zero words), the rest bits only.
      expect(Math.max(...sent.slice(1))).toBeLessThan(2_048);
      const mirror = await expectMirrorOf("d-mirror", state.storage);
      const now = Date.now();
      expect(served.filter((id) => !mirror.filter.has(id, now))).toEqual([]);
      // 40 ids in a 12 KiB filter: a false positive among the other 8 is ~1e-14 likely.
      const unserved = ids.filter((id) => !served.includes(id));
      expect(unserved.filter((id) => mirror.filter.has(id, now))).toEqual([]);
      for (const key of [SeenKeys.seen("d-mirror"), SeenKeys.seenBits("d-mirror", 0)]) {
        expect(await redis.pttl(key)).toBeGreaterThan(RETENTION_MS - 60_000);
      }
      expect(unmirroredIds(state.storage)).toBe(0);
    });
  });

  it("moves the older generation to slot 1 when one rotates in, and drops one past 30 days", async () => {
    const ids = await seedVideos("rotate", 30);
    const fyp = CatalogKeys.forYou("d-rotate");
    await runInDurableObject(stubFor("d-rotate"), async (_, state) => {
      const started = Date.now();
      let clock = started;
      const engine = new FeedEngine(state.storage, deps("d-rotate", { now: () => clock }));
      const served: string[] = [];
      let after: string | null = null;
      const startedAts: string[][] = [];
      // Three pages 16 days apart: a new generation each time, the first one 32 days old by the
      // third page and so dropped.
      for (let i = 0; i < 3; i++) {
        await rank(fyp, ids.slice(i * 10, i * 10 + 10));
        const page = expectPage(await engine.page(request("d-rotate", after)));
        served.push(...page.items.map((item) => item.id));
        after = page.pageId;
        await engine.flush();
        const mirror = await expectMirrorOf("d-rotate", state.storage);
        startedAts.push([mirror.fields["0:started"] ?? "", mirror.fields["1:started"] ?? ""]);
        clock += 16 * DAY_MS;
      }
      const day = (days: number) => String(started + days * DAY_MS);
      expect(startedAts).toEqual([
        [day(0), ""],
        [day(16), day(0)],
        [day(32), day(16)],
      ]);
      const { filter } = await seenMirror("d-rotate");
      const at = started + 32 * DAY_MS;
      // The first page's videos are forgotten (older than 30 days), the later pages' are not.
      expect(served.slice(8).filter((id) => !filter.has(id, at))).toEqual([]);
      expect(served.slice(0, 8).filter((id) => filter.has(id, at))).toEqual([]);
    });
  });

  it("writes exactly the bits failed flushes left, across a rotation, on the next flush", async () => {
    await rank(CatalogKeys.forYou("d-seenretry"), await seedVideos("seenretry", 8));
    const pool = await fallbackItems("seenretry-fb", 24);
    const stub = stubFor("d-seenretry");
    const started = Date.now();
    let clock = started;
    const served: string[] = [];
    let after: string | null = null;
    await runInDurableObject(stub, async (_, state) => {
      const online = new FeedEngine(state.storage, deps("d-seenretry", { now: () => clock }));
      const page = expectPage(await online.page(request("d-seenretry")));
      served.push(...page.items.map((item) => item.id));
      after = page.pageId;
      await online.flush();
    });
    const before = await seenMirror("d-seenretry");
    await runInDurableObject(stub, async (_, state) => {
      const offline = new FeedEngine(
        state.storage,
        deps("d-seenretry", {
          now: () => clock,
          redis: redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL }),
        }),
      );
      // One page into the mirrored generation, then one 16 days later that starts a new one.
      for (const days of [0, 16]) {
        clock = started + days * DAY_MS;
        const page = expectPage(
          await offline.page({
            ...request("d-seenretry", after),
            fallback: { items: pool, cause: "redis_unreachable" },
          }),
        );
        served.push(...page.items.map((item) => item.id));
        after = page.pageId;
        await offline.flush();
      }
      expect(await state.storage.getAlarm()).not.toBeNull();
      expect(unmirroredIds(state.storage)).toBe(16);
    });
    expect(await seenMirror("d-seenretry")).toEqual(before);
    // After eviction, as the alarm would: the older generation gets page 2's bits, then moves.
    await runInDurableObject(stub, async (_, state) => {
      const revived = new FeedEngine(state.storage, deps("d-seenretry", { now: () => clock }));
      await revived.flush();
      const mirror = await expectMirrorOf("d-seenretry", state.storage);
      expect(served.filter((id) => !mirror.filter.has(id, clock))).toEqual([]);
      expect(unmirroredIds(state.storage)).toBe(0);
    });
  });

  it("writes both generations whole on an object's first mirror, replacing what was there", async () => {
    const pool = await fallbackItems("firstmirror-fb", 16);
    const user = "d-firstmirror";
    // What the mirror's first layout left: one hash field per generation, base64 bits.
    await redis.hset(SeenKeys.seen(user), { "1700000000000": "8:AAAA" });
    await runInDurableObject(stubFor(user), async (_, state) => {
      const started = Date.now();
      let clock = started;
      const offline = new FeedEngine(
        state.storage,
        deps(user, {
          now: () => clock,
          redis: redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL }),
        }),
      );
      let after: string | null = null;
      for (const days of [0, 16]) {
        clock = started + days * DAY_MS;
        const page = expectPage(
          await offline.page({
            ...request(user, after),
            fallback: { items: pool, cause: "redis_unreachable" },
          }),
        );
        after = page.pageId;
      }
      const online = new FeedEngine(state.storage, deps(user, { now: () => clock }));
      await online.flush();
      const mirror = await expectMirrorOf(user, state.storage);
      expect(mirror.filter.generations.map((g) => g.startedAt)).toEqual([
        started + 16 * DAY_MS,
        started,
      ]);
      expect(pool.filter((item) => !mirror.filter.has(item.id, clock))).toEqual([]);
    });
  });

  it("catches up on a long outage by writing the generation whole, not every bit", async () => {
    const user = "d-longoutage";
    await runInDurableObject(stubFor(user), async (_, state) => {
      const meta = new FeedMeta(state.storage.sql);
      const seen = new SeenFilter();
      const mirror = new FeedMirror(state.storage.sql, meta, seen, user);
      const serve = (ids: readonly string[]) => {
        for (const id of ids) {
          seen.add(id, Date.now());
          mirror.seenAdded([{ generation: seen.generations[0]!.startedAt, id }]);
        }
      };
      const flush = async () => {
        const write = mirror.pending(Date.now());
        if (!write) return;
        const tx = redis.multi();
        write.queue(tx);
        await tx.exec();
        write.commit();
      };
      serve(Array.from({ length: 8 }, (_, i) => `outage-first-${i}`));
      await flush();
      // 2,000 ids that never reached Redis: ~14,000 single-bit SETs, some 250 KB of JSON.
      const missed = Array.from({ length: 2_000 }, (_, i) => `outage-missed-${i}`);
      serve(missed);
      const sent = await seenMirrorBytes(flush);
      console.info(`seen mirror: ${sent} bytes of commands to catch up on 2,000 ids`);
      expect(sent).toBeLessThan(100_000);
      expect(await slotBytes(SeenKeys.seenBits(user, 0))).toEqual(seen.generations[0]!.filter.bits);
      const { filter } = await seenMirror(user);
      expect(missed.filter((id) => !filter.has(id, Date.now()))).toEqual([]);
      expect(unmirroredIds(state.storage)).toBe(0);
    });
  });

  it("mirrors a suppression to suppressed:{user} with its end time", async () => {
    const stub = stubFor("d-suppmirror");
    const before = Date.now();
    await stub.suppress({ creator_id: "c-mirrored", audio_id: "a-mirrored" });
    await stub.flush();
    const hash = await mirrorHash(SeenKeys.suppressed("d-suppmirror"));
    expect(Object.keys(hash).sort()).toEqual(["audio_id:a-mirrored", "creator_id:c-mirrored"]);
    expect(Number(hash["creator_id:c-mirrored"])).toBeGreaterThan(before + 29 * DAY_MS);
    expect(await redis.pttl(SeenKeys.suppressed("d-suppmirror"))).toBeGreaterThan(
      RETENTION_MS - 60_000,
    );
  });

  it("removes expired suppressions from the mirror instead of writing them again", async () => {
    await runInDurableObject(stubFor("d-suppexpire"), async (_, state) => {
      let clock = Date.now();
      const engine = new FeedEngine(state.storage, deps("d-suppexpire", { now: () => clock }));
      engine.suppress({ creator_id: "c-old" });
      await engine.flush();
      clock += 31 * DAY_MS;
      engine.suppress({ creator_id: "c-new" });
      await engine.flush();
      const hash = await mirrorHash(SeenKeys.suppressed("d-suppexpire"));
      expect(hash).toEqual({ "creator_id:c-new": String(clock + 30 * DAY_MS) });
    });
  });

  it("keeps the newest 500 suppressions, here and in the mirror", async () => {
    const user = "d-suppcap";
    await runInDurableObject(stubFor(user), async (_, state) => {
      const engine = new FeedEngine(state.storage, deps(user));
      for (let i = 0; i < MAX_SUPPRESSIONS + 100; i++) engine.suppress({ creator_id: `c-${i}` });
      await engine.flush();
      const kept = state.storage.sql
        .exec<{ value: string }>("SELECT value FROM suppressed ORDER BY seq")
        .toArray()
        .map((row) => row.value);
      expect(kept).toHaveLength(MAX_SUPPRESSIONS);
      expect(kept[0]).toBe("c-100");
      const hash = await mirrorHash(SeenKeys.suppressed(user));
      expect(Object.keys(hash)).toHaveLength(MAX_SUPPRESSIONS);
      expect(hash["creator_id:c-99"]).toBeUndefined();
      expect(hash[`creator_id:c-${MAX_SUPPRESSIONS + 99}`]).toBeDefined();
    });
  });

  it("writes a mirror change that failed to reach Redis when the alarm fires", async () => {
    const stub = stubFor("d-mirrorretry");
    await runInDurableObject(stub, async (_, state) => {
      const offline = new FeedEngine(
        state.storage,
        deps("d-mirrorretry", {
          redis: redisFromEnv({ ...env, UPSTASH_REDIS_REST_URL: DEAD_URL }),
        }),
      );
      offline.suppress({ creator_id: "c-retried" });
      await offline.flush();
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
    expect(await redis.exists(SeenKeys.suppressed("d-mirrorretry"))).toBe(0);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const hash = await mirrorHash(SeenKeys.suppressed("d-mirrorretry"));
    expect(Object.keys(hash)).toEqual(["creator_id:c-retried"]);
  });
});
