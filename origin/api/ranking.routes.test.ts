import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { Redis } from "ioredis";
import * as v from "valibot";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ErrorBodySchema } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/feed.schema";
import { FeedRefreshResponseSchema, RankResponseSchema } from "../../contracts/rank.schema";
import { CatalogKeys } from "../../contracts/video.schema";
import { testS3Config } from "../dev/test-s3";
import type { RankerService } from "../ranker/ranker.service";
import { rankerService, seedCatalog, until } from "../ranker/ranker.testing";
import { createS3Client } from "../storage/s3.client";
import { internalRefreshRoute } from "./internal-refresh.route";
import { type RankRouteOptions, rankRoute } from "./rank.route";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());
const SECRET = "test-ranking-secret";
const services: RankerService[] = [];

afterAll(async () => {
  for (const service of services) await service.stop();
  redis.disconnect();
  s3.destroy();
});

async function setup() {
  const prefix = `rr${randomUUID().slice(0, 8)}-`;
  await seedCatalog(redis, prefix, ["A", "B", "C"], 10);
  const service = rankerService(redisUrl, s3, bucket, prefix);
  await service.start();
  services.push(service);
  return { prefix, service };
}

function app(prefix: string, service: RankerService, rank: Partial<RankRouteOptions> = {}) {
  return new Hono()
    .route("/", internalRefreshRoute({ redis, sharedSecret: SECRET, keyPrefix: prefix }))
    .route(
      "/",
      rankRoute({
        redis,
        sharedSecret: SECRET,
        keyPrefix: prefix,
        model: () => service.model,
        ...rank,
      }),
    );
}

const post = (target: Hono, path: string, body: unknown, secret = SECRET) =>
  target.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", [INTERNAL_AUTH_HEADER]: secret },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /internal/feed/refresh", () => {
  it("requires the shared secret, names the bad field, coalesces per user and leads to fyp", async () => {
    const { prefix, service } = await setup();
    const routes = app(prefix, service);
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

    const first = await post(routes, "/internal/feed/refresh", body);
    expect(first.status).toBe(202);
    expect(v.parse(FeedRefreshResponseSchema, await first.json()).queued).toBe(true);
    const again = await post(routes, "/internal/feed/refresh", body);
    expect(v.parse(FeedRefreshResponseSchema, await again.json()).queued).toBe(false);

    // The role's scheduler picks the queued user up on its next tick (100 ms here).
    await until(async () => (await redis.zcard(CatalogKeys.forYou(user))) > 0, 5_000);
    const fyp = await redis.zrevrange(CatalogKeys.forYou(user), 0, -1);
    // A cold-start user: 30 live videos, nobody watched anything, the feed is already full.
    expect(fyp.length).toBe(30);
    expect(fyp.every((m) => m.endsWith(":exploration") || m.endsWith(":fresh"))).toBe(true);
    const ttl = await redis.pttl(CatalogKeys.forYou(user));
    expect(ttl).toBeGreaterThan(5 * 60_000);
    // Rescheduled in 5–15 min, not refreshed again on the next tick.
    const due = Number(await redis.zscore(`${prefix}ranker:due`, user));
    expect(due - Date.now()).toBeGreaterThan(4 * 60_000);
  });
});

describe("POST /v1/rank", () => {
  it("validates, ranks within budget, and degrades to stage 1 then trending by queue depth", async () => {
    const { prefix, service } = await setup();
    const request = {
      user_id: `${prefix}u`,
      region: "eu",
      limit: 10,
      recent: [`${prefix}A-0`, `${prefix}A-1`],
      exclude: [`${prefix}B-0`],
    };
    const full = app(prefix, service);
    const invalid = await post(full, "/v1/rank", { ...request, limit: 500 });
    expect(invalid.status).toBe(400);
    expect(v.parse(ErrorBodySchema, await invalid.json()).error.message).toMatch(/^limit: /);
    const badId = await post(full, "/v1/rank", { ...request, recent: ["ok", "no spaces"] });
    expect(v.parse(ErrorBodySchema, await badId.json()).error.message).toMatch(/^recent\.1: /);
    expect((await post(full, "/v1/rank", request, "nope")).status).toBe(401);

    const tooks: number[] = [];
    let answer = v.parse(RankResponseSchema, await (await post(full, "/v1/rank", request)).json());
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      answer = v.parse(RankResponseSchema, await (await post(full, "/v1/rank", request)).json());
      tooks.push(performance.now() - started);
    }
    tooks.sort((a, b) => a - b);
    console.log(
      `/v1/rank full, 30 videos: p50 ${tooks[50]?.toFixed(2)} ms, p99 ${tooks[99]?.toFixed(2)} ms`,
    );
    expect(answer.mode).toBe("full");
    expect(answer.items).toHaveLength(10);
    expect(answer.items.map((i) => i.video_id)).not.toContain(`${prefix}B-0`);
    expect(answer.items.filter((i) => i.video_id.startsWith(`${prefix}A-`)).length).toBeGreaterThan(
      answer.items.filter((i) => i.video_id.startsWith(`${prefix}B-`)).length,
    );

    const overloaded = app(prefix, service, { stage1AboveDepth: 0 });
    const stage1 = v.parse(
      RankResponseSchema,
      await (await post(overloaded, "/v1/rank", request)).json(),
    );
    expect(stage1.mode).toBe("stage1");
    expect(stage1.items).toHaveLength(10);

    await redis.zadd(`${prefix}trending:eu`, 3, `${prefix}C-1`, 2, `${prefix}C-2`);
    const saturated = app(prefix, service, { trendingAboveDepth: 0 });
    const trending = v.parse(
      RankResponseSchema,
      await (await post(saturated, "/v1/rank", request)).json(),
    );
    expect(trending.mode).toBe("trending");
    expect(trending.items.slice(0, 2)).toEqual([
      { video_id: `${prefix}C-1`, reason: "trending" },
      { video_id: `${prefix}C-2`, reason: "trending" },
    ]);
    expect(trending.items).toHaveLength(10);
  });
});
