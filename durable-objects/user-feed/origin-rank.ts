import * as v from "valibot";
import { describeIssue } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import {
  type RankRequest,
  type RankResponse,
  RankResponseSchema,
} from "../../contracts/rank.schema";
import { withDeadline } from "../../worker-lib/deadline";

export type RankEnv = Pick<Env, "ORIGIN_URL" | "ORIGIN_SHARED_SECRET">;

/**
 * A rank runs beside the fallback page it could not prevent and fills the buffer for the next
 * one, so no page waits for it; a second is well within a page's first video, and past it an
 * origin this slow is left alone for the retry interval.
 */
export const RANK_DEADLINE_MS = 1_000;

/** Asks a ranker for one user's candidates now; rejects on any failure. */
export type RankNow = (request: RankRequest) => Promise<RankResponse>;

/**
 * `POST /v1/rank` on the origin. Rejects when the origin is unreachable, misses the deadline,
 * answers non-2xx or answers something the schema does not accept, so callers have one failure
 * path: the fallback.
 */
export async function rankAtOrigin(env: RankEnv, request: RankRequest): Promise<RankResponse> {
  const abandon = new AbortController();
  try {
    return await withDeadline(
      fetchRanked(env, request, abandon.signal),
      RANK_DEADLINE_MS,
      "origin rank",
    );
  } finally {
    // A request past its deadline is cancelled rather than left holding a connection.
    abandon.abort();
  }
}

async function fetchRanked(
  env: RankEnv,
  request: RankRequest,
  signal: AbortSignal,
): Promise<RankResponse> {
  const response = await fetch(new URL("/v1/rank", env.ORIGIN_URL), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [INTERNAL_AUTH_HEADER]: env.ORIGIN_SHARED_SECRET,
    },
    body: JSON.stringify(request),
    signal,
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`origin rank: HTTP ${response.status}`);
  }
  const parsed = v.safeParse(RankResponseSchema, await response.json());
  if (!parsed.success) throw new Error(`origin rank: ${describeIssue(parsed.issues)}`);
  return parsed.output;
}
