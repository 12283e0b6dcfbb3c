import { randomUUID } from "node:crypto";
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { CatalogKeys, OriginalKeys } from "../../contracts/keyspace";
import { InternalHeaders, VIDEO_ID_HEADER } from "../../contracts/upload.schema";
import { errorOf, fuzz, nastyString } from "../../testing/origin/fuzz/fuzz.testing";
import { CatalogStore } from "../catalog/catalog.store";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { uploadsRoute } from "./uploads.route";

const redis = new Redis(inject("redisUrl"));
const s3Config = testS3Config();
const s3 = createS3Client(s3Config);
const catalog = new CatalogStore(redis);
const SECRET = "fuzz-uploads-secret";
const MAX_BYTES = 64 * 1024;
const run = randomUUID().replaceAll("-", "").slice(0, 10);
// No transcode worker reads this stream: finished uploads just queue a job nobody takes.
const jobsStream = `uploads-fuzz-${run}`;
const app = uploadsRoute({
  redis,
  s3,
  s3Config,
  sharedSecret: SECRET,
  maxBytes: MAX_BYTES,
  jobsStream,
});

afterAll(async () => {
  await redis.del(jobsStream);
  redis.disconnect();
  s3.destroy();
});

const TUS = { "tus-resumable": "1.0.0" };
let creators = 0;
/** A creator per upload: dedupe is per creator, so no two cases can answer with each other. */
const nextCreator = () => `fzup${run}-${creators++}`;

const headersOf = (creator: string, extra: Record<string, string> = {}) => ({
  ...TUS,
  [INTERNAL_AUTH_HEADER]: SECRET,
  [InternalHeaders.userId]: creator,
  ...extra,
});

async function objectBytes(key: string): Promise<Uint8Array | null> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: s3Config.bucket, Key: key }));
    return (await object.Body?.transformToByteArray()) ?? null;
  } catch (error) {
    if (error instanceof Error && error.name === "NoSuchKey") return null;
    throw error;
  }
}

async function objectExists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: s3Config.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/**
 * A 4xx from our middleware or hooks is an error body; tus's own protocol answers are text, and
 * a HEAD has no body at all.
 */
async function expectClientError(
  response: Response,
  context: string,
  method = "GET",
): Promise<void> {
  expect(response.status, context).toBeGreaterThanOrEqual(400);
  expect(response.status, context).toBeLessThan(500);
  if (method !== "HEAD" && response.headers.get("content-type")?.includes("json")) {
    await errorOf(response);
  }
}

async function create(creator: string, size: number) {
  const response = await app.request("/uploads", {
    method: "POST",
    headers: headersOf(creator, { "upload-length": String(size) }),
  });
  expect(response.status).toBe(201);
  const location = response.headers.get("location") ?? "";
  return location.slice(location.lastIndexOf("/") + 1);
}

async function headOffset(id: string, creator: string): Promise<Response> {
  return app.request(`/uploads/${id}`, { method: "HEAD", headers: headersOf(creator) });
}

type Op =
  | { kind: "head" }
  | { kind: "status" }
  | { kind: "delete" }
  | { kind: "stranger"; method: "HEAD" | "PATCH" | "DELETE" | "GET" }
  | {
      kind: "patch";
      /** 0: at the upload's offset; otherwise that far off it. */
      skew: number;
      /** A share of what is left, in [0, 1.5]: past 1 runs over the upload's length. */
      share: number;
      offsetHeader: "number" | "missing" | "garbage";
      contentType: string | undefined;
      declaredLength: boolean;
    };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: "head" }),
  fc.constant<Op>({ kind: "status" }),
  fc.constant<Op>({ kind: "delete" }),
  fc.record({
    kind: fc.constant("stranger" as const),
    method: fc.constantFrom("HEAD" as const, "PATCH" as const, "DELETE" as const, "GET" as const),
  }),
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("patch" as const),
      skew: fc.oneof(
        { weight: 4, arbitrary: fc.constant(0) },
        fc.integer({ min: -5, max: 5 }),
        fc.constantFrom(-1_000_000, 1_000_000, 2 ** 53),
      ),
      share: fc.oneof(fc.double({ min: 0, max: 1.5, noNaN: true }), fc.constantFrom(0, 1)),
      offsetHeader: fc.oneof(
        { weight: 8, arbitrary: fc.constant("number" as const) },
        fc.constantFrom("missing" as const, "garbage" as const),
      ),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant("application/offset+octet-stream") },
        fc.constantFrom(undefined, "text/plain", ""),
      ),
      declaredLength: fc.boolean(),
    }),
  },
);

describe("tus /uploads under fuzz", () => {
  it("random create/HEAD/PATCH/DELETE sequences: never 5xx, the object is exactly the accepted bytes", async () => {
    const scenario = fc.record({
      size: fc.integer({ min: 1, max: 4096 }),
      ops: fc.array(op, { minLength: 1, maxLength: 8 }),
      fill: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    await fuzz(
      "tus /uploads sequences",
      fc.asyncProperty(scenario, async ({ size, ops, fill }) => {
        // Bytes unique to the case (its seed and creator), so the final object proves which
        // bytes were kept: garbage sent at a wrong offset is 0xEE and would show.
        const file = new Uint8Array(size);
        let state = fill;
        for (let i = 0; i < size; i++) {
          state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
          file[i] = state >>> 24;
        }
        const creator = nextCreator();
        const id = await create(creator, size);
        let offset = 0;
        let deleted = false;
        for (const [step, action] of ops.entries()) {
          const context = `step ${step} ${JSON.stringify(action)} at ${offset}/${size}`;
          const finished = offset === size;
          if (action.kind === "head") {
            const response = await headOffset(id, creator);
            if (deleted) {
              await expectClientError(response, context, "HEAD");
            } else {
              expect(response.status, context).toBe(200);
              expect(response.headers.get("upload-offset"), context).toBe(String(offset));
              expect(response.headers.get("upload-length"), context).toBe(String(size));
            }
          } else if (action.kind === "status") {
            const response = await app.request(`/uploads/${id}/status`, {
              headers: headersOf(creator),
            });
            if (deleted) await expectClientError(response, context);
            else expect(response.status, context).toBe(200);
          } else if (action.kind === "delete") {
            const response = await app.request(`/uploads/${id}`, {
              method: "DELETE",
              headers: headersOf(creator),
            });
            if (deleted) {
              await expectClientError(response, context);
            } else if (finished) {
              expect(response.status, context).toBe(409);
              expect((await errorOf(response)).code).toBe("UPLOAD.FINISHED");
            } else {
              expect(response.status, context).toBe(204);
              deleted = true;
            }
          } else if (action.kind === "stranger") {
            const response = await app.request(
              `/uploads/${id}${action.method === "GET" ? "/status" : ""}`,
              {
                method: action.method,
                headers: headersOf(`${creator}-other`, {
                  "upload-offset": String(offset),
                  "content-type": "application/offset+octet-stream",
                }),
                ...(action.method === "PATCH" ? { body: new Uint8Array([0xee]) } : {}),
              },
            );
            expect(response.status, context).toBe(deleted ? 404 : 403);
            if (action.method !== "HEAD") await errorOf(response);
          } else {
            const left = size - offset;
            const length = Math.floor(left * action.share);
            const at = offset + action.skew;
            const right = action.skew === 0 && action.offsetHeader === "number";
            // Past the upload's end the file has no more bytes: the overrun is the 0xEE filler.
            const body = new Uint8Array(length).fill(0xee);
            if (right) body.set(file.slice(at, at + length));
            const headers: Record<string, string> = headersOf(creator);
            if (action.offsetHeader === "number") headers["upload-offset"] = String(at);
            if (action.offsetHeader === "garbage") headers["upload-offset"] = "x1";
            if (action.contentType !== undefined) headers["content-type"] = action.contentType;
            if (action.declaredLength) headers["content-length"] = String(body.byteLength);
            const response = await app.request(`/uploads/${id}`, {
              method: "PATCH",
              headers,
              body,
            });
            expect(response.status, context).toBeLessThan(500);
            const accepts =
              !deleted &&
              right &&
              action.contentType === "application/offset+octet-stream" &&
              length <= left;
            if (finished && !deleted) {
              expect(response.status, context).toBe(409);
              expect((await errorOf(response)).code).toBe("UPLOAD.FINISHED");
            } else if (accepts) {
              expect(response.status, context).toBe(204);
              offset += length;
              expect(response.headers.get("upload-offset"), context).toBe(String(offset));
              if (offset === size) expect(response.headers.get(VIDEO_ID_HEADER)).toBe(id);
            } else {
              await expectClientError(response, context);
            }
          }
          if (!deleted) {
            // Whatever the step did, the upload's offset is what the model says it is.
            const head = await headOffset(id, creator);
            expect(head.headers.get("upload-offset"), `after ${context}`).toBe(String(offset));
          }
        }
        if (deleted) {
          expect(await catalog.get(id)).toBeUndefined();
          expect(await objectExists(OriginalKeys.original(id))).toBe(false);
          return;
        }
        if (offset < size) {
          const response = await app.request(`/uploads/${id}`, {
            method: "PATCH",
            headers: headersOf(creator, {
              "upload-offset": String(offset),
              "content-type": "application/offset+octet-stream",
            }),
            body: file.slice(offset),
          });
          expect(response.status).toBe(204);
        }
        const stored = await objectBytes(OriginalKeys.original(id));
        expect(stored?.byteLength).toBe(size);
        expect(Buffer.from(stored ?? []).equals(Buffer.from(file))).toBe(true);
        expect((await catalog.get(id))?.status).toBe("processing");
      }),
      { numRuns: 80, timeLimitMs: 20_000 },
    );
  });

  it("concurrent PATCHes and HEADs on one upload: never 5xx, the object is still exactly the file", async () => {
    const scenario = fc.record({
      size: fc.integer({ min: 1, max: 4096 }),
      requests: fc.array(
        fc.record({
          kind: fc.constantFrom(
            "right" as const,
            "wrong" as const,
            "head" as const,
            // A client retrying its final PATCH: no bytes, at the upload's end.
            "retry-end" as const,
          ),
          // Often the whole file, so the final PATCH itself races the others.
          share: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
          // Staggered starts reach the windows between tus's steps, not only the lock queue.
          delayMs: fc.integer({ min: 0, max: 20 }),
        }),
        { minLength: 2, maxLength: 4 },
      ),
      fill: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    });
    await fuzz(
      "tus /uploads concurrent PATCH",
      fc.asyncProperty(scenario, async ({ size, requests, fill }) => {
        const file = new Uint8Array(size).map((_, i) => (fill + i * 31) & 0xff);
        const creator = nextCreator();
        const id = await create(creator, size);
        const patchHeaders = (at: number) =>
          headersOf(creator, {
            "upload-offset": String(at),
            "content-type": "application/offset+octet-stream",
          });
        // Racing requests for one upload: the RedisLocker hands the lock to the newest.
        const responses = await Promise.all(
          requests.map(async ({ kind, share, delayMs }) => {
            await new Promise((resolve) => setTimeout(resolve, delayMs));
            if (kind === "head") return headOffset(id, creator);
            const length = Math.floor(size * share);
            const body =
              kind === "right" ? file.slice(0, length) : new Uint8Array(length).fill(0xee);
            if (kind === "retry-end") {
              return app.request(`/uploads/${id}`, {
                method: "PATCH",
                headers: patchHeaders(size),
                body: new Uint8Array(0),
              });
            }
            const at = kind === "right" ? 0 : 1 + (length % size);
            return app.request(`/uploads/${id}`, {
              method: "PATCH",
              headers: patchHeaders(at),
              body,
            });
          }),
        );
        for (const [i, response] of responses.entries()) {
          const context = `${JSON.stringify(requests[i])}: ${await response.clone().text()}`;
          expect(response.status, context).toBeLessThan(500);
        }
        const head = await headOffset(id, creator);
        expect(head.status).toBe(200);
        const offset = Number(head.headers.get("upload-offset"));
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThanOrEqual(size);
        if (offset < size) {
          const rest = await app.request(`/uploads/${id}`, {
            method: "PATCH",
            headers: patchHeaders(offset),
            body: file.slice(offset),
          });
          expect(rest.status, await rest.clone().text()).toBe(204);
        }
        // Whichever requests won, only the file's own bytes at their own offsets were kept.
        const stored = await objectBytes(OriginalKeys.original(id));
        expect(stored?.byteLength).toBe(size);
        expect(Buffer.from(stored ?? []).equals(Buffer.from(file))).toBe(true);
      }),
      { numRuns: 30, timeLimitMs: 10_000 },
    );
  });

  it("creation with random headers: never 5xx, refusals are error bodies, garbage makes no entry", async () => {
    const header = fc.option(fc.oneof(nastyString(), fc.stringMatching(/^[ -~]{0,40}$/)), {
      nil: undefined,
    });
    const accepted = new Set<string>();
    // Headers carry bytes, not text: anything else is escaped so the case still reaches tus.
    const printable = (s: string | undefined) =>
      s?.replace(/[^\t -~]/gu, (c) => `\\u${c.codePointAt(0)?.toString(16)}`);
    await fuzz(
      "tus POST /uploads headers",
      fc.asyncProperty(
        fc.record({
          length: fc.oneof(
            fc.constantFrom(
              "0",
              "-1",
              "1",
              String(MAX_BYTES),
              String(MAX_BYTES + 1),
              "1e3",
              "abc",
              "9".repeat(30),
            ),
            header,
          ),
          metadata: header,
          user: fc.oneof(
            fc.constant(`fzup${run}-c`),
            header,
            // Garbage that carries the run's tag, so the key scan below can find what it made.
            header.map((garbage) => `fzup${run}-g${garbage ?? ""}`),
          ),
          secret: fc.constantFrom(SECRET, undefined, "nope"),
          tus: fc.boolean(),
        }),
        async ({ length, metadata, user, secret, tus }) => {
          const headers: Record<string, string> = {};
          if (tus) headers["tus-resumable"] = "1.0.0";
          if (secret !== undefined) headers[INTERNAL_AUTH_HEADER] = secret;
          const set = (name: string, value: string | undefined) => {
            const safe = printable(value);
            if (safe !== undefined) headers[name] = safe;
          };
          set("upload-length", length);
          set("upload-metadata", metadata);
          set(InternalHeaders.userId, user);
          const response = await app.request("/uploads", { method: "POST", headers });
          const context = JSON.stringify(headers);
          expect(response.status, context).toBeLessThan(500);
          if (response.status === 201) {
            const location = response.headers.get("location") ?? "";
            const id = location.slice(location.lastIndexOf("/") + 1);
            const entry = await catalog.get(id);
            expect(entry?.creator_id, context).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
            accepted.add(entry?.creator_id ?? "");
            return;
          }
          await expectClientError(response, context);
          if (secret !== SECRET) expect(response.status).toBe(401);
        },
      ),
      { numRuns: 150, timeLimitMs: 8_000 },
    );
    // Only creators that were let in have keys: `creator:{id}:videos` of an accepted, valid id.
    const allowed = new Set([...accepted].map((creator) => CatalogKeys.creatorVideos(creator)));
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `*fzup${run}-g*`, "COUNT", 1000);
      for (const found of keys) expect(allowed, `key ${JSON.stringify(found)}`).toContain(found);
      cursor = next;
    } while (cursor !== "0");
  });
});
