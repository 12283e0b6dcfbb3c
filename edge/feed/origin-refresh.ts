import type { FeedRefreshRequest } from "../../contracts/feed.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { withDeadline } from "../../worker-lib/deadline";

export type RefreshEnv = Pick<Env, "ORIGIN_URL" | "ORIGIN_SHARED_SECRET">;

/**
 * Asks the origin to re-rank one user's `fyp:{user}` (`POST /internal/feed/refresh`). Runs after
 * the response; the UserFeed object already coalesced it to one call per user per minute. A down
 * origin only means the next page falls back again, so failures are logged, not raised.
 */
export async function requestRefresh(env: RefreshEnv, body: FeedRefreshRequest): Promise<void> {
  try {
    const response = await withDeadline(
      fetch(new URL("/internal/feed/refresh", env.ORIGIN_URL), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [INTERNAL_AUTH_HEADER]: env.ORIGIN_SHARED_SECRET,
        },
        body: JSON.stringify(body),
      }),
      2_000,
      "origin refresh",
    );
    await response.body?.cancel();
  } catch (error) {
    console.warn("feed: origin refresh failed", error instanceof Error ? error.message : error);
  }
}
