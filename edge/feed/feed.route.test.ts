import { env } from "cloudflare:test";
import * as v from "valibot";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FeedPage, FeedPageSchema } from "../../contracts/feed.schema";
import { CatalogKeys, UploadStreams } from "../../contracts/keyspace";
import { getFeed, tokenFor } from "../../testing/edge/feed/feed.testing";
import { DEAD_URL, rank, redis, seedVideos } from "../../testing/worker-lib/redis.testing";
import { signCursor } from "./feed-cursor";

describe("GET /v1/feed", () => {
  it("serves 200 consecutive pages without repeating a video", async () => {
    const ids = await seedVideos("long", 1700);
    await rank(CatalogKeys.forYou("u-long"), ids);
    const token = await tokenFor("u-long");
    const served: string[] = [];
    let cursor = "";
    for (let page = 0; page < 200; page++) {
      const { status, body } = await getFeed(token, cursor && `?cursor=${cursor}`);
      expect(status).toBe(200);
      v.parse(FeedPageSchema, body);
      expect(body.fallback).toBeNull();
      expect(body.items).toHaveLength(8);
      served.push(...body.items.map((item) => item.id));
      cursor = body.next_cursor;
    }
    expect(new Set(served).size).toBe(1600);
    // Ranked order is kept: the first page is the top of fyp:{user}.
    expect(served.slice(0, 8)).toEqual(ids.slice(0, 8));
  }, 30_000);

  it("returns the same page for a retried cursor", async () => {
    await rank(CatalogKeys.forYou("u-retry"), await seedVideos("retry", 60));
    const token = await tokenFor("u-retry");
    const first = await getFeed(token);
    const second = await getFeed(token, `?cursor=${first.body.next_cursor}`);
    const retried = await getFeed(token, `?cursor=${first.body.next_cursor}`);
    expect(retried).toEqual(second);
    const ids = new Set([...first.body.items, ...second.body.items].map((item) => item.id));
    expect(ids.size).toBe(16);
  });

  it("hands 20 concurrent requests of one user disjoint pages", async () => {
    await rank(CatalogKeys.forYou("u-burst"), await seedVideos("burst", 300));
    const token = await tokenFor("u-burst");
    const pages = await Promise.all(Array.from({ length: 20 }, () => getFeed(token)));
    const ids = pages.flatMap((page) => page.body.items.map((item) => item.id));
    expect(pages.every((page) => page.status === 200)).toBe(true);
    expect(ids).toHaveLength(160);
    expect(new Set(ids).size).toBe(160);
  });

  it("describes a video fully", async () => {
    const ids = await seedVideos("shape", 10);
    const id = ids[0];
    await rank(CatalogKeys.forYou("u-shape"), ids);
    const { body } = await getFeed(await tokenFor("u-shape"), "?limit=5");
    expect(body.items).toHaveLength(5);
    expect(body.items[0]).toEqual({
      id,
      manifest_url: `/v1/videos/${id}/v1/master.m3u8`,
      poster_url: `/v1/videos/${id}/v1/poster.jpg`,
      duration_ms: 15_000,
      creator_id: "creator-shape-0",
      hashtags: ["edge", "tag0"],
      audio_id: "audio-0",
      reason: "ann",
    });
  });
});

describe("GET /v1/feed when candidates are missing or dependencies are down", () => {
  it("falls back to trending and exploration when fyp:{user} is missing", async () => {
    await rank(CatalogKeys.trending("fb"), await seedVideos("trend-fb", 150));
    const token = await tokenFor("u-nofyp", "fb");
    const first = await getFeed(token);
    expect(first.status).toBe(200);
    expect(first.body.fallback).toBe("fyp_empty");
    expect(first.body.items).toHaveLength(8);
    expect(first.body.items.map((item) => item.reason)).toContain("fallback");
    expect(first.body.items.map((item) => item.reason)).toContain("exploration");
    // Still filtered by the seen-filter: the next fallback page shows other videos.
    const next = await getFeed(token, `?cursor=${first.body.next_cursor}`);
    const ids = new Set([...first.body.items, ...next.body.items].map((item) => item.id));
    expect(ids.size).toBe(16);
  });

  it("answers a viewer in a region nothing was ever seeded for with full pages", async () => {
    // Was 503 "no videos available": only seeded regions had a fallback.
    const newest = await seedVideos("newest-zz", 20);
    const ahead = Date.now() + 10 * 365 * 86_400_000;
    for (const [i, id] of newest.entries()) {
      await redis.zadd(CatalogKeys.newestLive(), { score: ahead - i, member: id });
    }
    const token = await tokenFor("u-zz", "zz");
    const first = await getFeed(token);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(8);
    const next = await getFeed(token, `?cursor=${first.body.next_cursor}`);
    expect(next.status).toBe(200);
    const ids = new Set([...first.body.items, ...next.body.items].map((item) => item.id));
    expect(ids.size).toBe(16);
  });

  it("tops a short ranked buffer up with fallback videos", async () => {
    await rank(CatalogKeys.trending("fc"), await seedVideos("trend-fc", 40));
    await rank(CatalogKeys.forYou("u-short"), await seedVideos("short", 3));
    const { body } = await getFeed(await tokenFor("u-short", "fc"));
    expect(body.items.slice(0, 3).map((item) => item.reason)).toEqual(["ann", "ann", "ann"]);
    expect(body.items).toHaveLength(8);
    expect(body.fallback).toBe("fyp_empty");
  });

  it("still serves a page with Redis and the origin unreachable from the Worker", async () => {
    await rank(CatalogKeys.trending("fd"), await seedVideos("trend-fd", 40));
    // One healthy request fills the edge cache with the region's fallback set.
    await getFeed(await tokenFor("u-warm", "fd"));
    const down = { ...env, UPSTASH_REDIS_REST_URL: DEAD_URL, ORIGIN_URL: DEAD_URL };
    const { status, body } = await getFeed(await tokenFor("u-down", "fd"), "", down);
    expect(status).toBe(200);
    expect(body.items.length).toBeGreaterThanOrEqual(5);
    expect(body.fallback).toBe("fyp_empty");
  });

  it("serves the region's fallback when the user's feed object cannot be reached", async () => {
    await rank(CatalogKeys.trending("fu"), await seedVideos("trend-fu", 20));
    const unreachable = {
      idFromName: (name: string) => env.USER_FEED.idFromName(name),
      get: () => ({ page: () => Promise.reject(new Error("Durable Object is overloaded")) }),
    } as unknown as Env["USER_FEED"];
    const token = await tokenFor("u-nodo", "fu");
    const { status, body } = await getFeed(token, "", { ...env, USER_FEED: unreachable });
    expect(status).toBe(200);
    expect(body.fallback).toBe("user_feed_unavailable");
    expect(body.items).toHaveLength(8);
    // Its cursor carries on once the object is back.
    const next = await getFeed(token, `?cursor=${body.next_cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items.length).toBeGreaterThanOrEqual(5);
  });

  it("serves ranked pages with the origin stopped", async () => {
    await rank(CatalogKeys.forYou("u-noorigin"), await seedVideos("noorigin", 20));
    const { status, body } = await getFeed(await tokenFor("u-noorigin"), "", {
      ...env,
      ORIGIN_URL: DEAD_URL,
    });
    expect(status).toBe(200);
    expect(body.fallback).toBeNull();
  });
});

describe("GET /v1/feed ranks at the origin when fyp:{user} is empty", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("serves ranked pages from the origin's answer", async () => {
    // A region of its own, with videos the origin's model learns from upload-events.
    const run = crypto.randomUUID().slice(0, 8);
    const region = `rk-${run}`;
    const ids = await seedVideos(`ranked-${run}`, 40);
    const pipeline = redis.pipeline();
    for (const id of ids) {
      pipeline.xadd(UploadStreams.events, "*", {
        type: "upload",
        video_id: id,
        creator_id: `creator-${id}`,
        version: "1",
        created_at: new Date().toISOString(),
      });
    }
    await pipeline.exec();
    await rank(CatalogKeys.trending(region), ids);

    // The origin picks new uploads up on its next model sync: new users until one is ranked.
    const { token, first } = await firstRankedPage(`u-ranked-${run}`, region, 25_000);
    // That first page did not wait for the rank: it came from the fallback, at once.
    expect(first.fallback).toBeNull();
    const pages = [first];
    for (let i = 0; i < 2; i++) {
      const { status, body } = await getFeed(token, `?cursor=${pages.at(-1)?.next_cursor}`);
      expect(status).toBe(200);
      pages.push(body);
    }
    const served = pages.flatMap((page) => page.items.map((item) => item.id));
    expect(pages.map((page) => page.fallback)).toEqual([null, null, null]);
    expect(new Set(served).size).toBe(24);
    expect(served.filter((id) => !ids.includes(id))).toEqual([]);
    const reasons = new Set(pages.flatMap((page) => page.items.map((item) => item.reason)));
    expect(reasons.has("fallback")).toBe(false);
  }, 30_000);

  it("falls back to trending when the origin answers something that is not a ranking", async () => {
    await rank(CatalogKeys.trending("fg"), await seedVideos("trend-fg", 40));
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url).pathname !== "/v1/rank") return realFetch(input, init);
      return Promise.resolve(Response.json({ items: [{ video_id: "trend-fg-0" }] }));
    });
    const { status, body } = await getFeed(await tokenFor("u-garbage", "fg"));
    expect(status).toBe(200);
    expect(body.fallback).toBe("fyp_empty");
    expect(body.items).toHaveLength(8);
    expect(body.items.every((item) => ["fallback", "exploration"].includes(item.reason))).toBe(
      true,
    );
  });
});

/**
 * Logs in fresh users `{prefix}-{n}` until one's second page is ranked, within `withinMs`. A new
 * user's first page is the fallback's, served without waiting for the origin, whose ranking
 * (asked for beside it) fills the next page.
 */
async function firstRankedPage(
  prefix: string,
  region: string,
  withinMs: number,
): Promise<{ token: string; first: FeedPage }> {
  const deadline = Date.now() + withinMs;
  for (let attempt = 0; ; attempt++) {
    const token = await tokenFor(`${prefix}-${attempt}`, region);
    const opening = await getFeed(token);
    expect(opening.status).toBe(200);
    expect(opening.body.fallback).toBe("fyp_empty");
    // The rank's answer lands in the object's buffer well within its 1 s budget.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const { status, body } = await getFeed(token, `?cursor=${opening.body.next_cursor}`);
    if (status === 200 && body.fallback === null) return { token, first: body };
    if (Date.now() > deadline) throw new Error(`no ranked page for ${region} in ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("GET /v1/feed rejects", () => {
  it("a tampered cursor or token with 401", async () => {
    await rank(CatalogKeys.forYou("u-tamper"), await seedVideos("tamper", 30));
    const token = await tokenFor("u-tamper");
    const { body } = await getFeed(token);
    const [payload, mac] = body.next_cursor.split(".");
    const forged = btoa(JSON.stringify({ u: "u-tamper", p: "other-page" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    for (const cursor of [`${forged}.${mac}`, `${payload}.${mac!.slice(0, -2)}AA`]) {
      const response = await getFeed(token, `?cursor=${cursor}`);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: "FEED.CURSOR_INVALID" } });
    }
    expect((await getFeed(`${token.slice(0, -3)}abc`)).status).toBe(401);
  });

  it("another user's cursor with 403", async () => {
    const cursor = await signCursor(env.SIGNING_SECRET, { userId: "mallory", pageId: "p1" });
    const response = await getFeed(await tokenFor("u-victim"), `?cursor=${cursor}`);
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { code: "FEED.CURSOR_FORBIDDEN" } });
  });

  it("bad query values with 400 naming the field", async () => {
    const token = await tokenFor("u-query");
    for (const [query, field] of [
      ["?limit=50", "limit"],
      ["?limit=abc", "limit"],
      ["?limit=2", "limit"],
      ["?cursor=not%20a%20cursor", "cursor"],
    ] as const) {
      const response = await getFeed(token, query);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: { code: "REQUEST.INVALID_FIELD" } });
      expect((response.body as unknown as { error: { message: string } }).error.message).toMatch(
        new RegExp(`^${field}: `),
      );
    }
  });
});
