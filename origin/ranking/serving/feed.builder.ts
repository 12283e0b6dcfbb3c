import type { Redis } from "ioredis";
import type { FeedReason } from "../../../contracts/feed.schema";
import type { RankerKeys } from "../../../contracts/keyspace";
import { readUserInterest } from "../../features/user-interest.reader";
import type { Candidate, Rail, UserContext } from "../candidate.types";
import type { RankingConfig } from "../config/ranking.config";
import type { ModelState } from "../model/model.state";
import {
  DEFAULT_RAIL_SIZES,
  gatherCandidates,
  type RailSource,
  topScored,
} from "../retrieval/candidate.rails";
import type { RankedVideo } from "./for-you.writer";
import type { Placed } from "./rerank.policy";

/** The rails a feed entry reports, best first: `related` is co-engagement, shown as `ann`. */
const REASON_ORDER: readonly [Rail, FeedReason][] = [
  ["ann", "ann"],
  ["related", "ann"],
  ["social", "social"],
  ["trending", "trending"],
  ["exploration", "exploration"],
];
/** Creators with the strongest positive short-term interest feed the social rail. */
const SOCIAL_CREATORS = 10;

export interface FeedRequest {
  userId: string;
  region: string;
  /**
   * The sequence retrieval and the short-term embedding start from, oldest first (dense items):
   * the last 30 minutes, or for a returning user the tail of their long-term history.
   */
  history: readonly number[];
  /** Engagements over weeks, oldest first: the long-term embedding. */
  longHistory?: readonly number[];
  recentCreators: readonly string[];
  seen: (item: number) => boolean;
  suppressed: (item: number) => boolean;
  follows: Iterable<string>;
}

export type RankMode = "full" | "stage1" | "trending";

export interface BuildOptions {
  config: RankingConfig;
  mode?: Exclude<RankMode, "trending">;
  /**
   * When the region has no exploration set yet, explore the newest live videos instead. The
   * background ranker does, so a freshly seeded catalog shows up; a synchronous rank does not,
   * since the edge has its own fallback for an empty answer.
   */
  newestWithoutExploration?: boolean;
  now?: number;
}

export interface BuiltFeed {
  videos: RankedVideo[];
  /** The candidates placed, for learning from what the user does with them. */
  placed: Placed[];
  coldStart: boolean;
}

/**
 * Retrieval and ranking for one user on the current model: rails in parallel (ANN base + delta,
 * co-engagement, social, regional trending, exploration), minus seen and suppressed, through both
 * stages and the re-ranking policy. A user with neither a short-term sequence nor interest is a
 * cold start: no personal retrieval, only followed creators, trending and exploration.
 */
export async function buildFeed(
  redis: Redis,
  keys: RankerKeys,
  state: ModelState,
  request: FeedRequest,
  options: BuildOptions,
): Promise<BuiltFeed> {
  const { config, mode = "full", now = Date.now() } = options;
  const [affinities, trendingIds, exploreIds] = await Promise.all([
    readUserInterest(redis, keys.features, request.userId, 50, now),
    redis.zrevrange(keys.features.trending(request.region), 0, DEFAULT_RAIL_SIZES.trending * 2),
    redis.zrevrange(keys.explore(request.region), 0, DEFAULT_RAIL_SIZES.exploration * 2),
  ]);
  const interest = new Map(affinities.map((a) => [a.member, a.score]));
  const context: UserContext = {
    userId: request.userId,
    history: request.history,
    longHistory: request.longHistory,
    interest,
    recentCreators: request.recentCreators,
  };
  const coldStart = request.history.length === 0 && interest.size === 0;
  const items = (ids: readonly string[]) =>
    ids.flatMap((id) => {
      const item = state.catalog.lookup(id);
      return item !== undefined && state.catalog.get(item) ? [item] : [];
    });
  const list =
    (from: readonly number[]): RailSource =>
    (k, allowed) =>
      from.filter(allowed).slice(0, k);
  const exploration = items(exploreIds);
  const sources: Partial<Record<Rail, RailSource>> = {
    trending: list(items(trendingIds)),
    exploration: list(
      exploration.length === 0 && options.newestWithoutExploration ? newest(state) : exploration,
    ),
    social: list(socialItems(state, request.follows, interest)),
  };
  if (request.history.length > 0) {
    const userState = state.ranker.state(context);
    sources.ann = (k, allowed) => state.nearest(userState.shortTerm, k, allowed);
    sources.related = (k, allowed) => topScored(userState.related, k, allowed);
  }
  const gathered = gatherCandidates(sources, {
    seen: request.seen,
    suppressed: (item) => request.suppressed(item) || state.catalog.get(item) === undefined,
  });
  const candidates: Candidate[] = [];
  for (const { item, rails } of gathered) {
    const candidate = state.candidate(item, rails, now);
    if (candidate) candidates.push(candidate);
  }
  const placed = state.ranker.rank(context, candidates, config, { stage1Only: mode === "stage1" });
  return {
    placed,
    coldStart,
    videos: placed.map((p) => ({ videoId: p.candidate.videoId, reason: reasonOf(p) })),
  };
}

export function reasonOf(placed: Placed): FeedReason {
  if (placed.fresh) return "fresh";
  for (const [rail, reason] of REASON_ORDER) {
    if (placed.candidate.rails[rail] !== undefined) return reason;
  }
  return "ann";
}

/** Followed creators first, then the strongest positive creator interests; newest videos each. */
function socialItems(
  state: ModelState,
  follows: Iterable<string>,
  interest: ReadonlyMap<string, number>,
): number[] {
  const creators = new Set(follows);
  const liked = [...interest]
    .filter(([member, score]) => member.startsWith("c:") && score > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, SOCIAL_CREATORS);
  for (const [member] of liked) creators.add(member.slice(2));
  const lists = [...creators].map((creator) => state.catalog.byCreator(creator));
  const merged: number[] = [];
  for (let depth = 0; lists.some((l) => depth < l.length); depth++) {
    for (const l of lists) {
      const item = l[depth];
      if (item !== undefined) merged.push(item);
    }
  }
  return merged;
}

function newest(state: ModelState): number[] {
  return [...state.catalog.live()].sort((a, b) => b.createdAt - a.createdAt).map((m) => m.item);
}
