import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { partitionOf, type StoredEvent } from "../../contracts/event.schema";
import { CatalogKeys, EventKeys } from "../../contracts/keyspace";
import { redis, seedCatalog } from "../../testing/worker-lib/redis.testing";
import { createApp } from "../app";
import { issueSessionToken } from "../session/session-token";
import { VIDEO_BUDGET_EVENTS } from "./ingest-batch";

const partitions = Number(env.EVENT_PARTITIONS);

/**
 * A session of `userId`, signed as the edge signs them: replaying from several sessions of one
 * user needs the same user twice, which the public route (server-minted ids) never gives.
 */
async function login(userId = `u-${crypto.randomUUID().slice(0, 8)}`) {
  const { token, session } = await issueSessionToken(env.SIGNING_SECRET, { userId, region: "eu" });
  return { userId, token, sessionId: session.sessionId };
}

function post(token: string, body: unknown, send = SELF.fetch.bind(SELF)) {
  return send("http://edge.test/v1/events", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

let seq = 0;
const play = (video = "v1") => ({ id: `e${++seq}`, type: "play", video_id: video, ts: Date.now() });

/** The entries this session appended, decoded (the client turns JSON strings into objects). */
async function storedFor(userId: string, sessionId: string): Promise<StoredEvent[]> {
  const stream = EventKeys.stream(partitionOf(userId, partitions));
  const entries = await redis.xrange<Record<string, unknown>>(stream, "-", "+");
  return Object.values(entries)
    .map(
      (fields) => (typeof fields.e === "string" ? JSON.parse(fields.e) : fields.e) as StoredEvent,
    )
    .filter((stored) => stored.session_id === sessionId);
}

const VIDEOS = ["v1", "v2", "v-replayed"];
/** seedCatalog gives the i-th video 15,000 + i ms. */
const V1_DURATION_MS = 15_000;

describe("POST /v1/events", () => {
  beforeAll(async () => {
    await seedCatalog(VIDEOS);
  });

  it("accepts the valid events of a partly bad batch and names each rejected field", async () => {
    const { userId, token, sessionId } = await login();
    const response = await post(token, {
      events: [
        play("v1"),
        { id: "bad-type", type: "teleport", video_id: "v1", ts: 1 },
        { id: "p1", type: "progress", video_id: "v1", ts: 2, watch_ms: 4000, position_ms: 4000 },
        { id: "c1", type: "complete", video_id: "v1", ts: 3, creator_id: "c9" },
        { id: "f1", type: "follow", video_id: "v1", ts: 4 },
        "not an object",
      ],
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ accepted: 2, duplicates: 0, sampled_out: 0 });
    expect(body.rejected).toEqual([
      { index: 1, field: "type", reason: expect.stringContaining("must be one of") },
      { index: 2, field: "duration_ms", reason: expect.any(String) },
      { index: 4, field: "creator_id", reason: expect.any(String) },
      { index: 5, field: "", reason: expect.any(String) },
    ]);
    const stored = await storedFor(userId, sessionId);
    expect(stored.map((s) => s.event.type)).toEqual(["play", "complete"]);
    expect(stored[1]).toMatchObject({
      user_id: userId,
      region: "eu",
      weight: 1,
      event: { id: "c1", creator_id: "c9" },
    });
    expect(stored[1]!.received_at).toBeGreaterThan(Date.now() - 60_000);
  });

  it("drops retried event ids, across and within batches", async () => {
    const { userId, token, sessionId } = await login();
    const batch = { events: [play(), play(), play()] };
    expect(await (await post(token, batch)).json()).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await (await post(token, batch)).json()).toMatchObject({ accepted: 0, duplicates: 3 });
    const again = play();
    const within = await post(token, { events: [again, again, play()] });
    expect(await within.json()).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(await storedFor(userId, sessionId)).toHaveLength(5);
  });

  it("counts one user's batch once when it is replayed from 5 sessions", async () => {
    // Was accepted again from every new session: dedupe was keyed by session.
    const { userId, token } = await login();
    const batch = { events: [play("v-replayed"), play("v-replayed")] };
    expect(await (await post(token, batch)).json()).toMatchObject({ accepted: 2, duplicates: 0 });
    for (let i = 0; i < 4; i++) {
      const replay = await login(userId);
      expect(await (await post(replay.token, batch)).json()).toMatchObject({
        accepted: 0,
        duplicates: 2,
      });
    }
    // Another user's ids are theirs: the same client id counts for them.
    const someoneElse = await login();
    expect(await (await post(someoneElse.token, batch)).json()).toMatchObject({ accepted: 2 });
  });

  it("samples sub-second watches with weight 1/rate and always keeps strong signals", async () => {
    const { userId, token, sessionId } = await login();
    const low = Array.from({ length: 100 }, (_, i) => ({
      id: `w${i}`,
      type: "progress",
      video_id: "v2",
      ts: i,
      watch_ms: i % 2 === 0 ? 0 : 400,
      position_ms: 400,
      duration_ms: 15000,
    }));
    const lowAgain = low.map((e) => ({ ...e, id: `x${e.id}` }));
    const strong = ["complete", "like", "share", "not_interested"].map((type, i) => ({
      id: `s${i}`,
      type,
      video_id: "v2",
      ts: 1,
      creator_id: "c2",
    }));
    strong.push({ id: "fol", type: "follow", video_id: "v2", ts: 1, creator_id: "c2" });
    const long = { ...low[1]!, id: "long", watch_ms: 5000 };
    type Counts = { accepted: number; sampled_out: number };
    const first = (await (await post(token, { events: low })).json()) as Counts;
    const second = (await (await post(token, { events: lowAgain })).json()) as Counts;
    const third = await (await post(token, { events: [...strong, long] })).json();
    const kept = first.accepted + second.accepted;
    expect(first.accepted + first.sampled_out).toBe(100);
    // 10 % of 200, binomial: outside 5..45 has a probability far below 1e-6.
    expect(kept).toBeGreaterThanOrEqual(5);
    expect(kept).toBeLessThanOrEqual(45);
    expect(third).toMatchObject({ accepted: 6, sampled_out: 0 });
    const stored = await storedFor(userId, sessionId);
    const weights = stored.map((s) => [s.event.id, s.weight] as const);
    expect(weights.filter(([id]) => /^x?w/.test(id)).every(([, w]) => w === 10)).toBe(true);
    expect(weights.filter(([id]) => !/^x?w/.test(id)).every(([, w]) => w === 1)).toBe(true);
  });

  it("puts each user's events on partition hash(user) mod P, one stream per user", async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => login()));
    for (const user of users) {
      expect((await post(user.token, { events: [play()] })).status).toBe(202);
      expect(await storedFor(user.userId, user.sessionId)).toHaveLength(1);
    }
    expect(new Set(users.map((u) => partitionOf(u.userId, partitions))).size).toBeGreaterThan(1);
  });

  it("answers 413 over 64 KB or 100 events, 400 for malformed JSON, 401 without a session", async () => {
    const { token } = await login();
    const big = await post(token, {
      events: [{ ...play(), padding: "x".repeat(70 * 1024) }],
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe(
      "REQUEST.BODY_TOO_LARGE",
    );
    const many = await post(token, { events: Array.from({ length: 101 }, () => play()) });
    expect(many.status).toBe(413);
    expect(((await many.json()) as { error: { code: string } }).error.code).toBe("EVENTS.TOO_MANY");
    const malformed = await post(token, '{"events": [');
    expect(malformed.status).toBe(400);
    const noEvents = await post(token, { events: [] });
    expect(noEvents.status).toBe(400);
    expect(((await noEvents.json()) as { error: { message: string } }).error.message).toMatch(
      /^events/,
    );
    const anonymous = await SELF.fetch("http://edge.test/v1/events", {
      method: "POST",
      body: JSON.stringify({ events: [play()] }),
    });
    expect(anonymous.status).toBe(401);
  });

  it("answers 429 with Retry-After once a session exceeds its batch budget", async () => {
    const app = createApp();
    const tight = { ...env, EVENTS_RATE_LIMIT: "3" };
    const send = (input: RequestInfo | URL, init?: RequestInit) =>
      Promise.resolve(app.request(input as string, init, tight));
    const { token } = await login();
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post(token, { events: [play()] }, send)).status);
    expect(statuses).toEqual([202, 202, 202]);
    const limited = await post(token, { events: [play()] }, send);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe(
      "EVENTS.RATE_LIMITED",
    );
    const otherSession = await login();
    expect((await post(otherSession.token, { events: [play()] }, send)).status).toBe(202);
  });

  it("caps a user's batches over all their sessions, so minting sessions buys nothing", async () => {
    const app = createApp();
    const tight = { ...env, EVENTS_RATE_LIMIT: "2" };
    const send = (input: RequestInfo | URL, init?: RequestInit) =>
      Promise.resolve(app.request(input as string, init, tight));
    const { userId } = await login();
    const statuses = [];
    // Two batches per session, a new session each time: the user's budget is 2 sessions' worth.
    for (let s = 0; s < 3; s++) {
      const { token } = await login(userId);
      for (let i = 0; i < 2; i++) {
        statuses.push((await post(token, { events: [play()] }, send)).status);
      }
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    const { token } = await login(userId);
    const limited = await post(token, { events: [play()] }, send);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toBe(
      "too many event batches for this user",
    );
    // Another user is not affected.
    const other = await login();
    expect((await post(other.token, { events: [play()] }, send)).status).toBe(202);
  });

  it("counts 100 distinct-id likes of one video as one like; unlike, then like, once more", async () => {
    // Was: 100 likes with distinct ids from one user → likes 102.
    const { userId, token, sessionId } = await login();
    const like = (i: number) => ({ id: `like-${i}`, type: "like", video_id: "v1", ts: i });
    const likes = Array.from({ length: 100 }, (_, i) => like(i));
    expect(await (await post(token, { events: likes })).json()).toMatchObject({
      accepted: 1,
      duplicates: 99,
    });
    // A second session of the same user shares the state.
    const other = await login(userId);
    expect(await (await post(other.token, { events: [like(200)] })).json()).toMatchObject({
      accepted: 0,
      duplicates: 1,
    });
    const unlike = (i: number) => ({ id: `unlike-${i}`, type: "unlike", video_id: "v1", ts: i });
    const toggled = await post(token, { events: [unlike(1), unlike(2), like(300), like(301)] });
    expect(await toggled.json()).toMatchObject({ accepted: 2, duplicates: 2 });
    const follow = (i: number) => ({
      id: `follow-${i}`,
      type: "follow",
      video_id: "v1",
      ts: i,
      creator_id: "c-followed",
    });
    expect(await (await post(token, { events: [follow(1), follow(2)] })).json()).toMatchObject({
      accepted: 1,
      duplicates: 1,
    });
    const stored = await storedFor(userId, sessionId);
    expect(stored.map((s) => s.event.id)).toEqual(["like-0", "unlike-1", "like-300", "follow-1"]);
    expect(await redis.sismember(EventKeys.likes(userId), "v1")).toBe(1);
  });

  it("takes at most 200 events of one user for one video per 30 minutes, over all sessions", async () => {
    // Was: one user's events all counted, so one account could move a video's counters at will.
    const { userId, token, sessionId } = await login();
    const other = await login(userId);
    const shares = (from: number, n: number, video = "v2") =>
      Array.from({ length: n }, (_, i) => ({
        id: `share-${video}-${from + i}`,
        type: "share",
        video_id: video,
        ts: from + i,
      }));
    for (let b = 0; b < 2; b++) {
      const body = await (await post(token, { events: shares(b * 100, 100) })).json();
      expect(body).toMatchObject({ accepted: 100, rejected: [] });
    }
    const over = (await (await post(other.token, { events: shares(200, 3) })).json()) as {
      accepted: number;
      rejected: { index: number; field: string; reason: string }[];
    };
    expect(over.accepted).toBe(0);
    expect(over.rejected).toEqual(
      [0, 1, 2].map((index) => ({
        index,
        field: "video_id",
        reason: `more than ${VIDEO_BUDGET_EVENTS} events for video v2 in 30 minutes`,
      })),
    );
    // Another video, and another user, have budgets of their own.
    expect(await (await post(other.token, { events: shares(0, 1, "v1") })).json()).toMatchObject({
      accepted: 1,
    });
    const stranger = await login();
    expect(await (await post(stranger.token, { events: shares(0, 1) })).json()).toMatchObject({
      accepted: 1,
    });
    expect((await storedFor(userId, sessionId)).length).toBe(VIDEO_BUDGET_EVENTS);
    const ttl = await redis.ttl(EventKeys.videoBudget(userId, "v2"));
    expect(ttl).toBeGreaterThan(29 * 60);
    expect(ttl).toBeLessThanOrEqual(30 * 60);
  });

  it("rejects, per event and naming the video, events of videos that are not live", async () => {
    // Was: events for a video id that does not exist were counted.
    await seedCatalog(["v-processing"]);
    await redis.hset(CatalogKeys.video("v-processing"), { status: "processing" });
    const { userId, token, sessionId } = await login();
    const response = await post(token, {
      events: [play("v-missing"), play("v1"), play("v-processing")],
    });
    expect(await response.json()).toMatchObject({
      accepted: 1,
      rejected: [
        { index: 0, field: "video_id", reason: "video v-missing is not live" },
        { index: 2, field: "video_id", reason: "video v-processing is not live" },
      ],
    });
    expect((await storedFor(userId, sessionId)).map((s) => s.event.video_id)).toEqual(["v1"]);
    // A rejected event claimed no dedupe key: once the video is live, its retry counts.
    const retry = { ...play("v-processing"), id: "retry-when-live" };
    expect(await (await post(token, { events: [retry] })).json()).toMatchObject({ accepted: 0 });
    await redis.hset(CatalogKeys.video("v-processing"), { status: "live" });
    expect(await (await post(token, { events: [retry] })).json()).toMatchObject({ accepted: 1 });
  });

  it("rejects watch times and positions past the video's end, with 2 s of slack", async () => {
    // Was: progress with watch_ms 3600000 on a short video was accepted.
    const { token } = await login();
    const bound = V1_DURATION_MS + 2_000;
    const progress = (id: string, watch: number, position: number) => ({
      id,
      type: "progress",
      video_id: "v1",
      ts: 1,
      watch_ms: watch,
      position_ms: position,
      duration_ms: V1_DURATION_MS,
    });
    const response = await post(token, {
      events: [
        progress("hour", 3_600_000, 1_000),
        progress("within-slack", bound, V1_DURATION_MS),
        progress("past-end", 1_000, bound + 1),
        { id: "long-skip", type: "skip", video_id: "v1", ts: 1, watch_ms: 60_000 },
      ],
    });
    expect(await response.json()).toMatchObject({
      accepted: 1,
      rejected: [
        {
          index: 0,
          field: "watch_ms",
          reason: `must be ≤ ${bound} (the video's duration plus 2000 ms)`,
        },
        { index: 2, field: "position_ms", reason: expect.stringContaining(String(bound)) },
        { index: 3, field: "watch_ms", reason: expect.stringContaining(String(bound)) },
      ],
    });
  });
});
