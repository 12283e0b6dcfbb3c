import type { Redis } from "ioredis";
import type { RankerKeys } from "../../../contracts/keyspace";
import type { RankerServiceOptions, RankerStats } from "../config/ranker.options";
import { configFor } from "../config/ranking.config";
import type { ModelState } from "../model/model.state";
import { buildFeed } from "../serving/feed.builder";
import { writeForYou } from "../serving/for-you.writer";
import { feedRequestFor, readUserContext, withLiveSignals } from "../serving/user.context";
import type { UserSignals } from "../serving/user.signals";

const DUE_BATCH = 50;

export type FeedRefresherOptions = Pick<
  RankerServiceOptions,
  "activeWindowMs" | "timing" | "ranking" | "experiment" | "explore"
>;

/**
 * Keeps `fyp:{user}` fresh: ranks the users whose feed is due (the shared due queue decides which
 * replica takes each) and reschedules those still active, forgetting the idle ones.
 */
export class FeedRefresher {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RankerKeys,
    private readonly model: () => ModelState,
    /** The live signals of active users, as this replica's event learner keeps them. */
    private readonly users: Map<string, UserSignals>,
    private readonly stats: RankerStats,
    private readonly options: FeedRefresherOptions,
  ) {}

  /**
   * Ranks one user in their A/B arm and replaces `fyp:{user}`; returns the delay until the next
   * refresh. The context is Redis's (mirrors, sequence, follows: it survives a restart) joined
   * with what this process saw on the stream and Redis may not have yet.
   */
  async refreshUser(userId: string, now = Date.now()): Promise<number> {
    const state = this.model();
    const signals = this.users.get(userId);
    const stored = await readUserContext(this.redis, this.keys, userId, state.catalog, now);
    const context = signals ? withLiveSignals(stored, signals, now) : stored;
    const region = signals?.region ?? context.region ?? this.options.explore.regions[0] ?? "eu";
    const { config, arm } = configFor(this.options.ranking, this.options.experiment, userId);
    const feed = await buildFeed(
      this.redis,
      this.keys,
      state,
      feedRequestFor(state.catalog, userId, region, context),
      { config, now, newestWithoutExploration: true },
    );
    if (signals) {
      signals.served.clear();
      for (const p of feed.placed) signals.served.set(p.candidate.item, p.candidate);
    }
    this.stats.refreshes++;
    return writeForYou(this.redis, userId, feed.videos, arm, this.options.timing);
  }

  /** Claims due users (ZREM decides between replicas), refreshes and reschedules them. */
  async refreshDue(now: number): Promise<void> {
    const due = await this.redis.zrangebyscore(this.keys.due(), "-inf", now, "LIMIT", 0, DUE_BATCH);
    for (const userId of due) {
      if ((await this.redis.zrem(this.keys.due(), userId)) !== 1) continue;
      try {
        const delay = await this.refreshUser(userId, now);
        const active = Number((await this.redis.zscore(this.keys.active(), userId)) ?? 0);
        if (active >= now - this.options.activeWindowMs) {
          // NX: a request or a burst that arrived meanwhile keeps its earlier due time.
          await this.redis.zadd(this.keys.due(), "NX", now + delay, userId);
        } else {
          await this.redis.zrem(this.keys.active(), userId);
          this.users.delete(userId);
        }
      } catch (error) {
        console.error(`ranker: refresh of ${userId} failed`, error);
      }
    }
  }
}
