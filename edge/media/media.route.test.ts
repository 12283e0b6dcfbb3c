import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  fixtureMaster,
  fixtureSegment,
  ORIGIN_FIXTURE_VIDEO,
} from "../../testing/contracts/media.fixtures";
import { edgeFetch } from "../../testing/edge/feed/feed.testing";
import { DEAD_URL } from "../../testing/worker-lib/redis.testing";

const TIER = "x-edgefeed-tier";

/** Media bodies as text without workerd's warning about decoding a binary content type. */
async function bodyText(response: Response): Promise<string> {
  return new TextDecoder().decode(await response.arrayBuffer());
}

describe("GET /v1/videos/* through the tiers", () => {
  it("serves from R2 first, then from the edge cache, with type, ETag and immutable caching", async () => {
    const key = "videos/r2-video/v1/240p/seg-00000.ts";
    await env.VIDEOS.put(key, "segment-from-r2", { httpMetadata: { contentType: "video/mp2t" } });
    const first = await edgeFetch(`/v1/${key}`);
    expect(first.status).toBe(200);
    expect(first.headers.get(TIER)).toBe("r2");
    expect(first.headers.get("content-type")).toBe("video/mp2t");
    expect(first.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^".+"$/);
    expect(await bodyText(first)).toBe("segment-from-r2");
    const second = await edgeFetch(`/v1/${key}`);
    expect(second.headers.get(TIER)).toBe("edge-cache");
    expect(second.headers.get("etag")).toBe(etag);
    expect(await bodyText(second)).toBe("segment-from-r2");
    const revalidated = await edgeFetch(`/v1/${key}`, { headers: { "if-none-match": etag! } });
    expect(revalidated.status).toBe(304);
  });

  it("pulls from the origin, writes through into R2, then serves from the edge cache", async () => {
    const key = `videos/${ORIGIN_FIXTURE_VIDEO}/v1/master.m3u8`;
    const first = await edgeFetch(`/v1/${key}`);
    expect(first.status).toBe(200);
    expect(first.headers.get(TIER)).toBe("origin");
    expect(first.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(await bodyText(first)).toBe(fixtureMaster());
    expect(await (await env.VIDEOS.get(key))?.text()).toBe(fixtureMaster());
    expect((await edgeFetch(`/v1/${key}`)).headers.get(TIER)).toBe("edge-cache");
  });

  it("answers Range requests with 206 on every tier and 416 past the end", async () => {
    const key = `videos/${ORIGIN_FIXTURE_VIDEO}/v1/720p/seg-00001.ts`;
    const whole = fixtureSegment("720p/seg-00001.ts");
    for (const tier of ["origin", "edge-cache"]) {
      const response = await edgeFetch(`/v1/${key}`, { headers: { range: "bytes=100-199" } });
      expect(response.status).toBe(206);
      expect(response.headers.get(TIER)).toBe(tier);
      expect(response.headers.get("content-range")).toBe(`bytes 100-199/${whole.length}`);
      expect(await bodyText(response)).toBe(whole.slice(100, 200));
    }
    const suffix = await edgeFetch(`/v1/${key}`, { headers: { range: "bytes=-10" } });
    expect(await bodyText(suffix)).toBe(whole.slice(-10));
    const past = await edgeFetch(`/v1/${key}`, { headers: { range: "bytes=99999-" } });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${whole.length}`);
  });

  it("answers an unsatisfiable Range with a 416 in the error shape, naming the range", async () => {
    // Was (fuzz counterexample [0, "bytes=0-"]): a 416 with an empty body.
    const key = "videos/range-empty/v1/240p/seg-00000.ts";
    await env.VIDEOS.put(key, new Uint8Array(0), { httpMetadata: { contentType: "video/mp2t" } });
    const past = await edgeFetch(`/v1/${key}`, { headers: { range: "bytes=0-" } });
    expect(past.status).toBe(416);
    expect(await past.json()).toEqual({
      error: { code: "REQUEST.INVALID_FIELD", message: expect.stringMatching(/^range: /) },
    });
    // Was (fuzz counterexample [0, "bytes=-1"]): 206 with `content-range: bytes 0--1/0`.
    const suffix = await edgeFetch(`/v1/${key}`, { headers: { range: "bytes=-1" } });
    expect(suffix.status).toBe(416);
    expect(suffix.headers.get("content-range")).toBe("bytes */0");
  });

  it("answers 404 for an unknown video", async () => {
    const response = await edgeFetch("/v1/videos/no-such-video/v1/master.m3u8");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "MEDIA.NOT_FOUND" } });
  });

  it("remembers an origin miss for a short while instead of asking the origin again", async () => {
    const path = "/v1/videos/never-uploaded/v1/master.m3u8";
    expect((await edgeFetch(path)).status).toBe(404);
    // With the origin gone, a request that reached it would answer 502: a 404 came from the edge.
    const again = await edgeFetch(path, {}, { ...env, ORIGIN_URL: DEAD_URL });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: { code: "MEDIA.NOT_FOUND" } });
    const other = await edgeFetch(
      "/v1/videos/never-uploaded/v1/poster.jpg",
      {},
      {
        ...env,
        ORIGIN_URL: DEAD_URL,
      },
    );
    expect(other.status).toBe(502);
  });

  it("answers 502 when only the origin could have it and the origin is down", async () => {
    const response = await edgeFetch(
      "/v1/videos/not-cached/v1/master.m3u8",
      {},
      {
        ...env,
        ORIGIN_URL: DEAD_URL,
      },
    );
    expect(response.status).toBe(502);
  });

  it("never serves an object outside a video's prefix", async () => {
    await env.VIDEOS.put("secret.txt", "do not serve");
    await env.VIDEOS.put("originals/raw.mp4", "do not serve");
    for (const path of [
      "/v1/videos/a/v1/../../../secret.txt",
      "/v1/videos/a/v1/%2e%2e/%2e%2e/%2e%2e/secret.txt",
      "/v1/videos/a/v1/..%2f..%2f..%2fsecret.txt",
      "/v1/videos/a/v1/240p/..%5c..%5csecret.ts",
      "/v1/videos/a/v1/240p%2f..%2f..%2fmaster.m3u8",
      "/v1/videos/a/v1//master.m3u8",
      "/v1/videos/../originals/raw.mp4",
      "/v1/videos/a/v1/master.m3u8%00.ts",
      "/v1/videos/a/v1/notes.txt",
    ]) {
      const response = await edgeFetch(path);
      expect([400, 404], path).toContain(response.status);
      expect(await bodyText(response), path).not.toContain("do not serve");
    }
  });
});
