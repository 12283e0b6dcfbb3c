import { env } from "cloudflare:test";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  anyBody,
  anyJson,
  badAuthorization,
  expectContract,
  fuzz,
  headerValue,
  hostileString,
  request,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";
import { isDashboardWindow, WINDOW_NAMES } from "./dashboard-window";

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

/** Query values as a browser might send them: a token (refused there), and the window. */
const query = fc.record(
  {
    token: fc.oneof(hostileString, headerValue).filter((t) => t !== ADMIN_TOKEN),
    window: fc.oneof(
      fc.constantFrom(...WINDOW_NAMES),
      fc.integer().map(String),
      fc.constantFrom("NaN", "1e9", "-5", "", "Infinity", "24H", "1h "),
      hostileString,
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
            `${p}${q.token === undefined && q.window === undefined ? "" : `?${params}`}`,
            {
              headers: { authorization, cookie: cookie ?? undefined, accept: accept ?? undefined },
            },
          );
          // A token in the address is refused as such (it would land in history and logs).
          const inAddress = q.token !== undefined;
          expect(response.status).toBe(inAddress ? 400 : 401);
          await expectContract(response, inAddress ? "token" : "authorization");
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
        fc.record({ path, window: query.map((q) => q.window) }),
        async ({ path: p, window }) => {
          const suffix = window === undefined ? "" : `?window=${encodeURIComponent(window)}`;
          const response = await request("GET", `${p}${suffix}`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          const offered = window === undefined || isDashboardWindow(window);
          if (p === "/admin/api/metrics") expect(response.status).toBe(offered ? 200 : 400);
          if (response.status < 400) {
            await response.arrayBuffer();
            return;
          }
          await expectContract(response, p === "/admin/api/metrics" ? "window" : undefined);
        },
        { numRuns: 100, timeLimitMs: 10_000 },
      );
    },
    timeoutFor(10_000),
  );

  it(
    "signs in only with the token, by POST, whatever else the body holds",
    async () => {
      const body = fc.oneof(
        anyBody,
        fc
          .oneof(hostileString, headerValue)
          .map((t) => new URLSearchParams({ token: t }).toString()),
        anyJson.map((value) => JSON.stringify({ token: value })),
      );
      await fuzz(
        "POST /admin/sign-in",
        fc.record({
          body,
          contentType: fc.constantFrom(
            "application/x-www-form-urlencoded",
            "application/json",
            "text/plain",
          ),
          withToken: fc.boolean(),
        }),
        async ({ body: raw, contentType, withToken }) => {
          // Each case from its own address: the per-address attempt limit is not what is fuzzed.
          const address = `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 256)).join(".")}`;
          const sent = withToken ? new URLSearchParams({ token: ADMIN_TOKEN }).toString() : raw;
          const response = await request("POST", "/admin/sign-in", {
            headers: {
              "content-type": withToken ? "application/x-www-form-urlencoded" : contentType,
              "cf-connecting-ip": address,
            },
            body: sent,
          });
          if (withToken) {
            expect(response.status).toBe(303);
            expect(response.headers.get("set-cookie")).toMatch(/^edgefeed_admin=/);
            return;
          }
          expect([400, 401, 413]).toContain(response.status);
          await expectContract(response, response.status === 413 ? undefined : "token");
        },
        { numRuns: 100, timeLimitMs: 8_000 },
      );
    },
    timeoutFor(8_000),
  );
});
