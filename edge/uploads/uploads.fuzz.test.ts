import * as fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  badAuthorization,
  expectContract,
  fuzz,
  headerValue,
  hostileString,
  request,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";
import { account, anonymous } from "../../testing/edge/sessions.testing";

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

let auth: { authorization: string };
let anonymousAuth: { authorization: string };

/** One tus metadata pair, `key base64(value)`, the way the tus client sends it. */
const pair = (key: string, value: string) => `${key} ${b64(value)}`;

const VALID_METADATA = {
  caption: "fuzzed",
  hashtags: "#edge fuzz",
  audio_id: "a-1",
  language: "en",
};

/** Per metadata key, values UploadMetadataSchema refuses. */
const INVALID_METADATA: Record<keyof typeof VALID_METADATA, fc.Arbitrary<string>> = {
  caption: fc.string({ minLength: 2201, maxLength: 2400 }),
  hashtags: fc.oneof(
    fc.constantFrom("#a-b", "ok bad!", "x.y", "🙂"),
    fc
      .array(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 31, maxLength: 40 })
      .map((t) => t.join(" ")),
  ),
  audio_id: fc.oneof(fc.constantFrom("a b", "a/b", "é"), fc.stringMatching(/^[a-z]{65,70}$/)),
  language: fc.constantFrom("EN", "english", "e", "en_US", "en-", "123"),
};

const uploadLength = fc.oneof(
  fc.integer({ min: 1, max: 64 }).map(String),
  fc.constantFrom("0", "-1", "1.5", "NaN", "1e3", "18446744073709551616", "999999999999", ""),
  headerValue,
);

/** A metadata header that is valid except for one key, and that key. */
const nearValidMetadata = fc
  .constantFrom(...(Object.keys(INVALID_METADATA) as (keyof typeof VALID_METADATA)[]))
  .chain((key) =>
    INVALID_METADATA[key].map((bad) => ({
      key,
      header: Object.entries({ ...VALID_METADATA, [key]: bad })
        .map(([k, value]) => pair(k, value))
        .join(","),
    })),
  );

const garbageMetadata = fc.oneof(
  headerValue,
  fc
    .array(fc.tuple(fc.stringMatching(/^[a-z_]{1,10}$/), hostileString), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, value]) => pair(k, value)).join(",")),
);

describe("/v1/uploads under fuzz", () => {
  beforeAll(async () => {
    auth = { authorization: `Bearer ${(await account()).session.token}` };
    anonymousAuth = { authorization: `Bearer ${(await anonymous()).token}` };
  });

  it(
    "refuses every request without an account sign-in within the contract",
    async () => {
      const method = fc.constantFrom("POST", "HEAD", "PATCH", "DELETE", "GET");
      const path = fc.constantFrom("/v1/uploads", "/v1/uploads/abc", "/v1/uploads/abc/status");
      await fuzz(
        "/v1/uploads (authorization)",
        fc.tuple(method, path, fc.oneof(badAuthorization, fc.constant("anonymous"))),
        async ([m, p, authorization]) => {
          const headers = authorization === "anonymous" ? anonymousAuth : { authorization };
          const response = await request(m, p, {
            headers: { ...headers, "tus-resumable": "1.0.0" },
          });
          expect(response.status).toBe(authorization === "anonymous" ? 403 : 401);
          // A HEAD answer has no body by HTTP's rules: only its status can keep the contract.
          if (m !== "HEAD") await expectContract(response, "authorization");
        },
        { numRuns: 100, timeLimitMs: 8_000 },
      );
    },
    timeoutFor(8_000),
  );

  it(
    "POST creates or refuses within the contract, naming the broken header or metadata key",
    async () => {
      const creation = fc.oneof(
        fc.record({
          length: uploadLength,
          metadata: fc.option(garbageMetadata),
          resumable: fc.option(fc.oneof(fc.constant("1.0.0"), headerValue), { freq: 4 }),
          defer: fc.option(fc.constantFrom("1", "0", "yes")),
          concat: fc.option(fc.constantFrom("partial", "final;a b", "x")),
          field: fc.constant<string | undefined>(undefined),
        }),
        nearValidMetadata.map(({ key, header }) => ({
          length: "16",
          metadata: header,
          resumable: "1.0.0",
          defer: null,
          concat: null,
          field: key as string | undefined,
        })),
      );
      await fuzz(
        "POST /v1/uploads",
        creation,
        async ({ length, metadata, resumable, defer, concat, field }) => {
          const response = await request("POST", "/v1/uploads", {
            headers: {
              ...auth,
              "tus-resumable": resumable ?? undefined,
              "upload-length": length,
              "upload-metadata": metadata ?? undefined,
              "upload-defer-length": defer ?? undefined,
              "upload-concat": concat ?? undefined,
            },
          });
          const error = await expectContract(response, field);
          if (field) expect(error?.message).toContain("Upload-Metadata");
          const location = response.headers.get("location");
          // Created ones are terminated again, so the run leaves no uploads behind.
          if (response.status === 201 && location) {
            const gone = await request("DELETE", new URL(location).pathname, {
              headers: { ...auth, "tus-resumable": "1.0.0" },
            });
            expect(gone.status).toBe(204);
          }
        },
        { numRuns: 80, timeLimitMs: 15_000 },
      );
    },
    timeoutFor(15_000),
  );

  it(
    "HEAD, PATCH and DELETE of real and made-up uploads stay within the contract",
    async () => {
      const created = await request("POST", "/v1/uploads", {
        headers: { ...auth, "tus-resumable": "1.0.0", "upload-length": "32" },
      });
      expect(created.status).toBe(201);
      const real = new URL(created.headers.get("location") ?? "").pathname;
      const target = fc.oneof(
        fc.constant(real),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/).map((id) => `/v1/uploads/${id}`),
        fc.constantFrom("/v1/uploads/", "/v1/uploads/%2e%2e", "/v1/uploads/a/b", `${real}/status`),
      );
      const call = fc.record({
        method: fc.constantFrom("HEAD", "PATCH", "DELETE", "GET"),
        target,
        offset: fc.option(
          fc.oneof(fc.nat({ max: 40 }).map(String), fc.constantFrom("-1", "abc", "1e2", "")),
        ),
        contentType: fc.option(
          fc.constantFrom("application/offset+octet-stream", "text/plain", "application/json"),
          { freq: 3 },
        ),
        resumable: fc.option(fc.oneof(fc.constant("1.0.0"), headerValue), { freq: 4 }),
        body: fc.uint8Array({ maxLength: 48 }),
      });
      await fuzz(
        "HEAD/PATCH/DELETE /v1/uploads/{id}",
        call,
        async ({ method, target: path, offset, contentType, resumable, body }) => {
          // Never terminate the real upload: the rest of the run keeps probing it.
          const m = method === "DELETE" && path === real ? "HEAD" : method;
          const response = await request(m, path, {
            headers: {
              ...auth,
              "tus-resumable": resumable ?? undefined,
              "upload-offset": offset ?? undefined,
              "content-type": contentType ?? undefined,
            },
            ...(m === "PATCH" ? { body } : {}),
          });
          if (m === "HEAD") {
            expect(response.status).toBeLessThan(500);
            await response.arrayBuffer();
          } else {
            await expectContract(response);
          }
        },
        { numRuns: 100, timeLimitMs: 15_000 },
      );
    },
    timeoutFor(15_000),
  );
});
