/** Where a candidate came from; a video found by several rails carries all of them. */
export const RAILS = ["ann", "related", "social", "trending", "exploration"] as const;
export type Rail = (typeof RAILS)[number];

/** One candidate video as the ranker sees it; `item` is the model's dense index. */
export interface Candidate {
  item: number;
  videoId: string;
  /** Rank within each rail that produced it (0 = that rail's best). */
  rails: Partial<Record<Rail, number>>;
  creatorId: string;
  audioId: string;
  hashtags: readonly string[];
  /** Hours since the video went live; undefined when unknown. */
  ageHours?: number;
  /** Impressions so far; low exposure makes a video eligible for the fresh slot. */
  exposures?: number;
  /** Windowed rates from the feature processor (24 h), 0 when unknown. */
  engagementRate?: number;
  completionRate?: number;
}

/** What the ranker knows about the user at request time. */
export interface UserContext {
  userId: string;
  /** Recently watched videos as dense indices, oldest first (short-term sequence). */
  history: readonly number[];
  /** Engagements over weeks, oldest first (long-term embedding); `history` when absent. */
  longHistory?: readonly number[];
  /** Short-term interest from the feature processor: `c:{creator}`, `s:{sound}`, `h:{tag}`. */
  interest: ReadonlyMap<string, number>;
  /** Creators of the user's most recent videos, newest last, for the repetition penalty. */
  recentCreators: readonly string[];
}
