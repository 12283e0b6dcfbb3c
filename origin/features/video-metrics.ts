import type { StoredEvent } from "../../contracts/event.schema";

export const VIDEO_COUNTERS = [
  "impressions",
  "views",
  "watch_ms",
  "completes",
  "replays",
  "likes",
  "shares",
  "comments",
  "follows",
  "skips",
  "not_interested",
] as const;

export type VideoCounter = (typeof VIDEO_COUNTERS)[number];

/** View counts whose crossing puts one message on the notify stream for the creator. */
export const MILESTONES = [10_000, 100_000];

/** What one stored event adds to its video's counters, already multiplied by its weight. */
export function counterDeltas(stored: StoredEvent): Partial<Record<VideoCounter, number>> {
  const { event, weight: w } = stored;
  switch (event.type) {
    case "impression":
      return { impressions: w };
    case "play":
      return { views: w };
    case "progress":
      return { watch_ms: event.watch_ms * w };
    case "complete":
      return { completes: w };
    case "replay":
      return { replays: w };
    case "like":
      return { likes: w };
    case "unlike":
      return { likes: -w };
    case "share":
      return { shares: w };
    case "comment":
      return { comments: w };
    case "follow":
      return { follows: w };
    case "unfollow":
      return { follows: -w };
    case "skip":
      return event.watch_ms === undefined
        ? { skips: w }
        : { skips: w, watch_ms: event.watch_ms * w };
    case "not_interested":
      return { not_interested: w };
  }
}

/** Engagement points toward trending: what a region is excited about right now. */
export const TRENDING_POINTS: Partial<Record<StoredEvent["event"]["type"], number>> = {
  play: 1,
  complete: 2,
  replay: 2,
  like: 3,
  comment: 3,
  follow: 4,
  share: 5,
};

/** Short-term interest: how much an event says about liking the creator, sound and tags. */
export const INTEREST_POINTS: Partial<Record<StoredEvent["event"]["type"], number>> = {
  play: 0.5,
  complete: 2,
  replay: 2,
  like: 3,
  unlike: -3,
  comment: 3,
  share: 4,
  follow: 5,
  unfollow: -5,
  skip: -1,
  not_interested: -5,
};
