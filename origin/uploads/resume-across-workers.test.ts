import { randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { OriginalKeys, UploadLockKeys } from "../../contracts/keyspace";
import { InternalHeaders } from "../../contracts/upload.schema";
import { type RunningOrigin, startOrigin } from "../api/origin.server";
import { waitForHealthy } from "../dev/stack-processes";
import { testOriginConfig } from "../dev/test-s3";
import { createUpload, patchChunk, uploadOffset } from "./tus.client";

const SECRET = "test-origin-secret";
const headers = { [INTERNAL_AUTH_HEADER]: SECRET, [InternalHeaders.userId]: "creator-lock" };
const redis = new Redis(inject("redisUrl"));
const config = testOriginConfig(SECRET, {
  uploadMaxBytes: 1024 * 1024,
  // Nobody consumes this stream: the test is about the bytes, not the transcode.
  transcodeStream: `resume-across-workers-${randomUUID()}`,
  maxAttempts: 1,
});
const s3Config = config.s3;
// Two api workers: separate processes in production, separate origins (and lockers) here.
let first: RunningOrigin;
let second: RunningOrigin;

beforeAll(async () => {
  [first, second] = await Promise.all([startOrigin(config, 0), startOrigin(config, 0)]);
  await Promise.all([first, second].map((o) => waitForHealthy(`${o.url}/healthz`, 10_000)));
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  redis.disconnect();
});

/** A PATCH that sends `bytes` and then stalls, its connection open: a phone in a dead zone. */
function stalledPatch(url: string, offset: number, bytes: Uint8Array, declared: number) {
  const req = request(url, {
    method: "PATCH",
    headers: {
      ...headers,
      "tus-resumable": "1.0.0",
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
      "content-length": String(declared),
    },
  });
  req.on("error", () => {});
  req.write(bytes);
  return { cut: () => req.destroy() };
}

describe("tus uploads across api workers", () => {
  it("resumes on another worker only after the stalled writer let go, byte for byte", async () => {
    const bytes = new Uint8Array(randomBytes(96 * 1024));
    const created = await createUpload(
      { endpoint: `${first.url}/uploads`, headers },
      bytes.byteLength,
      { caption: "resumed elsewhere" },
    );
    const path = new URL(created.url).pathname;
    const half = bytes.byteLength / 2;
    const stalled = stalledPatch(`${first.url}${path}`, 0, bytes.subarray(0, half), bytes.length);
    await vi.waitFor(async () => {
      expect(await redis.exists(UploadLockKeys.lock(OriginalKeys.original(created.videoId)))).toBe(
        1,
      );
    });

    // The client gives up on the dead connection and asks another worker where to resume.
    // That worker waits for the first to store what it received: the offset is exact.
    const onSecond = { endpoint: `${second.url}/uploads`, headers };
    const resumeAt = await uploadOffset(onSecond, `${second.url}${path}`);
    expect(resumeAt).toBe(half);
    stalled.cut();

    const last = await patchChunk(onSecond, `${second.url}${path}`, resumeAt, bytes.slice(half));
    expect(last).toEqual({ offset: bytes.byteLength, videoId: created.videoId });
    const original = await fetch(
      `${s3Config.endpoint}/${s3Config.bucket}/originals/${created.videoId}`,
    );
    expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });
});
