import type { Redis } from "ioredis";
import type { FeatureKeys } from "../../contracts/keyspace";
import { INTEREST_HALF_LIFE_MS } from "./batch-ops";

/** The member holding the time the set's scores are expressed at (see commit-batch.lua.ts). */
const INTEREST_CLOCK = "@at";

export interface Affinity {
  /** `c:{creator}`, `s:{sound}` or `h:{hashtag}`. */
  member: string;
  score: number;
}

/** A user's short-term interests, strongest first, decayed to `now`; empty after 30 idle min. */
export async function readUserInterest(
  redis: Redis,
  keys: FeatureKeys,
  userId: string,
  limit = 50,
  now = Date.now(),
): Promise<Affinity[]> {
  const key = keys.interest(userId);
  const [at, flat] = await Promise.all([
    redis.zscore(key, INTEREST_CLOCK),
    redis.zrevrange(key, 0, limit, "WITHSCORES"),
  ]);
  // Scores are stored as of the set's clock member; decay them from there to `now`.
  const decay = at ? 2 ** (-(now - Number(at)) / INTEREST_HALF_LIFE_MS) : 1;
  const affinities: Affinity[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] === INTEREST_CLOCK) continue;
    affinities.push({ member: flat[i]!, score: Number(flat[i + 1]) * decay });
  }
  return affinities.slice(0, limit);
}
