import { isEngagement, type StoredEvent } from "../../../contracts/event.schema";
import type { Candidate } from "../candidate.types";
import type { Outcome } from "./two-stage.ranker";
import type { LiveSignals, ShortTermItem } from "./user.context";

const HISTORY_MAX = 50;
const SEEN_MAX = 2_000;

/** What a stored event says about the video for the ranker heads; undefined: nothing learned. */
export function outcomeOf(type: StoredEvent["event"]["type"]): Outcome | undefined {
  switch (type) {
    case "complete":
    case "replay":
      return { complete: 1, skip: 0 };
    case "like":
      return { like: 1, skip: 0 };
    case "share":
      return { share: 1 };
    case "follow":
      return { follow: 1 };
    case "skip":
      return { skip: 1, complete: 0, like: 0 };
    case "not_interested":
      return { skip: 1, like: 0, share: 0, follow: 0 };
    default:
      return undefined;
  }
}

/**
 * Positive engagement as the ranker counts it: the in-memory sequence, the co-engagement graph,
 * the long-term history and the archive's training sessions. That is isEngagement less `replay`,
 * which the feature store's `recent:{user}` does count: the ranker has always learned without
 * replays (a replay follows a complete of the same video), and counting them now would change its
 * long-term histories and training sessions, so the difference stays.
 */
export function isRankerEngagement(type: StoredEvent["event"]["type"]): boolean {
  return type !== "replay" && isEngagement(type);
}

/** Likes and skips are the strong signals: a burst of them makes the user's feed due at once. */
export function isStrongSignal(type: StoredEvent["event"]["type"]): boolean {
  return type === "like" || type === "skip" || type === "not_interested" || type === "share";
}

/**
 * One user's recent behaviour as the ranker's own consumer of `ev:{p}` saw it: the watch sequence
 * (training sessions, and the short-term sequence until the feature processor has it), what was
 * shown (seen filter), suppressions, follows, and the candidates of the last feed written, so
 * learning sees the rails it was served with. Kept in memory for active users only; Redis holds
 * the same signals for every user (user.context.ts), this covers the batch Redis may not have yet.
 */
export class UserSignals implements LiveSignals {
  readonly history: number[] = [];
  readonly seen = new Set<number>();
  readonly suppressedCreators = new Set<string>();
  readonly suppressedSounds = new Set<string>();
  readonly follows = new Set<string>();
  readonly served = new Map<number, Candidate>();
  /** Item → when last engaged (ms), oldest first by insertion. */
  private readonly watchedAt = new Map<number, number>();
  private strong: number[] = [];
  lastActive = 0;
  region: string | undefined;

  watched(item: number, at: number): void {
    if (this.history[this.history.length - 1] !== item) {
      this.history.push(item);
      if (this.history.length > HISTORY_MAX) this.history.shift();
    }
    this.watchedAt.delete(item);
    this.watchedAt.set(item, at);
    if (this.watchedAt.size > HISTORY_MAX) {
      const oldest = this.watchedAt.keys().next();
      if (!oldest.done) this.watchedAt.delete(oldest.value);
    }
  }

  *recent(): Iterable<ShortTermItem> {
    for (const [item, at] of this.watchedAt) yield { item, at };
  }

  markSeen(item: number): void {
    this.seen.add(item);
    // Oldest first by insertion order: forgetting the oldest lets a video come back much later.
    if (this.seen.size > SEEN_MAX) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
  }

  /** Records a strong signal at `now`; true when `threshold` fell within `windowMs`. */
  strongSignal(now: number, threshold: number, windowMs: number): boolean {
    this.strong = this.strong.filter((t) => now - t < windowMs);
    this.strong.push(now);
    if (this.strong.length < threshold) return false;
    this.strong = [];
    return true;
  }
}
