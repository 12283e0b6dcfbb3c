import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  anyBody,
  expectContract,
  fuzz,
  headerValue,
  request,
  timeoutFor,
} from "../testing/edge/fuzz.testing";

/** Path segments near the real routes, so random paths hit wrong methods and near-miss routes. */
const segment = fc.oneof(
  fc.constantFrom(
    "v1",
    "v2",
    "events",
    "feed",
    "sessions",
    "refresh",
    "sign-out",
    "passkeys",
    "uploads",
  ),
  fc.constantFrom(
    "videos",
    "admin",
    "health",
    "register",
    "options",
    "sign-in",
    "status",
    "%20",
    "%00",
  ),
  fc.stringMatching(/^[A-Za-z0-9_~-]{1,20}$/),
);
const method = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
);

describe("the edge app under fuzz", () => {
  it(
    "answers any method on any path without a 5xx, every 4xx in the error shape",
    async () => {
      await fuzz(
        "any method, any path",
        fc.record({
          method,
          path: fc
            .array(segment, { minLength: 1, maxLength: 5 })
            .map((parts) => `/${parts.join("/")}`),
          body: fc.option(anyBody),
          authorization: fc.option(headerValue.map((t) => `Bearer ${t}`)),
        }),
        async ({ method: m, path, body, authorization }) => {
          const withBody = body !== null && m !== "GET" && m !== "HEAD";
          const response = await request(m, path, {
            headers: {
              authorization: authorization ?? undefined,
              "content-type": "application/json",
            },
            ...(withBody ? { body } : {}),
          });
          // HEAD answers and 204/304 carry no body by HTTP's rules: only their status can be checked.
          if (m === "HEAD" || response.status === 204 || response.status === 304) {
            expect(response.status).toBeLessThan(500);
            await response.arrayBuffer();
            return;
          }
          if (response.status < 400) {
            await response.arrayBuffer();
            return;
          }
          await expectContract(response);
        },
        { numRuns: 200, timeLimitMs: 10_000 },
      );
    },
    timeoutFor(10_000),
  );
});
