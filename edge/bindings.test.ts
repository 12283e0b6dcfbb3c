import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { redisFromEnv } from "../worker-lib/redis.client";

// The Worker's bindings in workerd reach real services: Redis through the Upstash REST bridge
// in front of a real redis-server, and the R2 bucket that miniflare simulates locally.
describe("Worker bindings", () => {
  it("writes and reads Redis through the bridge with @upstash/redis", async () => {
    const redis = redisFromEnv(env);
    await redis.hset("video:bindings-test", { creator_id: "c42", duration_ms: 15000 });
    await redis.zadd("trending:bindings-test", { score: 9, member: "video:bindings-test" });
    expect(await redis.hget("video:bindings-test", "creator_id")).toBe("c42");
    expect(await redis.zrange("trending:bindings-test", 0, -1)).toEqual(["video:bindings-test"]);
    const p = redis.pipeline();
    p.incr("bindings-test:counter");
    p.incr("bindings-test:counter");
    expect(await p.exec()).toEqual([1, 2]);
  });

  it("stores and reads an object in the R2 bucket, whole and by range", async () => {
    const body = new TextEncoder().encode("#EXTM3U\n#EXT-X-VERSION:3\n");
    await env.VIDEOS.put("videos/v1/master.m3u8", body, {
      httpMetadata: { contentType: "application/vnd.apple.mpegurl" },
    });
    const whole = await env.VIDEOS.get("videos/v1/master.m3u8");
    expect(whole?.httpMetadata?.contentType).toBe("application/vnd.apple.mpegurl");
    expect(await whole?.text()).toBe("#EXTM3U\n#EXT-X-VERSION:3\n");
    const part = await env.VIDEOS.get("videos/v1/master.m3u8", {
      range: { offset: 8, length: 17 },
    });
    expect(await part?.text()).toBe("#EXT-X-VERSION:3\n");
    expect(await env.VIDEOS.get("videos/none/master.m3u8")).toBeNull();
  });
});
