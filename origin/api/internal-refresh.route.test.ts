import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import * as v from "valibot";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ErrorBodySchema } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { internalRefreshRoute } from "./internal-refresh.route";

const redis = new Redis(inject("redisUrl"));
const SECRET = "refresh-regression-secret";

afterAll(() => redis.disconnect());

describe("POST /internal/feed/refresh regressions", () => {
  // Found by internal-refresh.fuzz.test.ts: the contract took any string as user and region,
  // so these were queued (202) and became key names such as `ranker:coalesce:../../\0x`.
  it.each([
    { user_id: "../../\u0000x", region: "eu", field: "user_id" },
    { user_id: "", region: "eu", field: "user_id" },
    { user_id: "ok-user", region: "../../\u0000x", field: "region" },
    { user_id: "ok-user", region: "", field: "region" },
  ])("refuses user $user_id in region $region, naming $field", async ({ field, ...ids }) => {
    const prefix = `refresh-reg-${randomUUID()}-`;
    const app = internalRefreshRoute({ redis, sharedSecret: SECRET, keyPrefix: prefix });
    const response = await app.request("/internal/feed/refresh", {
      method: "POST",
      headers: { "content-type": "application/json", [INTERNAL_AUTH_HEADER]: SECRET },
      body: JSON.stringify({ ...ids, cause: "fyp_empty" }),
    });
    expect(response.status).toBe(400);
    const { error } = v.parse(ErrorBodySchema, await response.json());
    expect(error.code).toBe("REQUEST.INVALID_FIELD");
    expect(error.message).toMatch(new RegExp(`^${field}: `));
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });
});
