import type { Redis } from "ioredis";
import type { StoredEvent } from "../../../contracts/event.schema";
import type { RankerKeys } from "../../../contracts/keyspace";
import { decodeEntry, type StreamEntry, toEntries } from "../../features/stream-entries";
import { readUserInterest } from "../../features/user-interest.reader";
import { ensureConsumerGroup, readGroup } from "../../streams/consumer-group";
import type { RankerStats } from "../config/ranker.options";
import type { ModelState } from "../model/model.state";
import { LONG_HISTORY_MAX, LONG_HISTORY_MS, recentCreatorsOf } from "../serving/user.context";
import {
  isRankerEngagement,
  isStrongSignal,
  outcomeOf,
  UserSignals,
} from "../serving/user.signals";

export interface EventLearnerOptions {
  partitions: number;
  /** This replica's own consumer group on every `ev:{p}`. */
  group: string;
  consumer: string;
  /** This many strong signals within `burstWindowMs` make the user's feed due now. */
  burstThreshold: number;
  burstWindowMs: number;
}

/**
 * The ranker's online learning: reads every `ev:{p}` through this replica's own group, updates the
 * heads and the co-engagement graph event by event, keeps each active user's live signals, the
 * long-term history and the due queue, and counts impressions per region for exploration.
 */
export class EventLearner {
  readonly users = new Map<string, UserSignals>();
  /** Impressions per region and item since start: exploration is per region. */
  private readonly exposure = new Map<string, Map<number, number>>();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    /** XREADGROUP BLOCK parks its connection; refreshes must not wait behind it. */
    private readonly reader: Redis,
    private readonly keys: RankerKeys,
    private readonly model: () => ModelState | undefined,
    private readonly stats: RankerStats,
    private readonly options: EventLearnerOptions,
    /** Called when the heads learned something a checkpoint does not hold yet. */
    private readonly onLearned: () => void,
  ) {}

  /** Joins this replica's group on every partition, from the stream's start. */
  async joinGroups(): Promise<void> {
    // From the stream's start: what is still retained trains the embeddings on first start.
    for (let p = 0; p < this.options.partitions; p++) {
      await ensureConsumerGroup(this.redis, this.keys.features.stream(p), this.options.group);
    }
  }

  start(): void {
    this.running = true;
    this.loop = this.consume();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Impressions of `item` in `region` this replica saw since start. */
  regionalExposure(region: string, item: number): number {
    return this.exposure.get(region)?.get(item) ?? 0;
  }

  private async consume(): Promise<void> {
    const streams = Array.from({ length: this.options.partitions }, (_, p) =>
      this.keys.features.stream(p),
    );
    while (this.running) {
      try {
        const reply = await readGroup(this.reader, {
          group: this.options.group,
          consumer: this.options.consumer,
          streams,
          count: 500,
          blockMs: 200,
        });
        if (!reply || !this.model()) continue;
        for (const [stream, raw] of reply) {
          const entries = toEntries(raw);
          await this.apply(entries);
          if (entries.length > 0) {
            await this.redis.xack(stream, this.options.group, ...entries.map((e) => e.id));
          }
        }
      } catch (error) {
        if (!this.running) return;
        console.error("ranker: event loop error", error);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Learns from one batch: per user, the context before the batch, then each event in order. */
  private async apply(entries: readonly StreamEntry[]): Promise<void> {
    const byUser = new Map<string, StoredEvent[]>();
    for (const entry of entries) {
      const stored = decodeEntry(entry);
      if (!stored) continue;
      const list = byUser.get(stored.user_id) ?? [];
      list.push(stored);
      byUser.set(stored.user_id, list);
    }
    const state = this.model();
    if (byUser.size === 0 || !state) return;
    const now = Date.now();
    const interests = await Promise.all(
      [...byUser.keys()].map((user) => readUserInterest(this.redis, this.keys.features, user)),
    );
    const pipeline = this.redis.pipeline();
    for (const [u, [userId, events]] of [...byUser].entries()) {
      let signals = this.users.get(userId);
      const firstSeen = !signals;
      if (!signals) {
        signals = new UserSignals();
        this.users.set(userId, signals);
      }
      const context = {
        userId,
        history: [...signals.history],
        interest: new Map((interests[u] ?? []).map((a) => [a.member, a.score])),
        recentCreators: recentCreatorsOf(state.catalog, signals.history),
      };
      const userState = state.ranker.state(context);
      let burst = false;
      const longHistory = this.keys.longHistory(userId);
      let engaged = false;
      for (const stored of events) {
        this.stats.events++;
        signals.region = stored.region;
        burst = this.observe(state, signals, stored, userState, now) || burst;
        if (isRankerEngagement(stored.event.type)) {
          pipeline.zadd(longHistory, stored.received_at, stored.event.video_id);
          engaged = true;
        }
      }
      if (engaged) {
        pipeline.zremrangebyrank(longHistory, 0, -LONG_HISTORY_MAX - 1);
        pipeline.pexpire(longHistory, LONG_HISTORY_MS);
      }
      signals.lastActive = now;
      pipeline.zadd(this.keys.active(), now, userId);
      pipeline.hset(this.keys.regions(), userId, signals.region ?? "eu");
      if (signals.region) pipeline.sadd(this.keys.regionSet(), signals.region);
      if (firstSeen) pipeline.zadd(this.keys.due(), "NX", now, userId);
      if (burst) pipeline.zadd(this.keys.due(), "LT", now, userId);
    }
    await pipeline.exec();
  }

  /** Applies one event; returns whether it completed a burst of strong signals. */
  private observe(
    state: ModelState,
    signals: UserSignals,
    stored: StoredEvent,
    userState: ReturnType<ModelState["ranker"]["state"]>,
    now: number,
  ): boolean {
    const { event, weight } = stored;
    const item = state.catalog.lookup(event.video_id);
    const meta = item === undefined ? undefined : state.catalog.get(item);
    if (item === undefined || !meta) return false;
    const stats = state.stat(item);
    switch (event.type) {
      case "impression": {
        stats.impressions += weight;
        signals.markSeen(item);
        const regional = this.exposure.get(stored.region) ?? new Map<number, number>();
        regional.set(item, (regional.get(item) ?? 0) + weight);
        this.exposure.set(stored.region, regional);
        break;
      }
      case "play":
        stats.views += weight;
        signals.markSeen(item);
        break;
      case "not_interested":
        signals.suppressedCreators.add(meta.creatorId);
        if (meta.audioId) signals.suppressedSounds.add(meta.audioId);
        signals.markSeen(item);
        break;
      case "skip":
        signals.markSeen(item);
        break;
      default:
        if (!isRankerEngagement(event.type)) break;
        if (event.type === "complete") stats.completes += weight;
        else stats.engaged += weight;
        signals.markSeen(item);
        // Positive engagement forms the short-term sequence and the co-engagement graph.
        if (signals.history[signals.history.length - 1] !== item) {
          state.models.coVisitation.observe(signals.history, item);
        }
        signals.watched(item, stored.received_at);
        if (event.type === "follow") signals.follows.add(event.creator_id);
        break;
    }
    const outcome = outcomeOf(event.type);
    if (outcome) {
      const candidate = signals.served.get(item) ?? state.candidate(item, {}, now);
      if (candidate) {
        state.ranker.learn(userState, candidate, outcome, weight);
        this.stats.learned++;
        this.onLearned();
      }
    }
    return (
      isStrongSignal(event.type) &&
      signals.strongSignal(now, this.options.burstThreshold, this.options.burstWindowMs)
    );
  }
}
