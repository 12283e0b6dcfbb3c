import { env } from "cloudflare:test";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  badAuthorization,
  expectContract,
  fuzz,
  headerValue,
  hostileString,
  request,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";

const ADMIN_TOKEN = env.ADMIN_TOKEN ?? "";
const PATHS = [
  "/admin",
  "/admin/",
  "/admin/api/metrics",
  "/admin/app.js",
  "/admin/api",
  "/admin/x/y",
];

const path = fc.oneof(
  fc.constantFrom(...PATHS),
  // "." and ".." would resolve the URL out of /admin, to the router's 404.
  fc
    .stringMatching(/^[A-Za-z0-9_.~-]{1,30}$/)
    .filter((p) => p !== "." && p !== "..")
    .map((p) => `/admin/${p}`),
);

/** Query values as a browser would send them: the sign-in token, and the dashboard's window. */
const query = fc.record(
  {
    token: fc.oneof(hostileString, headerValue).filter((t) => t !== ADMIN_TOKEN),
    minutes: fc.oneof(
      fc.integer().map(String),
      fc.constantFrom("NaN", "1e9", "-5", "", "Infinity"),
    ),
  },
  { requiredKeys: [] },
);

describe("/admin under fuzz", () => {
  it(
    "refuses every request without the admin token, in the error shape, naming what was wrong",
    async () => {
      await fuzz(
        "/admin* (unauthorized)",
        fc.record({
          path,
          query,
          authorization: fc.oneof(
            badAuthorization,
            headerValue.filter((t) => t !== ADMIN_TOKEN).map((t) => `Bearer ${t}`),
          ),
          cookie: fc.option(headerValue.map((value) => `edgefeed_admin=${value}`)),
          // Programs, not people: a browser asking for HTML on /admin gets the sign-in form instead.
          accept: fc.option(fc.constantFrom("application/json", "*/*", "image/png")),
        }),
        async ({ path: p, query: q, authorization, cookie, accept }) => {
          const params = new URLSearchParams(q);
          const response = await request(
            "GET",
            `${p}${q.token === undefined && q.minutes === undefined ? "" : `?${params}`}`,
            {
              headers: { authorization, cookie: cookie ?? undefined, accept: accept ?? undefined },
            },
          );
          expect(response.status).toBe(401);
          const signingIn = p === "/admin" && q.token !== undefined;
          await expectContract(response, signingIn ? "token" : "authorization");
        },
        { numRuns: 150, timeLimitMs: 8_000 },
      );
    },
    timeoutFor(8_000),
  );

  it(
    "answers the admin within the contract for any window and any file path",
    async () => {
      await fuzz(
        "/admin* (authorized)",
        fc.record({ path, minutes: query.map((q) => q.minutes) }),
        async ({ path: p, minutes }) => {
          const suffix = minutes === undefined ? "" : `?minutes=${encodeURIComponent(minutes)}`;
          const response = await request("GET", `${p}${suffix}`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          if (p === "/admin/api/metrics") expect(response.status).toBe(200);
          if (response.status < 400) {
            await response.arrayBuffer();
            return;
          }
          await expectContract(response);
        },
        { numRuns: 100, timeLimitMs: 10_000 },
      );
    },
    timeoutFor(10_000),
  );
});
