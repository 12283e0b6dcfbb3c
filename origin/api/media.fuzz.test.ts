import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { parseMediaKey } from "../../contracts/media.schema";
import { errorOf, fuzz, NASTY_STRINGS } from "../../testing/origin/fuzz/fuzz.testing";
import { isSecret, secretHeader } from "../../testing/origin/fuzz/internal-routes.testing";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { createOriginApp } from "./origin.app";

const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());
const SECRET = "fuzz-media-secret";
const redis = new Redis(inject("redisUrl"));
// The whole app: a path that normalizes out of /media/ meets its not-found answer, as in prod.
const app = createOriginApp({
  redis,
  s3,
  bucket,
  serveMedia: { s3, bucket, sharedSecret: SECRET },
});
const video = `fzm${randomUUID().slice(0, 8)}`;
const KEY = `videos/${video}/v1/240p/seg-00000.ts`;
const BYTES = Buffer.from(Array.from({ length: 100 }, (_, i) => 48 + (i % 10)));

beforeAll(async () => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: BYTES }));
});
afterAll(() => {
  redis.disconnect();
  s3.destroy();
});

/** Keys MediaKeys could produce, existing or not, then broken one way or another. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constant(KEY) },
  fc.constantFrom(
    `videos/${video}/v1/master.m3u8`,
    `videos/${video}/v2/240p/seg-00000.ts`,
    `videos/${video}/v1/poster.jpg`,
    `videos/${video}/v1/240p/index.m3u8`,
  ),
  fc
    .tuple(
      fc.constantFrom(KEY, `videos/${video}/v1/master.m3u8`),
      fc.nat(),
      fc.constantFrom(...NASTY_STRINGS, "..", "%2e%2e", "%2f", "//", "\\", "/./", "?x=1", "#f"),
    )
    .map(([valid, at, insert]) => {
      const cut = at % (valid.length + 1);
      return `${valid.slice(0, cut)}${insert}${valid.slice(cut)}`;
    }),
  fc.string({ unit: "binary", maxLength: 60 }),
);

const range = fc.option(
  fc.oneof(
    fc.tuple(fc.nat({ max: 150 }), fc.nat({ max: 150 })).map(([a, b]) => `bytes=${a}-${b}`),
    fc.nat({ max: 150 }).map((n) => `bytes=${n}-`),
    fc.nat({ max: 150 }).map((n) => `bytes=-${n}`),
    fc.constantFrom(
      "bytes=",
      "bytes=-",
      "bytes=x-y",
      "bytes=0-1,5-6",
      "bytes=99999999999999999999-",
      "items=0-1",
      "bytes=-0",
      " bytes=0-1",
    ),
  ),
  { nil: undefined },
);

describe("GET /media/* under fuzz", () => {
  it("any key, range and secret: never 5xx, refusals are error bodies, bytes are the object's", async () => {
    await fuzz(
      "GET /media/*",
      fc.asyncProperty(key, range, secretHeader(SECRET), async (path, rangeHeader, secret) => {
        const headers: Record<string, string> = {};
        if (secret !== undefined) headers[INTERNAL_AUTH_HEADER] = secret;
        if (rangeHeader !== undefined) headers.range = rangeHeader;
        const url = new URL(`http://origin/media/${path}`);
        const context = `${url.pathname} range ${rangeHeader}`;
        const response = await app.request(url.toString(), { headers });
        expect(response.status, context).toBeLessThan(500);
        if (response.status >= 400) {
          const error = await errorOf(response);
          if (!url.pathname.startsWith("/media/")) expect(error.code).toBe("ROUTE.NOT_FOUND");
          else if (!isSecret(secret, SECRET)) expect(error.code).toBe("INTERNAL.UNAUTHORIZED");
          else if (!parseMediaKey(url.pathname.slice("/media/".length)))
            expect(error.code, context).toBe("MEDIA.BAD_PATH");
          return;
        }
        // Served: only a key MediaKeys names, only the one object that exists.
        expect(isSecret(secret, SECRET)).toBe(true);
        expect(url.pathname, context).toBe(`/media/${KEY}`);
        const body = Buffer.from(await response.arrayBuffer());
        if (response.status === 206) {
          const match = /^bytes (\d+)-(\d+)\/100$/.exec(
            response.headers.get("content-range") ?? "",
          );
          expect(match, context).not.toBeNull();
          const [from, to] = [Number(match?.[1]), Number(match?.[2])];
          expect(body.equals(BYTES.subarray(from, to + 1)), context).toBe(true);
        } else {
          expect(response.status, context).toBe(200);
          expect(body.equals(BYTES), context).toBe(true);
        }
      }),
      { numRuns: 300, timeLimitMs: 10_000 },
    );
  });
});
