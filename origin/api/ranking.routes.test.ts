import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../contracts/error.schema";
import { parseForYouMember } from "../../contracts/feed.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { CatalogKeys, SeenKeys } from "../../contracts/keyspace";
import {
  FeedRefreshResponseSchema,
  type RankResponse,
  RankResponseSchema,
} from "../../contracts/rank.schema";
import { SeenFilter } from "../../contracts/seen-filter";
import { rankerTestRig, seedCatalog, until } from "../../testing/origin/ranking/ranker.testing";
import { writeSeenMirror } from "../../testing/origin/ranking/serving/seen-mirror.testing";
import { bucketOf, type Experiment } from "../ranking/config/ranking.config";
import type { ModelState } from "../ranking/model/model.state";
import { startServingModel } from "../ranking/serving/serving.provider";
import { MAX_INTERNAL_BODY_BYTES } from "./internal-auth";
import { internalRefreshRoute } from "./internal-refresh.route";
import { createOriginApp } from "./origin.app";
import { type RankRouteOptions, rankRoute } from "./rank.route";

const { redis, s3, bucket, onStop, started: rankerRole } = rankerTestRig();
const SECRET = "test-ranking-secret";

/** 30 live videos: creators A, B and C with ten each, ids `{prefix}{creator}-{n}`. */
async function seeded() {
  const prefix = `rr${randomUUID().slice(0, 8)}-`;
  await seedCatalog(redis, prefix, ["A", "B", "C"], 10);
  const id = (creator: string, n: number) => `${prefix}${creator}-${n}`;
  const ids = (creator: string) => Array.from({ length: 10 }, (_, n) => id(creator, n));
  return { prefix, id, ids };
}

/** The api role's model, as startOrigin runs it, over the test's catalog. */
async function apiModel(prefix: string): Promise<() => ModelState | undefined> {
  const model = startServingModel(
    redis,
    { s3, bucket, prefix: `${prefix}models/ranker/` },
    60_000,
    `${prefix}upload-events`,
  );
  onStop(model.stop);
  await until(() => model.get() !== undefined);
  return model.get;
}

function app(
  prefix: string,
  model: () => ModelState | undefined,
  rank: Partial<RankRouteOptions> = {},
) {
  return new Hono()
    .route("/", internalRefreshRoute({ redis, sharedSecret: SECRET, keyPrefix: prefix }))
    .route("/", rankRoute({ redis, sharedSecret: SECRET, keyPrefix: prefix, model, ...rank }));
}

const post = (target: Hono, path: string, body: unknown, secret = SECRET) =>
  target.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", [INTERNAL_AUTH_HEADER]: secret },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

async function rank(target: Hono, body: unknown): Promise<RankResponse> {
  const response = await post(target, "/v1/rank", body);
  expect(response.status).toBe(200);
  return v.parse(RankResponseSchema, await response.json());
}

/** `explore:{region}` as the ranker role writes it, newest first. */
async function writeExplore(prefix: string, region: string, ids: readonly string[]) {
  await redis.zadd(`${prefix}explore:${region}`, ...ids.flatMap((id, i) => [ids.length - i, id]));
}

const videoIds = (answer: RankResponse) => answer.items.map((item) => item.video_id);

describe("POST /internal/feed/refresh", () => {
  it("requires the shared secret, names the bad field, coalesces per user and leads to fyp", async () => {
    const { prefix } = await seeded();
    const service = await rankerRole(prefix);
    const routes = app(prefix, () => service.model);
    const user = `${prefix}user`;
    const body = { user_id: user, region: "eu", cause: "fyp_empty" };

    const denied = await post(routes, "/internal/feed/refresh", body, "wrong");
    expect(denied.status).toBe(401);
    expect(v.parse(ErrorBodySchema, await denied.json()).error.code).toBe("INTERNAL.UNAUTHORIZED");
    const bad = await post(routes, "/internal/feed/refresh", { ...body, cause: "bored" });
    expect(bad.status).toBe(400);
    expect(v.parse(ErrorBodySchema, await bad.json()).error.message).toMatch(/^cause: /);
    const malformed = await post(routes, "/internal/feed/refresh", "{");
    expect(v.parse(ErrorBodySchema, await malformed.json()).error.code).toBe(
      "REQUEST.MALFORMED_JSON",
    );

    // A chunked megabyte: refused once it passes the limit, not read whole first.
    const huge = await routes.request("/internal/feed/refresh", {
      method: "POST",
      headers: { [INTERNAL_AUTH_HEADER]: SECRET, "content-type": "application/json" },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 16; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(32));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(huge.status).toBe(413);
    expect(v.parse(ErrorBodySchema, await huge.json()).error.message).toBe(
      `body: exceeds ${MAX_INTERNAL_BODY_BYTES} bytes`,
    );

    const first = await post(routes, "/internal/feed/refresh", body);
    expect(first.status).toBe(202);
    expect(v.parse(FeedRefreshResponseSchema, await first.json()).queued).toBe(true);
    const again = await post(routes, "/internal/feed/refresh", body);
    expect(v.parse(FeedRefreshResponseSchema, await again.json()).queued).toBe(false);

    // The role's scheduler picks the queued user up on its next tick (100 ms here).
    await until(async () => (await redis.zcard(CatalogKeys.forYou(user))) > 0, 5_000);
    const fyp = (await redis.zrevrange(CatalogKeys.forYou(user), 0, -1)).map(parseForYouMember);
    // A cold-start user: 30 live videos, nobody watched anything, the feed is already full.
    expect(fyp.length).toBe(30);
    for (const member of fyp) {
      expect(["exploration", "fresh"]).toContain(member?.reason);
      expect(member?.arm).toBe("control");
    }
    const ttl = await redis.pttl(CatalogKeys.forYou(user));
    expect(ttl).toBeGreaterThan(5 * 60_000);
    // Rescheduled in 5–15 min, not refreshed again on the next tick.
    const due = Number(await redis.zscore(`${prefix}ranker:due`, user));
    expect(due - Date.now()).toBeGreaterThan(4 * 60_000);
  });
});

describe("POST /v1/rank", () => {
  it("validates, ranks within budget, and degrades to stage 1 then trending by queue depth", async () => {
    const { prefix, id, ids } = await seeded();
    const model = await apiModel(prefix);
    await writeExplore(prefix, "eu", [...ids("A"), ...ids("B"), ...ids("C")]);
    const request = {
      user_id: `${prefix}u`,
      region: "eu",
      limit: 10,
      recent: [id("A", 0), id("A", 1)],
      exclude: [id("B", 0)],
    };
    const full = app(prefix, model);
    const invalid = await post(full, "/v1/rank", { ...request, limit: 500 });
    expect(invalid.status).toBe(400);
    expect(v.parse(ErrorBodySchema, await invalid.json()).error.message).toMatch(/^limit: /);
    const badId = await post(full, "/v1/rank", { ...request, recent: ["ok", "no spaces"] });
    expect(v.parse(ErrorBodySchema, await badId.json()).error.message).toMatch(/^recent\.1: /);
    expect((await post(full, "/v1/rank", request, "nope")).status).toBe(401);

    const tooks: number[] = [];
    let answer = await rank(full, request);
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      answer = await rank(full, request);
      tooks.push(performance.now() - started);
    }
    tooks.sort((a, b) => a - b);
    console.log(
      `/v1/rank full, 30 videos: p50 ${tooks[50]?.toFixed(2)} ms, p99 ${tooks[99]?.toFixed(2)} ms`,
    );
    expect(answer.mode).toBe("full");
    expect(answer.arm).toBe("control");
    expect(answer.items).toHaveLength(10);
    // Excluded and just-watched videos are not offered again.
    expect(videoIds(answer)).not.toContain(id("B", 0));
    expect(videoIds(answer)).not.toContain(id("A", 0));
    expect(videoIds(answer)).not.toContain(id("A", 1));
    // The creator just watched is near the top and fills at least half the page; which other
    // creator fills the rest, and whether an A video is first or second, depends on how the
    // run's random ids hash into the content vectors (first place alone failed a fresh-clone CI run).
    const byCreator = (creator: string) =>
      videoIds(answer).filter((v) => v.startsWith(`${prefix}${creator}-`)).length;
    expect(
      videoIds(answer)
        .slice(0, 2)
        .some((v) => v.startsWith(`${prefix}A-`)),
    ).toBe(true);
    expect(byCreator("A")).toBeGreaterThanOrEqual(5);
    expect(byCreator("A")).toBeGreaterThanOrEqual(Math.max(byCreator("B"), byCreator("C")));

    const stage1 = await rank(app(prefix, model, { stage1AboveDepth: 0 }), request);
    expect(stage1.mode).toBe("stage1");
    expect(stage1.items).toHaveLength(10);

    await redis.zadd(`${prefix}trending:eu`, 3, id("C", 1), 2, id("C", 2));
    const trending = await rank(app(prefix, model, { trendingAboveDepth: 0 }), request);
    expect(trending.mode).toBe("trending");
    expect(trending.items.slice(0, 2)).toEqual([
      { video_id: id("C", 1), reason: "trending" },
      { video_id: id("C", 2), reason: "trending" },
    ]);
    expect(trending.items).toHaveLength(10);
    expect(videoIds(trending)).not.toContain(id("B", 0));
  });

  it("never returns what the edge's seen mirror holds, nor a suppressed creator's videos", async () => {
    const { prefix, ids } = await seeded();
    const model = await apiModel(prefix);
    await writeExplore(prefix, "eu", [...ids("A"), ...ids("B"), ...ids("C")]);
    const user = `${prefix}seen-user`;
    const now = Date.now();
    const seen = new SeenFilter();
    for (const video of ids("A").slice(0, 5)) seen.add(video, now);
    await writeSeenMirror(redis, user, seen);
    await redis.hset(SeenKeys.suppressed(user), {
      [`creator_id:${prefix}B`]: now + 3_600_000,
      // Ran out a moment ago: C is back.
      [`creator_id:${prefix}C`]: now - 1,
    });
    const request = { user_id: user, region: "eu", limit: 30 };

    for (const rank_ of [{}, { stage1AboveDepth: 0 }, { trendingAboveDepth: 0 }]) {
      const answer = await rank(app(prefix, model, rank_), request);
      const returned = videoIds(answer);
      expect(returned.length).toBeGreaterThan(0);
      for (const video of ids("A").slice(0, 5)) expect(returned).not.toContain(video);
      expect(returned.filter((v) => v.startsWith(`${prefix}B-`))).toEqual([]);
      expect(returned.some((v) => v.startsWith(`${prefix}C-`))).toBe(true);
      expect(returned.some((v) => ids("A").slice(5).includes(v))).toBe(true);
    }
  });

  it("feeds the social rail from the follows in Redis", async () => {
    const { prefix, ids } = await seeded();
    const model = await apiModel(prefix);
    // Exploration offers only A: C reaches the user only through whom they follow.
    await writeExplore(prefix, "eu", ids("A"));
    const follower = `${prefix}follower`;
    await redis.zadd(`${prefix}follows:${follower}`, Date.now(), `${prefix}C`);
    const routes = app(prefix, model);

    const followed = await rank(routes, { user_id: follower, region: "eu", limit: 30 });
    const fromC = followed.items.filter((item) => item.video_id.startsWith(`${prefix}C-`));
    expect(fromC.length).toBeGreaterThan(0);
    expect(fromC.some((item) => item.reason === "social")).toBe(true);
    expect(fromC.every((item) => item.reason === "social" || item.reason === "fresh")).toBe(true);

    const stranger = await rank(routes, { user_id: `${prefix}stranger`, region: "eu", limit: 30 });
    expect(videoIds(stranger).filter((v) => v.startsWith(`${prefix}C-`))).toEqual([]);
  });

  it("ranks personally as soon as the processor's short-term sequence has a video", async () => {
    const { prefix, id, ids } = await seeded();
    const model = await apiModel(prefix);
    await redis.zadd(`${prefix}trending:eu`, 2, id("B", 0), 1, id("B", 1));
    await writeExplore(prefix, "eu", ids("C"));
    const routes = app(prefix, model);
    const request = { user_id: `${prefix}newcomer`, region: "eu", limit: 20 };

    const cold = await rank(routes, request);
    expect(cold.items.length).toBeGreaterThan(0);
    for (const item of cold.items) {
      expect(["trending", "exploration", "fresh"]).toContain(item.reason);
    }

    await redis.zadd(`${prefix}recent:${request.user_id}`, Date.now(), id("A", 0));
    const warm = await rank(routes, request);
    expect(warm.items.some((item) => item.reason === "ann")).toBe(true);
    expect(videoIds(warm)).not.toContain(id("A", 0));
  });

  it("answers [] for a cold start in a region with neither trending nor exploration", async () => {
    const { prefix } = await seeded();
    const answer = await rank(app(prefix, await apiModel(prefix)), {
      user_id: `${prefix}lonely`,
      region: "zz",
    });
    expect(answer.mode).toBe("full");
    expect(answer.items).toEqual([]);
  });

  it("ranks each user in their A/B arm and queues them for the background ranker", async () => {
    const { prefix, ids } = await seeded();
    const experiment: Experiment = {
      name: `${prefix}fresh`,
      arms: [{ name: "fresh2", permille: 500, policy: { freshEvery: 2 } }],
    };
    const users = Array.from({ length: 64 }, (_, u) => `${prefix}u${u}`);
    const armUser = users.find((u) => bucketOf(experiment.name, u) < 500);
    const controlUser = users.find((u) => bucketOf(experiment.name, u) >= 500);
    if (!armUser || !controlUser) throw new Error("no user in each arm");
    // The ranker role runs the same experiment; every seeded video is fresh and unexposed.
    const service = await rankerRole(prefix, { experiment });
    await writeExplore(prefix, "eu", [...ids("A"), ...ids("B"), ...ids("C")]);
    const routes = app(prefix, () => service.model, { experiment });

    const inArm = await rank(routes, { user_id: armUser, region: "eu", limit: 10 });
    const inControl = await rank(routes, { user_id: controlUser, region: "eu", limit: 10 });
    expect(inArm.arm).toBe("fresh2");
    expect(inControl.arm).toBe("control");
    const freshAt = (answer: RankResponse) =>
      answer.items.flatMap((item, i) => (item.reason === "fresh" ? [i + 1] : []));
    expect(freshAt(inArm)).toEqual([2, 4, 6, 8, 10]);
    expect(freshAt(inControl)).toEqual([5, 10]);

    // Each rank queued the user: the ranker role writes their fyp, every member in their arm.
    for (const [user, arm] of [
      [armUser, "fresh2"],
      [controlUser, "control"],
    ] as const) {
      await until(async () => (await redis.zcard(CatalogKeys.forYou(user))) > 0, 5_000);
      const members = await redis.zrevrange(CatalogKeys.forYou(user), 0, -1);
      expect(members.map((m) => parseForYouMember(m)?.arm)).toEqual(members.map(() => arm));
    }
  });

  it("times each answer into edgefeed_ranker_latency_seconds by mode, on /metrics", async () => {
    const { prefix, ids } = await seeded();
    const model = await apiModel(prefix);
    await writeExplore(prefix, "eu", ids("A"));
    const origin = createOriginApp({
      redis,
      s3,
      bucket,
      ranking: {
        refresh: { redis, sharedSecret: SECRET, keyPrefix: prefix },
        rank: { redis, sharedSecret: SECRET, keyPrefix: prefix, model },
      },
      metricsToken: "scrape-token-123",
    });
    const user = `${prefix}timed`;
    await rank(origin, { user_id: user, region: "eu", limit: 5 });
    await rank(origin, { user_id: user, region: "eu", limit: 5 });
    const scrape = { headers: { authorization: "Bearer scrape-token-123" } };
    const text = await (await origin.request("/metrics", scrape)).text();
    expect(text).toMatch(/^edgefeed_ranker_latency_seconds_count\{stage="full"\} 2$/m);
    // Queued for the background ranker, due now, in the region asked for.
    const due = Number(await redis.zscore(`${prefix}ranker:due`, user));
    expect(due).toBeLessThanOrEqual(Date.now());
    expect(await redis.hget(`${prefix}ranker:regions`, user)).toBe("eu");
  });
});
