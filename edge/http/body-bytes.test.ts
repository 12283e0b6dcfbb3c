import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../app";
import { issueSessionToken } from "../session/session-token";

const MB = 1024 * 1024;

/**
 * A chunked body of `total` bytes in `chunkBytes` pieces, counting how many the server pulled;
 * with `failAfter`, the stream errors there, as a client's dropped connection does.
 */
function meteredBody(total: number, chunkBytes: number, failAfter = Number.POSITIVE_INFINITY) {
  const meter = { pulled: 0 };
  const chunk = new Uint8Array(chunkBytes).fill(32);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (meter.pulled >= failAfter) {
        controller.error(new Error("connection reset by peer"));
        return;
      }
      if (meter.pulled >= total) {
        controller.close();
        return;
      }
      meter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, meter };
}

async function postEvents(body: ReadableStream<Uint8Array>) {
  const { token } = await issueSessionToken(env.SIGNING_SECRET, {
    userId: "u-chunked",
    region: "eu",
  });
  return createApp().request(
    "/v1/events",
    {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit,
    env,
  );
}

describe("request bodies", () => {
  it("refuses a 50 MB chunked body with 413 after reading little more than the limit", async () => {
    const { stream, meter } = meteredBody(50 * MB, 64 * 1024);
    const response = await postEvents(stream);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      "REQUEST.BODY_TOO_LARGE",
    );
    // The events limit is 64 KB; one 64 KB chunk past it is the most that may be read.
    expect(meter.pulled).toBeLessThanOrEqual(256 * 1024);
  });

  it("answers a body the client abandons mid-way as an abort, not a 500", async () => {
    const { stream } = meteredBody(50 * MB, 100, 300);
    const response = await createApp().request(
      "/v1/sessions",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit,
      env,
    );
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string } };
    expect(error.code).toBe("REQUEST.ABORTED");
  });
});
