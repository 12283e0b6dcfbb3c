import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionOf, type StoredEvent } from "../../contracts/event.schema";
import { EventKeys } from "../../contracts/keyspace";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { createApp } from "../app";

const redis = redisFromEnv(env);
const partitions = Number(env.EVENT_PARTITIONS);

async function login(userId = `u-${crypto.randomUUID().slice(0, 8)}`) {
  const response = await SELF.fetch("http://edge.test/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId, region: "eu" }),
  });
  const body = (await response.json()) as { token: string; session_id: string };
  return { userId, token: body.token, sessionId: body.session_id };
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

describe("POST /v1/events", () => {
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
});
