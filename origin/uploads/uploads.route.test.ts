import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import * as v from "valibot";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ErrorBodySchema } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { InternalHeaders } from "../../contracts/upload.schema";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { uploadsRoute } from "./uploads.route";

const redis = new Redis(inject("redisUrl"));
const s3Config = testS3Config();
const s3 = createS3Client(s3Config);
const SECRET = "uploads-regression-secret";
const jobsStream = `uploads-regression-${randomUUID()}`;
const app = uploadsRoute({ redis, s3, s3Config, sharedSecret: SECRET, maxBytes: 8192, jobsStream });

afterAll(async () => {
  await redis.del(jobsStream);
  redis.disconnect();
  s3.destroy();
});

function newUpload(size: number) {
  const headers = {
    "tus-resumable": "1.0.0",
    [INTERNAL_AUTH_HEADER]: SECRET,
    [InternalHeaders.userId]: `reg-${randomUUID().slice(0, 8)}`,
  };
  return {
    headers,
    async create(): Promise<string> {
      const created = await app.request("/uploads", {
        method: "POST",
        headers: { ...headers, "upload-length": String(size) },
      });
      expect(created.status).toBe(201);
      return new URL(created.headers.get("location") ?? "").pathname;
    },
    patch(url: string, offset: number, body: Uint8Array<ArrayBuffer>) {
      return app.request(url, {
        method: "PATCH",
        headers: {
          ...headers,
          "upload-offset": String(offset),
          "content-type": "application/offset+octet-stream",
        },
        body,
      });
    },
  };
}

describe("tus PATCH regressions", () => {
  // Found by uploads.fuzz.test.ts (concurrent PATCHes): an empty PATCH at the end racing the
  // final one, after tus completed the multipart upload but before the finish hook marked the
  // catalog entry, made @tus/s3-store complete it again: 500, in 12 of 15 tries.
  it("answers a retried final PATCH racing the final one with 409, never 500", async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const upload = newUpload(5_000);
      const url = await upload.create();
      const final = upload.patch(url, 0, new Uint8Array(5_000).fill(attempt));
      await new Promise((resolve) => setTimeout(resolve, attempt * 3));
      const retry = await upload.patch(url, 5_000, new Uint8Array(0));
      expect((await final).status).toBe(204);
      expect(retry.status).toBe(409);
      expect(v.parse(ErrorBodySchema, await retry.json()).error.code).toBe("UPLOAD.FINISHED");
    }
  });

  // Found by uploads.fuzz.test.ts: {size: 1, ops: [PATCH 1 byte at 0, PATCH 0 bytes at 1]}.
  // The repeated final PATCH made @tus/s3-store complete a completed multipart upload: 500.
  it("refuses a PATCH to a finished upload with 409, not 500", async () => {
    const headers = {
      "tus-resumable": "1.0.0",
      [INTERNAL_AUTH_HEADER]: SECRET,
      [InternalHeaders.userId]: `reg-${randomUUID().slice(0, 8)}`,
    };
    const created = await app.request("/uploads", {
      method: "POST",
      headers: { ...headers, "upload-length": "1" },
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get("location") ?? "").pathname;
    const patch = (offset: number, body: Uint8Array<ArrayBuffer>) =>
      app.request(url, {
        method: "PATCH",
        headers: {
          ...headers,
          "upload-offset": String(offset),
          "content-type": "application/offset+octet-stream",
        },
        body,
      });
    expect((await patch(0, new Uint8Array([7]))).status).toBe(204);
    for (const body of [new Uint8Array([]), new Uint8Array([8])]) {
      const again = await patch(1, body);
      expect(again.status).toBe(409);
      expect(v.parse(ErrorBodySchema, await again.json()).error.code).toBe("UPLOAD.FINISHED");
    }
    const head = await app.request(url, { method: "HEAD", headers });
    expect(head.headers.get("upload-offset")).toBe("1");
  });
});
