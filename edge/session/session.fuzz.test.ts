import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  anyBody,
  applyMutation,
  badAuthorization,
  expectContract,
  fuzz,
  hostileString,
  mutationOf,
  notAString,
  request,
  stringNotMatching,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";
import { anonymous } from "../../testing/edge/sessions.testing";

const REGION = /^[a-z]{2,8}(-[a-z0-9]{1,8})?$/;
const REFRESH = /^[A-Za-z0-9_-]{8,64}\.[A-Za-z0-9_-]{43}$/;
const BOUNDS = { numRuns: 200, timeLimitMs: 8_000 };

const json = { "content-type": "application/json" };
const postJson = (path: string, body: string, headers: Record<string, string | undefined> = {}) =>
  request("POST", path, { headers: { ...json, ...headers }, body });

/** An extra key the strict request schemas must refuse by name. */
const extraKey = (known: string) =>
  fc.string({ minLength: 1, maxLength: 12 }).filter((key) => key !== known && key !== "__proto__");

const urlSafe = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"),
  minLength: 1,
  maxLength: 64,
});

describe("session routes under fuzz", () => {
  it(
    "POST /v1/sessions answers any body within the contract and names the broken field",
    async () => {
      const body = fc.oneof(
        anyBody.map((raw) => ({ raw, field: undefined as string | undefined })),
        mutationOf({
          region: { invalid: fc.oneof(notAString, stringNotMatching(REGION)), required: true },
        }).map((m) => ({ raw: JSON.stringify(applyMutation({ region: "eu" }, m)), field: m.path })),
        extraKey("region").map((key) => ({
          raw: JSON.stringify({ region: "eu", [key]: "u-chosen" }),
          field: key as string | undefined,
        })),
        fc
          .stringMatching(REGION)
          .map((region) => ({ raw: JSON.stringify({ region }), field: undefined })),
      );
      await fuzz(
        "POST /v1/sessions",
        body,
        async ({ raw, field }) => {
          await expectContract(await postJson("/v1/sessions", raw), field);
        },
        BOUNDS,
      );
    },
    timeoutFor(BOUNDS.timeLimitMs),
  );

  it("POST /v1/sessions/refresh refuses every token it did not hand out, within the contract", async () => {
    const real = await anonymous();
    const body = fc.oneof(
      anyBody.map((raw) => ({ raw, field: undefined as string | undefined, status: 0 })),
      mutationOf({
        refresh_token: {
          invalid: fc.oneof(notAString, stringNotMatching(REFRESH)),
          required: true,
        },
      }).map((m) => ({
        raw: JSON.stringify(applyMutation({ refresh_token: real.refresh_token }, m)),
        field: m.path as string | undefined,
        status: 400,
      })),
      extraKey("refresh_token").map((key) => ({
        raw: JSON.stringify({ refresh_token: real.refresh_token, [key]: 1 }),
        field: key as string | undefined,
        status: 400,
      })),
      // Well-formed but never issued: the family lookup, not the schema, must refuse it.
      fc
        .tuple(
          urlSafe.filter((s) => s.length >= 8),
          fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        )
        .map(([family, secret]) => ({
          raw: JSON.stringify({ refresh_token: `${family}.${secret}` }),
          field: "refresh_token" as string | undefined,
          status: 401,
        })),
    );
    await fuzz(
      "POST /v1/sessions/refresh",
      body,
      async ({ raw, field, status }) => {
        const response = await postJson("/v1/sessions/refresh", raw);
        if (status) expect(response.status).toBe(status);
        await expectContract(response, field);
      },
      BOUNDS,
    );
    // None of the refusals above touched the real sign-in: it still refreshes.
    const refreshed = await postJson(
      "/v1/sessions/refresh",
      JSON.stringify({ refresh_token: real.refresh_token }),
    );
    expect(refreshed.status).toBe(200);
  });

  it(
    "POST /v1/sessions/sign-out refuses every bad Authorization header with 401",
    async () => {
      await fuzz(
        "POST /v1/sessions/sign-out",
        fc.tuple(badAuthorization, fc.option(hostileString)),
        async ([authorization, body]) => {
          const response = await request("POST", "/v1/sessions/sign-out", {
            headers: { authorization },
            ...(body === null ? {} : { body }),
          });
          expect(response.status).toBe(401);
          await expectContract(response, "authorization");
        },
        BOUNDS,
      );
    },
    timeoutFor(BOUNDS.timeLimitMs),
  );
});
