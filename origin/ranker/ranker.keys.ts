import { FeedKeys } from "../../contracts/feed.schema";
import { featureKeys } from "../features/feature-keys";

/** The consumer group the ranker joins on every `ev:{p}`, independent of the feature processor's. */
export const RANKER_GROUP = "ranker";

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
    /** One refresh request per user per coalescing window passes this SET NX. */
    coalesce: (userId: string) => `${prefix}ranker:coalesce:${userId}`,
    explore: (region: string) => prefix + FeedKeys.explore(region),
  };
}
