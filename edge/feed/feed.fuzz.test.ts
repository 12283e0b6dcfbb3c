import { env } from "cloudflare:test";
import * as fc from "fast-check";
import * as v from "valibot";
import { beforeAll, describe, expect, it } from "vitest";
import { FEED_PAGE_DEFAULT, FeedPageSchema } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/keyspace";
import { tokenFor } from "../../testing/edge/feed/feed.testing";
import {
  badAuthorization,
  expectContract,
  fuzz,
  hostileString,
  request,
  timeoutFor,
} from "../../testing/edge/fuzz.testing";
import { rank, seedVideos } from "../../testing/worker-lib/redis.testing";
import { signCursor } from "./feed-cursor";

const CURSOR = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const LIMIT = /^[0-9]{1,2}$/;

let videos: string[] = [];

/** How a case builds its cursor; the oracle needs to know which rule it breaks, if any. */
type CursorCase =
  | { kind: "absent" }
  | { kind: "malformed"; value: string }
  | { kind: "unsigned"; value: string }
  | { kind: "other-user" }
  | { kind: "own"; page: string };

const cursorCase: fc.Arbitrary<CursorCase> = fc.oneof(
  fc.constant<CursorCase>({ kind: "absent" }),
  fc
    .oneof(
      hostileString,
      fc.string({ minLength: 513, maxLength: 700 }).map((s) => `${s}.x`),
    )
    .filter((value) => value.length > 512 || !CURSOR.test(value))
    .map((value): CursorCase => ({ kind: "malformed", value })),
  fc
    .tuple(
      fc.base64String({ minLength: 4, maxLength: 60 }),
      fc.base64String({ minLength: 4, maxLength: 44 }),
    )
    .map(([a, b]) => `${a}.${b}`.replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, ""))
    .filter((value) => CURSOR.test(value))
    .map((value): CursorCase => ({ kind: "unsigned", value })),
  fc.constant<CursorCase>({ kind: "other-user" }),
  fc.uuid().map((page): CursorCase => ({ kind: "own", page })),
);

const limitCase = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.integer({ min: 5, max: 10 }).map(String),
  fc.constantFrom("0", "4", "11", "99", "-1", "1.5", "abc", "", "007", "05", " 5", "1e1"),
  hostileString,
);

const extraParams = fc.dictionary(
  fc.stringMatching(/^[a-z_]{1,8}$/).filter((k) => k !== "cursor" && k !== "limit"),
  fc.string({ maxLength: 10 }),
  { maxKeys: 3 },
);

function limitValid(limit: string | undefined): boolean {
  return limit === undefined || (LIMIT.test(limit) && Number(limit) >= 5 && Number(limit) <= 10);
}

describe("GET /v1/feed under fuzz", () => {
  beforeAll(async () => {
    videos = await seedVideos("fz-feed", 40);
  });

  it(
    "refuses every bad Authorization header with 401 in the error shape",
    async () => {
      await fuzz(
        "GET /v1/feed (authorization)",
        badAuthorization,
        async (authorization) => {
          const response = await request("GET", "/v1/feed", { headers: { authorization } });
          expect(response.status).toBe(401);
          await expectContract(response, "authorization");
        },
        { numRuns: 100, timeLimitMs: 5_000 },
      );
    },
    timeoutFor(5_000),
  );

  it(
    "answers any cursor and limit within the contract, naming the one at fault",
    async () => {
      await fuzz(
        "GET /v1/feed (query)",
        fc.record({ cursor: cursorCase, limit: limitCase, extra: extraParams }),
        async ({ cursor, limit, extra }) => {
          const userId = `u-fz-${crypto.randomUUID().slice(0, 13)}`;
          await rank(CatalogKeys.forYou(userId), videos);
          const params = new URLSearchParams(extra);
          if (cursor.kind === "malformed" || cursor.kind === "unsigned") {
            params.set("cursor", cursor.value);
          } else if (cursor.kind === "other-user") {
            params.set(
              "cursor",
              await signCursor(env.SIGNING_SECRET, { userId: "u-else", pageId: "p" }),
            );
          } else if (cursor.kind === "own") {
            params.set(
              "cursor",
              await signCursor(env.SIGNING_SECRET, { userId, pageId: cursor.page }),
            );
          }
          if (limit !== undefined) params.set("limit", limit);
          const response = await request("GET", `/v1/feed?${params}`, {
            headers: { authorization: `Bearer ${await tokenFor(userId)}` },
          });
          // The schema checks cursor's form before limit; only then is the signature checked.
          const field =
            cursor.kind === "malformed"
              ? "cursor"
              : !limitValid(limit)
                ? "limit"
                : cursor.kind === "unsigned" || cursor.kind === "other-user"
                  ? "cursor"
                  : undefined;
          if (field === undefined) {
            // Seeded with 40 ranked videos, every valid request is a full page.
            expect(response.status).toBe(200);
            const page = v.parse(FeedPageSchema, await response.json());
            expect(page.items).toHaveLength(
              limit === undefined ? FEED_PAGE_DEFAULT : Number(limit),
            );
            return;
          }
          const error = await expectContract(response, field);
          if (cursor.kind === "other-user" && field === "cursor") {
            expect(error?.code).toBe("FEED.CURSOR_FORBIDDEN");
          }
        },
        { numRuns: 120, timeLimitMs: 15_000 },
      );
    },
    timeoutFor(15_000),
  );
});
