// The viewers of the hit-ratio replay (bench/feed-serve.replay.ts): who arrives when, what each
// one's For You list holds and how long they dwell on each video. Pure and seeded, so every Worker
// instance replays exactly the same traces.

export interface WorkloadOptions {
  /** Videos in the Zipf catalog; the head is its top 1 %. */
  catalog: number;
  users: number;
  /** Videos each user watches; the head's share is fitted over these. */
  plays: number;
  /** Length of each user's `fyp:{user}` list (more than `plays`, so the feed never falls back). */
  listLength: number;
  /** Window over which sessions start. */
  arrivalMs: number;
  /** Dwell per video, in the viewer's time. */
  dwellMedianMs: number;
  dwellSigma: number;
  dwellMinMs: number;
  dwellMaxMs: number;
  /** Target share of plays that go to the head. */
  headShare: number;
  seed: number;
}

export interface ReplayUser {
  /** Catalog ranks (0 = most popular), in the order the user's feed ranks them. */
  list: number[];
  /** Dwell on the i-th video watched, in the viewer's time (before any time scaling). */
  dwellMs: number[];
  startMs: number;
}

export interface Workload {
  /** Zipf exponent s (weight of rank r is (r + 1)^-s), fitted so the head draws `headShare`. */
  exponent: number;
  /** Size of the head: the top 1 % of the catalog. */
  head: number;
  users: ReplayUser[];
  /** Every rank on some user's list: the only videos that need media. */
  listed: number[];
}

/** mulberry32: small, fast and good enough to draw traces from. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/**
 * A weighted sample without replacement (Efraimidis–Spirakis, in logs): rank r gets the key
 * ln(E_r) + s·ln(r + 1) with E_r ~ Exp(1), and a list is the ranks by ascending key. Each user
 * draws their own E, so lists are distinct, yet all lean on the same popular head.
 */
function keysFor(logExp: Float64Array, exponent: number, logRank: Float64Array): Float64Array {
  const keys = new Float64Array(logExp.length);
  for (let r = 0; r < keys.length; r++) keys[r] = logExp[r]! + exponent * logRank[r]!;
  return keys;
}

function firstRanks(keys: Float64Array, count: number): number[] {
  const threshold = Float64Array.from(keys).sort()[count - 1]!;
  const ranks: number[] = [];
  for (let r = 0; r < keys.length; r++) if (keys[r]! <= threshold) ranks.push(r);
  return ranks.sort((a, b) => keys[a]! - keys[b]!).slice(0, count);
}

/**
 * Without replacement, the head's share of plays depends on how many videos a user watches as
 * much as on s (a user can watch each head video once), so s is fitted by bisection on the very
 * draws the lists come from, rather than taken from a formula for independent plays.
 */
function fitExponent(
  draws: Float64Array[],
  logRank: Float64Array,
  head: number,
  plays: number,
  target: number,
): number {
  const share = (exponent: number) => {
    let inHead = 0;
    for (const logExp of draws) {
      for (const r of firstRanks(keysFor(logExp, exponent, logRank), plays)) if (r < head) inHead++;
    }
    return inHead / (draws.length * plays);
  };
  let low = 0.5;
  let high = 6;
  for (let i = 0; i < 24; i++) {
    const mid = (low + high) / 2;
    if (share(mid) < target) low = mid;
    else high = mid;
  }
  return high;
}

export function buildWorkload(options: WorkloadOptions): Workload {
  const next = random(options.seed);
  const head = Math.max(1, Math.round(options.catalog / 100));
  const logRank = Float64Array.from({ length: options.catalog }, (_, r) => Math.log(r + 1));
  const draws = Array.from({ length: options.users }, () =>
    Float64Array.from({ length: options.catalog }, () => Math.log(-Math.log(1 - next()))),
  );
  const exponent = fitExponent(draws, logRank, head, options.plays, options.headShare);
  const users = draws.map((logExp) => ({
    list: firstRanks(keysFor(logExp, exponent, logRank), options.listLength),
    dwellMs: Array.from({ length: options.plays }, () =>
      Math.min(
        options.dwellMaxMs,
        Math.max(
          options.dwellMinMs,
          options.dwellMedianMs * Math.exp(options.dwellSigma * standardNormal(next)),
        ),
      ),
    ),
    startMs: next() * options.arrivalMs,
  }));
  const listed = [...new Set(users.flatMap((user) => user.list))].sort((a, b) => a - b);
  return { exponent, head, users, listed };
}
