import { Ratelimit } from "@upstash/ratelimit";
import { Redis as Upstash } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";

// The real @upstash/redis and @upstash/ratelimit clients against the bridge and a real
// redis-server, as upstash's own emulator is tested with the client's own suite.
const url = inject("bridgeUrl");
const token = inject("bridgeToken");
const upstash = new Upstash({ url, token, retry: false });
const direct = new IORedis(inject("redisUrl"));

afterAll(() => direct.disconnect());

let prefix = "";
beforeEach((context) => {
  prefix = `t:${context.task.id}:`;
});
const key = (name: string) => `${prefix}${name}`;

async function rawPost(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body,
  });
}

describe("Upstash REST bridge", () => {
  it("serves strings, including unicode, counters and expiry", async () => {
    expect(await upstash.set(key("s"), "héllo ✓ 🎬")).toBe("OK");
    expect(await upstash.get(key("s"))).toBe("héllo ✓ 🎬");
    expect(await upstash.incrby(key("n"), 5)).toBe(5);
    expect(await upstash.set(key("e"), "x", { ex: 100, nx: true })).toBe("OK");
    expect(await upstash.set(key("e"), "y", { ex: 100, nx: true })).toBeNull();
    const ttl = await upstash.ttl(key("e"));
    expect(ttl).toBeGreaterThan(90);
    expect(await upstash.get(key("missing"))).toBeNull();
  });

  it("serves hashes", async () => {
    await upstash.hset(key("h"), { creator: "c1", duration_ms: 12000 });
    expect(await upstash.hget(key("h"), "creator")).toBe("c1");
    expect(await upstash.hgetall(key("h"))).toEqual({ creator: "c1", duration_ms: 12000 });
    expect(await upstash.hincrby(key("h"), "views", 3)).toBe(3);
  });

  it("serves sorted sets", async () => {
    await upstash.zadd(key("z"), { score: 1, member: "a" }, { score: 3, member: "c" });
    await upstash.zadd(key("z"), { score: 2, member: "b" });
    expect(await upstash.zrange(key("z"), 0, -1, { rev: true })).toEqual(["c", "b", "a"]);
    expect(await upstash.zrange(key("z"), 0, 0, { withScores: true })).toEqual(["a", 1]);
    expect(await upstash.zscore(key("z"), "b")).toBe(2);
    expect(await upstash.zpopmax(key("z"), 1)).toEqual(["c", 3]);
  });

  it("serves streams with consumer groups: XADD, XREADGROUP, XACK, XPENDING, XAUTOCLAIM", async () => {
    const stream = key("ev:0");
    const first = await upstash.xadd(stream, "*", { user: "u1", type: "play" });
    await upstash.xadd(stream, "*", { user: "u1", type: "skip" });
    expect(first).toMatch(/^\d+-\d+$/);
    await upstash.xgroup(stream, { type: "CREATE", group: "g", id: "0" });
    const read = (await upstash.xreadgroup("g", "worker-a", stream, ">", { count: 10 })) as [
      string,
      [string, string[]][],
    ][];
    const entries = read[0]?.[1] ?? [];
    expect(entries.map(([, fields]) => fields)).toEqual([
      ["user", "u1", "type", "play"],
      ["user", "u1", "type", "skip"],
    ]);
    expect(await upstash.xack(stream, "g", first)).toBe(1);
    const pending = (await upstash.xpending(stream, "g", "-", "+", 10)) as unknown[][];
    expect(pending).toHaveLength(1);
    expect(pending[0]?.[1]).toBe("worker-a");
    // A second worker takes over the entry worker-a never acknowledged.
    const claimed = (await upstash.xautoclaim(stream, "g", "worker-b", 0, "0-0")) as unknown[];
    const claimedEntries = claimed[1] as [string, string[]][];
    expect(claimedEntries.map(([, fields]) => fields)).toEqual([["user", "u1", "type", "skip"]]);
  });

  it("serves a blocking XREADGROUP without holding up other commands", async () => {
    const stream = key("ev:block");
    await upstash.xgroup(stream, {
      type: "CREATE",
      group: "g",
      id: "$",
      options: { MKSTREAM: true },
    });
    const blocked = upstash.xreadgroup("g", "w", stream, ">", { count: 1, blockMS: 2000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await upstash.set(key("during-block"), "1")).toBe("OK");
    await upstash.xadd(stream, "*", { n: "one" });
    const read = (await blocked) as [string, [string, string[]][]][];
    expect(read[0]?.[1][0]?.[1]).toEqual(["n", "one"]);
  });

  it("runs EVAL, SCRIPT LOAD and EVALSHA", async () => {
    const script = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
    expect(await upstash.eval(script, [key("lua")], ["4"])).toBe(4);
    const sha = await upstash.scriptLoad(script);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await upstash.evalsha(sha, [key("lua")], ["6"])).toBe(10);
    await expect(upstash.evalsha("0".repeat(40), [key("lua")], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("runs a pipeline in order, one failing command failing alone", async () => {
    await upstash.set(key("str"), "text");
    const p = upstash.pipeline();
    p.set(key("p1"), "a");
    p.incr(key("p2"));
    p.hincrby(key("str"), "f", 1);
    p.get(key("p1"));
    const results = await p.exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(["OK", 1, undefined, "a"]);
    expect(results[2]?.error).toMatch(/WRONGTYPE/);
  });

  it("runs a transaction atomically", async () => {
    const tx = upstash.multi();
    tx.set(key("m1"), "1");
    tx.incrby(key("m1"), 9);
    tx.get(key("m1"));
    expect(await tx.exec()).toEqual(["OK", 10, 10]);
  });

  it("aborts a transaction whose command Redis refuses to queue, applying nothing", async () => {
    const response = await rawPost(
      "/multi-exec",
      JSON.stringify([
        ["SET", key("never"), "1"],
        ["GET", key("never"), "extra", "args"],
      ]),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/EXECABORT|wrong number/);
    expect(await direct.exists(key("never"))).toBe(0);
  });

  it("returns binary values byte-exact as base64 when the client asks for it", async () => {
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x10, 0xc3]);
    await direct.set(key("bin"), bytes);
    const encoded = await rawPost("/", JSON.stringify(["GET", key("bin")]), {
      "upstash-encoding": "base64",
    });
    expect(await encoded.json()).toEqual({ result: bytes.toString("base64") });
    const plain = await rawPost("/", JSON.stringify(["SET", key("txt"), "ok"]));
    expect(await plain.json()).toEqual({ result: "OK" });
  });

  it("answers a command error with 400 and the Redis message", async () => {
    await upstash.set(key("str"), "text");
    await expect(upstash.hget(key("str"), "f")).rejects.toThrow(/WRONGTYPE/);
    const response = await rawPost("/", JSON.stringify(["NOSUCHCOMMAND", "x"]));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/unknown command/i);
  });

  it("refuses a wrong or missing token with 401", async () => {
    const wrong = new Upstash({ url, token: "not-the-token", retry: false });
    await expect(wrong.get(key("s"))).rejects.toThrow(/Unauthorized/);
    const missing = await fetch(`${url}/`, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(missing.status).toBe(401);
  });

  it("says what is wrong with a malformed request", async () => {
    const notJson = await rawPost("/", "{nope");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: "ERR request body is not valid JSON" });
    const badElement = await rawPost(
      "/pipeline",
      JSON.stringify([
        ["GET", "k"],
        ["SET", {}],
      ]),
    );
    expect(badElement.status).toBe(400);
    expect(((await badElement.json()) as { error: string }).error).toBe(
      "ERR command 1: element 1 must be a string, a finite number or a boolean",
    );
    const stateful = await rawPost("/", JSON.stringify(["SUBSCRIBE", "ch"]));
    expect(stateful.status).toBe(400);
    const huge = await rawPost("/", JSON.stringify(["SET", "k", "x".repeat(2 * 1024 * 1024)]));
    expect(huge.status).toBe(413);
  });

  it("backs @upstash/ratelimit", async () => {
    const limiter = new Ratelimit({
      redis: upstash,
      limiter: Ratelimit.fixedWindow(3, "60 s"),
      prefix: key("rl"),
    });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await limiter.limit("session-1")).success);
    expect(outcomes).toEqual([true, true, true, false]);
    const other = await limiter.limit("session-2");
    expect(other.success).toBe(true);
    expect(other.remaining).toBe(2);
  });
});
