import fc from "fast-check";
import { Redis } from "ioredis";
import * as v from "valibot";
import { afterAll, describe, expect, inject, it } from "vitest";
import { FallbackCauseSchema } from "../../contracts/feed.schema";
import { FeedRefreshResponseSchema } from "../../contracts/rank.schema";
import { anyJson, errorOf, fuzz, nastyString } from "../../testing/origin/fuzz/fuzz.testing";
import {
  expectOnlyValidIds,
  fuzzRun,
  isSecret,
  postJson,
  secretHeader,
  taggedUserId,
  VALID_REGION,
  VALID_USER_ID,
  validRegion,
} from "../../testing/origin/fuzz/internal-routes.testing";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { createOriginApp } from "./origin.app";

const redis = new Redis(inject("redisUrl"));
const s3 = createS3Client(testS3Config());
const SECRET = "fuzz-refresh-secret";
const { token, prefix } = fuzzRun("refresh");
const refresh = { redis, sharedSecret: SECRET, keyPrefix: prefix };
// The whole app, so an error escaping the route meets the same onError a real request would.
const app = createOriginApp({
  redis,
  s3,
  bucket: inject("s3Bucket"),
  ranking: { refresh, rank: { ...refresh, model: () => undefined } },
});

afterAll(() => {
  redis.disconnect();
  s3.destroy();
});

const CAUSES: readonly string[] = FallbackCauseSchema.options;
const FIELDS = ["user_id", "region", "cause"] as const;

/** The first field, in the contract's order, that the origin must refuse; null if none. */
function firstInvalid(body: Record<string, unknown>): string | null {
  const valid = {
    user_id: typeof body.user_id === "string" && VALID_USER_ID.test(body.user_id),
    region: typeof body.region === "string" && VALID_REGION.test(body.region),
    cause: typeof body.cause === "string" && CAUSES.includes(body.cause),
  };
  return FIELDS.find((field) => !valid[field]) ?? null;
}

const validBody = fc.record({
  user_id: taggedUserId(token).filter((id) => VALID_USER_ID.test(id)),
  region: validRegion,
  cause: fc.constantFrom(...CAUSES),
});

/** A valid body with one field set to garbage, removed, or an unknown field added. */
const nearValid = fc
  .tuple(
    validBody,
    fc.constantFrom(...FIELDS, "extra"),
    fc.option(fc.oneof(anyJson(), taggedUserId(token), nastyString()), { nil: undefined }),
  )
  .map(([body, field, value]): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...body };
    if (value === undefined) delete copy[field];
    else copy[field] = value;
    return copy;
  });

/** Objects with the contract's keys (or not) holding anything at all. */
const randomObject = fc.record(
  {
    user_id: fc.oneof(anyJson(), taggedUserId(token)),
    region: fc.oneof(anyJson(), validRegion),
    cause: fc.oneof(anyJson(), fc.constantFrom(...CAUSES)),
    extra: anyJson(),
  },
  { requiredKeys: [], noNullPrototype: true },
);

async function expectAnswer(
  body: string,
  secret: string | undefined,
  contentType: string | undefined,
) {
  const response = await postJson(app, "/internal/feed/refresh", body, secret, contentType);
  expect(response.status, body).toBeLessThan(500);
  if (!isSecret(secret, SECRET)) {
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("INTERNAL.UNAUTHORIZED");
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("REQUEST.MALFORMED_JSON");
    return;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    expect(response.status, body).toBe(400);
    expect((await errorOf(response)).code).toBe("REQUEST.INVALID_FIELD");
    return;
  }
  const invalid = firstInvalid(parsed as Record<string, unknown>);
  if (invalid !== null) {
    expect(response.status, body).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("REQUEST.INVALID_FIELD");
    expect(error.message, body).toMatch(new RegExp(`^${invalid}: `));
    return;
  }
  expect(response.status, body).toBe(202);
  const answer = v.parse(FeedRefreshResponseSchema, await response.json());
  expect(answer.user_id).toBe((parsed as Record<string, unknown>).user_id);
}

const contentType = fc.option(
  fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", ""),
  { nil: undefined },
);

describe("POST /internal/feed/refresh under fuzz", () => {
  it("answers any body and header with 202 or a well-formed 4xx naming the field", async () => {
    const body = fc.oneof(
      nearValid.map((b) => JSON.stringify(b)),
      randomObject.map((b) => JSON.stringify(b)),
      anyJson().map((b) => JSON.stringify(b)),
      fc.string({ unit: "binary", maxLength: 100 }),
      validBody.map((b) => JSON.stringify(b).slice(0, -1)),
    );
    await fuzz(
      "POST /internal/feed/refresh",
      fc.asyncProperty(body, secretHeader(SECRET), contentType, expectAnswer),
      { numRuns: 300, timeLimitMs: 8_000 },
    );
    const keys = await expectOnlyValidIds(redis, prefix, token);
    // The valid share of the bodies did queue users: the audit looked at real keys.
    expect(keys).toBeGreaterThan(4);
  });
});
