import { ConsumerGroups } from "../../contracts/keyspace";

// The ranker's keys and consumer group are rankerKeys and ConsumerGroups.ranker in
// contracts/keyspace.ts. These names stay only so origin/ranker's files need no edit before that
// folder's move lands; new code imports contracts/keyspace.ts.
export { DEFAULT_REPLICA, type RankerKeys, rankerKeys } from "../../contracts/keyspace";
export const rankerGroup = ConsumerGroups.ranker;

/** The long-term history: 200 engagements over at most 30 days. */
export const LONG_HISTORY_MAX = 200;
export const LONG_HISTORY_MS = 30 * 24 * 3_600_000;
