import { FeedKeys } from "../../contracts/feed.schema";
import { featureKeys } from "../features/feature-keys";

/**
 * The consumer group a ranker replica joins on every `ev:{p}`. One group per replica, not one
 * shared: each replica must see every event (user signals, online learning), which a shared group
 * would split between them. The default replica keeps the original group name.
 */
export function rankerGroup(replica: string): string {
  return replica === DEFAULT_REPLICA ? "ranker" : `ranker:${replica}`;
}

export const DEFAULT_REPLICA = "0";

/** The long-term history: 200 engagements over at most 30 days. */
export const LONG_HISTORY_MAX = 200;
export const LONG_HISTORY_MS = 30 * 24 * 3_600_000;

export type RankerKeys = ReturnType<typeof rankerKeys>;

/**
 * Keys the ranker reads or writes beyond the feature store's. `prefix` is empty in production and
 * unique per test. The catalog (`video:{id}`) and `fyp:{user}` are never prefixed: the catalog's
 * writer and the edge's reader do not know a prefix.
 */
export function rankerKeys(prefix: string) {
  return {
    features: featureKeys(prefix),
    /** Sorted set user → when their `fyp:{user}` is next due; shared by the API and the ranker. */
    due: () => `${prefix}ranker:due`,
    /** Sorted set user → last activity (ms); users idle past the window stop being refreshed. */
    active: () => `${prefix}ranker:active`,
    /** Hash user → region, from events and refresh requests. */
    regions: () => `${prefix}ranker:regions`,
    /** Set of every region a user was seen in: where `explore:{region}` is written. */
    regionSet: () => `${prefix}ranker:region-set`,
    /**
     * Sorted set video id → when the user last engaged with it (ms): the newest LONG_HISTORY_MAX
     * engagements of the last LONG_HISTORY_MS, the long-term embedding's input. Every replica
     * writes the same (member, event time) pairs, so concurrent writers agree.
     */
    longHistory: (userId: string) => `${prefix}ranker:history:${userId}`,
    /** The replica holding it retrains, checkpoints and writes exploration (RankerLease). */
    leader: () => `${prefix}ranker:leader`,
    /** One refresh request per user per coalescing window passes this SET NX. */
    coalesce: (userId: string) => `${prefix}ranker:coalesce:${userId}`,
    explore: (region: string) => prefix + FeedKeys.explore(region),
  };
}
