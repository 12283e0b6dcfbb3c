import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { InternalHeaders } from "../../contracts/upload.schema";
import { anyJson, errorOf, fuzz, NASTY_STRINGS } from "../../testing/origin/fuzz/fuzz.testing";
import { fuzzRun } from "../../testing/origin/fuzz/internal-routes.testing";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { createOriginApp } from "./origin.app";

const redis = new Redis(inject("redisUrl"));
const s3Config = testS3Config();
const s3 = createS3Client(s3Config);
const SECRET = "fuzz-app-secret";
const METRICS_TOKEN = "fuzz-metrics-token";
const { prefix } = fuzzRun("app");
const jobsStream = `app-fuzz-${randomUUID()}`;
// Every route the origin mounts, as startOrigin mounts them.
const app = createOriginApp({
  redis,
  s3,
  bucket: s3Config.bucket,
  uploads: { redis, s3, s3Config, sharedSecret: SECRET, maxBytes: 4096, jobsStream },
  serveMedia: { s3, bucket: s3Config.bucket, sharedSecret: SECRET },
  ranking: {
    refresh: { redis, sharedSecret: SECRET, keyPrefix: prefix },
    rank: { redis, sharedSecret: SECRET, keyPrefix: prefix, model: () => undefined },
  },
  metricsToken: METRICS_TOKEN,
});

afterAll(async () => {
  await redis.del(jobsStream);
  redis.disconnect();
  s3.destroy();
});

const printable = fc.stringMatching(/^[!-~]{0,30}$/);
/** A lone surrogate has no UTF-8, so encodeURIComponent throws; its escape stands in. */
const encoded = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
};
const segment = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS.map(encoded), "..", "%2e%2e", "%00", "%ff"),
  fc.stringMatching(/^[A-Za-z0-9_.~-]{0,20}$/),
);
const path = fc.oneof(
  fc.constantFrom(
    "/healthz",
    "/metrics",
    "/v1/rank",
    "/internal/feed/refresh",
    "/media/videos/x/v1/master.m3u8",
    "/uploads",
    "/",
  ),
  fc
    .tuple(
      fc.constantFrom("", "/healthz", "/metrics", "/v1", "/internal", "/media", "/uploads"),
      fc.array(segment, { maxLength: 4 }),
    )
    .map(([root, rest]) => `${root}/${rest.join("/")}`),
);
const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

describe("the origin app under fuzz", () => {
  it("any method, path, header and body: never 5xx, and 4xx outside tus are error bodies", async () => {
    const request = fc.record({
      method,
      path,
      secret: fc.option(fc.constantFrom(SECRET, "wrong", ""), { nil: undefined }),
      scrape: fc.option(fc.constantFrom(METRICS_TOKEN, SECRET, "wrong", ""), { nil: undefined }),
      user: fc.option(printable, { nil: undefined }),
      contentType: fc.option(fc.constantFrom("application/json", "text/plain", "x/y"), {
        nil: undefined,
      }),
      tus: fc.boolean(),
      body: fc.option(
        anyJson().map((value) => JSON.stringify(value)),
        { nil: undefined },
      ),
    });
    await fuzz(
      "origin app routes (incl. /metrics, /healthz)",
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.secret !== undefined) headers[INTERNAL_AUTH_HEADER] = r.secret;
        if (r.scrape !== undefined) headers.authorization = `Bearer ${r.scrape}`;
        if (r.user !== undefined) headers[InternalHeaders.userId] = r.user;
        if (r.contentType !== undefined) headers["content-type"] = r.contentType;
        if (r.tus) headers["tus-resumable"] = "1.0.0";
        const hasBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
        const response = await app.request(`http://origin${r.path}`, {
          method: r.method,
          headers,
          ...(hasBody ? { body: r.body } : {}),
        });
        const context = `${r.method} ${r.path} ${JSON.stringify(headers)}`;
        expect(response.status, context).toBeLessThan(500);
        const pathname = new URL(`http://origin${r.path}`).pathname;
        if (r.method === "GET" && pathname === "/metrics") {
          // Only the metrics token opens it; the internal secret is not a scraper's credential.
          if (r.scrape === METRICS_TOKEN) {
            expect(response.status, context).toBe(200);
            expect(await response.text()).toMatch(/^# HELP /m);
          } else {
            expect(response.status, context).toBe(401);
          }
        }
        if (r.method === "GET" && pathname === "/healthz") expect(response.status).toBe(200);
        const tus = pathname === "/uploads" || pathname.startsWith("/uploads/");
        const json = response.headers.get("content-type")?.includes("json") ?? false;
        if (response.status >= 400 && r.method !== "HEAD" && (!tus || json)) {
          await errorOf(response);
        }
      }),
      { numRuns: 300, timeLimitMs: 10_000 },
    );
  });
});
