// The load generator of bench/feed-serve.bench.ts, shared by its edge phases and the plain-Node
// peer's (bench/feed-serve.peer.ts), so both are measured by the same loops from the same process.

import { issueSessionToken } from "../edge/session/session-token";
import { median, percentile } from "./stats";

/** A positive number from the environment, else `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export interface Sample {
  ms: number;
  status: number;
  tier: string | null;
}

export interface Summary {
  requests: number;
  rps: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  errors: number;
  error_statuses?: number[];
  tiers?: Record<string, number>;
}

export function summarize(samples: Sample[], seconds: number): Summary {
  const ms = samples.map((s) => s.ms);
  const tiers: Record<string, number> = {};
  for (const s of samples) if (s.tier) tiers[s.tier] = (tiers[s.tier] ?? 0) + 1;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    requests: samples.length,
    rps: round(samples.length / seconds),
    p50_ms: round(median(ms)),
    p95_ms: round(percentile(ms, 95)),
    p99_ms: round(percentile(ms, 99)),
    errors: samples.filter((s) => s.status >= 400).length,
    ...(samples.some((s) => s.status >= 400)
      ? {
          error_statuses: [...new Set(samples.filter((s) => s.status >= 400).map((s) => s.status))],
        }
      : {}),
    ...(Object.keys(tiers).length > 0 ? { tiers } : {}),
  };
}

export async function timed(url: string, init: RequestInit = {}, from = performance.now()) {
  const response = await fetch(url, init);
  const body = await response.arrayBuffer();
  return {
    response,
    body,
    sample: {
      ms: performance.now() - from,
      status: response.status,
      tier: response.headers.get("x-edgefeed-tier"),
    },
  };
}

/**
 * `concurrency` loops calling `step` until `seconds` have passed or it returns null (no work
 * left); each call returns its samples.
 */
export async function closedLoop(
  seconds: number,
  concurrency: number,
  step: (worker: number) => Promise<Sample[] | null>,
): Promise<Summary> {
  const samples: Sample[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const done = await step(worker);
        if (done === null) return;
        samples.push(...done);
      }
    }),
  );
  return summarize(samples, (performance.now() - started) / 1000);
}

/** Requests in flight beyond which the open loop stops sending and counts a request as shed. */
export const MAX_IN_FLIGHT = 256;

/**
 * Requests started on a fixed schedule regardless of how long earlier ones take; latency is
 * measured from the scheduled start, so a stall shows up instead of slowing the sender. When the
 * edge falls so far behind that MAX_IN_FLIGHT requests are open, further ones are shed (counted,
 * not sent) so an overload cannot exhaust workerd's memory.
 */
export async function openLoop(
  seconds: number,
  rate: number,
  step: (i: number, scheduled: number) => Promise<Sample>,
): Promise<Summary & { shed: number }> {
  const started = performance.now();
  const total = Math.floor(seconds * rate);
  const pending: Promise<Sample>[] = [];
  let inFlight = 0;
  let shed = 0;
  for (let i = 0; i < total; i++) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (inFlight >= MAX_IN_FLIGHT) {
      shed++;
      continue;
    }
    inFlight++;
    pending.push(step(i, scheduled).finally(() => inFlight--));
  }
  const samples = await Promise.all(pending);
  return { ...summarize(samples, (performance.now() - started) / 1000), shed };
}

export interface FeedBody {
  items: { id: string; manifest_url: string }[];
  next_cursor: string;
}

export interface FeedUser {
  token: string;
  cursor: string;
}

/**
 * The user seeded as `warm-{u}`: its token is signed as the edge signs them, since the public
 * route mints a new id for every viewer.
 */
export async function warmUser(
  signingSecret: string,
  region: string,
  u: number,
): Promise<FeedUser> {
  const { token } = await issueSessionToken(signingSecret, { userId: `warm-${u}`, region });
  return { token, cursor: "" };
}

/** One feed page for `user` from the server at `feedUrl`, advancing its cursor. */
export async function feedOnce(feedUrl: string, user: FeedUser, scheduled?: number) {
  const query = user.cursor ? `?cursor=${user.cursor}` : "";
  const { response, body, sample } = await timed(
    `${feedUrl}/v1/feed${query}`,
    { headers: { authorization: `Bearer ${user.token}` } },
    scheduled,
  );
  if (response.status === 200) {
    const page = JSON.parse(new TextDecoder().decode(body)) as FeedBody;
    user.cursor = page.next_cursor;
    return { sample, page };
  }
  return { sample, page: null };
}
