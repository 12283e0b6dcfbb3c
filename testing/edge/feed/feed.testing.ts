import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { FeedPage } from "../../../contracts/feed.schema";
import worker from "../../../edge/index";
import { issueSessionToken } from "../../../edge/session/session-token";

/**
 * Test helpers for the serve path through the Worker: a logged-in client and requests through its
 * default export. Catalog seeding is in testing/worker-lib/redis.testing.ts.
 */

export async function tokenFor(userId: string, region = "eu"): Promise<string> {
  return (await issueSessionToken(env.SIGNING_SECRET, { userId, region })).token;
}

/**
 * One request through the Worker's default export with its own execution context, waiting for
 * everything it put in waitUntil (cache writes, pre-warm) before returning.
 */
export async function edgeFetch(
  input: string,
  init: RequestInit = {},
  bindings: Env = env,
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(new URL(input, "http://edge.test"), init),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export async function getFeed(
  token: string,
  query = "",
  bindings: Env = env,
): Promise<{ status: number; body: FeedPage }> {
  const response = await edgeFetch(
    `/v1/feed${query}`,
    { headers: { authorization: `Bearer ${token}` } },
    bindings,
  );
  return { status: response.status, body: (await response.json()) as FeedPage };
}
