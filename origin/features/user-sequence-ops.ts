import { isEngagement, type StoredEvent } from "../../contracts/event.schema";
import type { FeatureKeys } from "../../contracts/keyspace";
import type { Op } from "./batch-ops";
import { FOLLOWS_MAX_CREATORS, RECENT_MAX_VIDEOS, RECENT_WINDOW_MS } from "./feature-windows";

interface UserSequence {
  /** Video id → the user's latest engagement with it in the batch (edge time, ms). */
  engaged: Map<string, number>;
  /** Creator id → follow time, or null for an unfollow: the last one in stream order wins. */
  follows: Map<string, number | null>;
}

/**
 * Collects, per user, what a batch adds to the short-term sequence (`recent`) and the follow
 * graph (`follows`). Bot sessions are left out by the caller.
 */
export class UserSequences {
  private readonly users = new Map<string, UserSequence>();

  add(stored: StoredEvent): void {
    const { event } = stored;
    const engaged = isEngagement(event.type);
    if (!engaged && event.type !== "unfollow") return;
    const user = this.userOf(stored.user_id);
    if (engaged) {
      const at = user.engaged.get(event.video_id) ?? 0;
      user.engaged.set(event.video_id, Math.max(at, stored.received_at));
    }
    if (event.type === "follow") user.follows.set(event.creator_id, stored.received_at);
    if (event.type === "unfollow") user.follows.set(event.creator_id, null);
  }

  /**
   * `r key windowMs max 2n (at video)*n` and `g key max 2n (at creator)*n m creator*m`;
   * see commit-batch.lua.ts.
   */
  ops(keys: FeatureKeys): Op[] {
    const ops: Op[] = [];
    for (const [userId, { engaged, follows }] of this.users) {
      if (engaged.size > 0) {
        const scored = newestEngaged(engaged).flatMap(([videoId, at]) => [at, videoId]);
        ops.push(["r", keys.recent(userId), RECENT_WINDOW_MS, RECENT_MAX_VIDEOS, scored]);
      }
      if (follows.size > 0) {
        const added: (string | number)[] = [];
        const removed: string[] = [];
        for (const [creatorId, at] of follows) {
          if (at === null) removed.push(creatorId);
          else added.push(at, creatorId);
        }
        ops.push(["g", keys.follows(userId), FOLLOWS_MAX_CREATORS, added, removed]);
      }
    }
    return ops;
  }

  private userOf(userId: string): UserSequence {
    let user = this.users.get(userId);
    if (!user) {
      user = { engaged: new Map(), follows: new Map() };
      this.users.set(userId, user);
    }
    return user;
  }
}

/**
 * Only a batch's newest RECENT_MAX_VIDEOS can survive the script's trim: no more are sent.
 * Ties go the way Redis ranks them, by member.
 */
function newestEngaged(engaged: Map<string, number>): [string, number][] {
  const all = [...engaged];
  if (all.length <= RECENT_MAX_VIDEOS) return all;
  return all
    .sort(([a, at], [b, bt]) => bt - at || (a < b ? 1 : a > b ? -1 : 0))
    .slice(0, RECENT_MAX_VIDEOS);
}
