import { randomUUID } from "node:crypto";
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { RANK_LIMIT_MAX, RankResponseSchema } from "../../contracts/rank.schema";
import { anyJson, errorOf, fuzz, nastyNumber } from "../../testing/origin/fuzz/fuzz.testing";
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
import { rankerTestRig, seedCatalog, until } from "../../testing/origin/ranking/ranker.testing";
import { startServingModel } from "../ranking/serving/serving.provider";
import { createOriginApp } from "./origin.app";

const { redis, s3, bucket, onStop } = rankerTestRig();
const SECRET = "fuzz-rank-secret";
const { token, prefix } = fuzzRun("rank");
// The catalog's ids carry no run token: `video:{id}` is not the route's to write, and the audit
// looks for every key with the token in it.
const catalogPrefix = `rkc${randomUUID().slice(0, 8)}-`;
const VIDEO_ID = VALID_USER_ID;

/** What the contract must refuse, field by field in its order; null when the body is valid. */
function firstInvalid(body: Record<string, unknown>): string | null {
  const ids = (value: unknown, max: number) =>
    Array.isArray(value) &&
    value.length <= max &&
    value.every((id) => typeof id === "string" && VIDEO_ID.test(id));
  const { limit } = body;
  const valid: Record<string, boolean> = {
    user_id: typeof body.user_id === "string" && VALID_USER_ID.test(body.user_id),
    region: typeof body.region === "string" && VALID_REGION.test(body.region),
    limit:
      !("limit" in body) ||
      (typeof limit === "number" && Number.isInteger(limit) && limit >= 1 && limit <= 200),
    recent: !("recent" in body) || ids(body.recent, 50),
    exclude: !("exclude" in body) || ids(body.exclude, 2000),
  };
  return ["user_id", "region", "limit", "recent", "exclude"].find((f) => !valid[f]) ?? null;
}

describe("POST /v1/rank under fuzz", () => {
  it("answers any body and header with a ranking or a well-formed 4xx naming the field", async () => {
    await seedCatalog(redis, catalogPrefix, ["A", "B"], 3);
    const model = startServingModel(
      redis,
      { s3, bucket, prefix: `${catalogPrefix}models/ranker/` },
      60_000,
      `${catalogPrefix}upload-events`,
    );
    onStop(model.stop);
    await until(() => model.get() !== undefined);
    const videos = ["A", "B"].flatMap((c) => [0, 1, 2].map((n) => `${catalogPrefix}${c}-${n}`));
    const app = createOriginApp({
      redis,
      s3,
      bucket,
      ranking: {
        refresh: { redis, sharedSecret: SECRET, keyPrefix: prefix },
        rank: { redis, sharedSecret: SECRET, keyPrefix: prefix, model: model.get },
      },
    });

    const videoId = fc.oneof(
      fc.constantFrom(...videos),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      fc.constantFrom("../../\u0000x", "", "a b", "x".repeat(65)),
    );
    const validIds = (max: number) =>
      fc.array(fc.constantFrom(...videos, "unknown-video"), { maxLength: max });
    const validBody = fc.record(
      {
        user_id: taggedUserId(token).filter((id) => VALID_USER_ID.test(id)),
        region: validRegion,
        limit: fc.integer({ min: 1, max: RANK_LIMIT_MAX }),
        recent: validIds(10),
        exclude: validIds(10),
      },
      { requiredKeys: ["user_id", "region"], noNullPrototype: true },
    );
    const garbage = fc.oneof(
      anyJson(),
      nastyNumber(),
      taggedUserId(token),
      fc.array(videoId, { maxLength: 5 }),
      // Past the contract's array bounds with ids that are each fine.
      fc.constantFrom(Array(51).fill(videos[0]), Array(2001).fill("v")),
    );
    const nearValid = fc
      .tuple(
        validBody,
        fc.constantFrom("user_id", "region", "limit", "recent", "exclude", "extra"),
        fc.option(garbage, { nil: undefined }),
      )
      .map(([body, field, value]): Record<string, unknown> => {
        const copy: Record<string, unknown> = { ...body };
        if (value === undefined) delete copy[field];
        else copy[field] = value;
        return copy;
      });
    const randomObject = fc.record(
      {
        user_id: garbage,
        region: fc.oneof(garbage, validRegion),
        limit: garbage,
        recent: garbage,
        exclude: garbage,
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    const body = fc.oneof(
      { weight: 2, arbitrary: validBody.map((b) => JSON.stringify(b)) },
      { weight: 4, arbitrary: nearValid.map((b) => JSON.stringify(b)) },
      randomObject.map((b) => JSON.stringify(b)),
      anyJson().map((b) => JSON.stringify(b)),
      fc.string({ unit: "binary", maxLength: 100 }),
    );

    const modes = new Set<string>();
    await fuzz(
      "POST /v1/rank",
      fc.asyncProperty(body, secretHeader(SECRET), async (text, secret) => {
        const response = await postJson(app, "/v1/rank", text, secret);
        expect(response.status, text).toBeLessThan(500);
        if (!isSecret(secret, SECRET)) {
          expect(response.status).toBe(401);
          expect((await errorOf(response)).code).toBe("INTERNAL.UNAUTHORIZED");
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(response.status).toBe(400);
          expect((await errorOf(response)).code).toBe("REQUEST.MALFORMED_JSON");
          return;
        }
        const invalid =
          typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
            ? firstInvalid(parsed as Record<string, unknown>)
            : "";
        if (invalid !== null) {
          expect(response.status, text).toBe(400);
          const error = await errorOf(response);
          expect(error.code).toBe("REQUEST.INVALID_FIELD");
          if (invalid) expect(error.message, text).toMatch(new RegExp(`^${invalid}(\\.\\d+)?: `));
          return;
        }
        expect(response.status, text).toBe(200);
        const answer = v.parse(RankResponseSchema, await response.json());
        const request = parsed as { user_id: string; limit?: number; exclude?: string[] };
        expect(answer.user_id).toBe(request.user_id);
        expect(answer.items.length).toBeLessThanOrEqual(request.limit ?? 50);
        for (const item of answer.items) expect(request.exclude ?? []).not.toContain(item.video_id);
        modes.add(answer.mode);
      }),
      { numRuns: 300, timeLimitMs: 12_000 },
    );
    // Valid bodies reached the model's two stages, not just the trending fallback.
    expect(modes).toContain("full");
    await expectOnlyValidIds(redis, prefix, token);
  });
});
