import { hostname } from "node:os";
import type { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import type { StoredEvent } from "../../contracts/event.schema";
import { decodeEntry, type StreamEntry, toEntries } from "../features/stream-entries";
import { readUserInterest } from "../features/user-interest.reader";
import {
  configFor,
  DEFAULT_RANKING_CONFIG,
  type Experiment,
  type RankingConfig,
} from "./config/ranking.config";
import { ARCHIVE_EVENTS_PREFIX, readArchiveSessions } from "./leader/archive.sessions";
import { DEFAULT_EXPLORE, type ExploreOptions, writeExploration } from "./leader/explore.writer";
import { RankerLease } from "./leader/ranker.lease";
import { CheckpointStore } from "./model/model.checkpoint";
import type { ModelState } from "./model/model.state";
import {
  DEFAULT_REPLICA,
  LONG_HISTORY_MAX,
  LONG_HISTORY_MS,
  type RankerKeys,
  rankerGroup,
  rankerKeys,
} from "./ranker.keys";
import { buildFeed } from "./serving/feed.builder";
import { DEFAULT_FOR_YOU_TIMING, type ForYouTiming, writeForYou } from "./serving/for-you.writer";
import { ServingModel } from "./serving/serving.model";
import {
  feedRequestFor,
  readUserContext,
  recentCreatorsOf,
  withLiveSignals,
} from "./serving/user.context";
import { isEngagement, isStrongSignal, outcomeOf, UserSignals } from "./serving/user.signals";

export interface RankerServiceOptions {
  redisUrl: string;
  s3: S3Client;
  bucket: string;
  module: WebAssembly.Module;
  /** Empty in production; unique per test. */
  keyPrefix: string;
  partitions: number;
  uploadStream: string;
  checkpointPrefix: string;
  consumer?: string;
  /**
   * This replica's stable name (RANKER_REPLICA): its own consumer group, so every replica sees
   * every event. Replicas share the due queue; one of them, the lease holder, writes artefacts.
   */
  replica: string;
  /** The leader's lease; it renews every tick, so this must be several ticks long. */
  leaseMs: number;
  /** Scheduler period: due users, new uploads, newer checkpoints. */
  tickMs: number;
  checkpointMs: number;
  trainMs: number;
  trainEpochs: number;
  /**
   * UTC days of the event archive each retrain learns from besides the active users' histories
   * (RANKER_TRAIN_DAYS); 0: the histories alone. Read on the leader's first retrain, then daily.
   */
  trainDays: number;
  /** Where the `archive` role writes event segments; unique per test. */
  archivePrefix: string;
  exploreMs: number;
  /** Users with no event or request for this long stop being refreshed. */
  activeWindowMs: number;
  /** This many likes/skips within `burstWindowMs` make the user's feed due now. */
  burstThreshold: number;
  burstWindowMs: number;
  timing: ForYouTiming;
  ranking: RankingConfig;
  /** The A/B experiment users are ranked under (RANKING_EXPERIMENT); absent: everyone is control. */
  experiment?: Experiment;
  explore: ExploreOptions;
}

/** The background ranker's config for the precomputed feed: 100 videos, stage 1 keeps 150. */
export const RANKER_RANKING: RankingConfig = {
  ...DEFAULT_RANKING_CONFIG,
  stage1Keep: 150,
  feedSize: 100,
};

export const DEFAULT_RANKER_SERVICE = {
  consumer: undefined,
  replica: DEFAULT_REPLICA,
  leaseMs: 15_000,
  tickMs: 1_000,
  checkpointMs: 5 * 60_000,
  trainMs: 10 * 60_000,
  trainEpochs: 2,
  trainDays: 7,
  archivePrefix: ARCHIVE_EVENTS_PREFIX,
  exploreMs: 30_000,
  activeWindowMs: 30 * 60_000,
  burstThreshold: 3,
  burstWindowMs: 60_000,
  timing: DEFAULT_FOR_YOU_TIMING,
  ranking: RANKER_RANKING,
  explore: DEFAULT_EXPLORE,
} as const;

const DUE_BATCH = 50;
/** A reread is a full read, and a day adds a small share to a week of archive: once a day. */
const ARCHIVE_REREAD_MS = 24 * 3_600_000;

export interface RankerStats {
  events: number;
  learned: number;
  refreshes: number;
  checkpoints: number;
}

/**
 * The `ranker` role: serves the model (ServingModel: checkpoint or content-built, new uploads into
 * the delta index), learns online from its own consumer group on `ev:{p}`, keeps `fyp:{user}`
 * fresh for active users on a jittered 5–15 min schedule (sooner after a burst of likes/skips or
 * a refresh request), maintains `explore:{region}`, retrains the embeddings and checkpoints it
 * all to the object store.
 */
export class RankerService {
  readonly stats: RankerStats = { events: 0, learned: 0, refreshes: 0, checkpoints: 0 };
  readonly serving: ServingModel;
  readonly users = new Map<string, UserSignals>();
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly keys: RankerKeys;
  private readonly store: CheckpointStore;
  private readonly consumer: string;
  private readonly group: string;
  private readonly lease: RankerLease;
  /** Impressions per region and item since start: exploration is per region. */
  private readonly exposure = new Map<string, Map<number, number>>();
  private retraining: Promise<void> | undefined;
  /** Sessions from the event archive, reread at most every ARCHIVE_REREAD_MS. */
  private archiveSessions: readonly Uint32Array[] = [];
  private nextArchiveRead = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private dirty = false;
  private nextCheckpoint = 0;
  private nextTrain = 0;
  private nextExplore = 0;

  constructor(private readonly options: RankerServiceOptions) {
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    // XREADGROUP BLOCK parks its connection; refreshes must not wait behind it.
    this.reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    this.keys = rankerKeys(options.keyPrefix);
    this.store = new CheckpointStore({
      s3: options.s3,
      bucket: options.bucket,
      prefix: options.checkpointPrefix,
    });
    this.serving = new ServingModel({
      redis: this.redis,
      module: options.module,
      store: this.store,
      uploadStream: options.uploadStream,
    });
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.group = rankerGroup(options.replica);
    this.lease = new RankerLease(
      this.redis,
      this.keys.leader(),
      `${options.replica}:${this.consumer}`,
      options.leaseMs,
    );
  }

  /** Whether this replica holds the lease: it retrains, checkpoints and writes exploration. */
  get isLeader(): boolean {
    return this.lease.isLeader;
  }

  get model(): ModelState {
    const state = this.serving.current;
    if (!state) throw new Error("ranker: model not loaded");
    return state;
  }

  async start(): Promise<void> {
    // From the stream's start: what is still retained trains the embeddings on first start.
    for (let p = 0; p < this.options.partitions; p++) {
      await this.redis
        .xgroup("CREATE", this.keys.features.stream(p), this.group, "0", "MKSTREAM")
        .catch((error: Error) => {
          if (!error.message.startsWith("BUSYGROUP")) throw error;
        });
    }
    await this.serving.load();
    const now = Date.now();
    this.nextCheckpoint = now + this.options.checkpointMs;
    this.nextTrain = now + this.options.trainMs;
    this.running = true;
    this.loop = this.consume();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.loop;
    await this.ticking;
    // A retrain still running is abandoned: what it would add is retrained again next time.
    if (this.dirty && this.lease.isLeader) await this.checkpoint();
    await this.lease.release().catch(() => undefined);
    this.redis.disconnect();
    this.reader.disconnect();
  }

  /** Saves the model as the next version; this process then serves that version. */
  async checkpoint(): Promise<number> {
    const state = this.model;
    const version = await this.store.save(state.checkpoint());
    state.version = Math.max(state.version, version);
    this.dirty = false;
    this.stats.checkpoints++;
    return version;
  }

  /** Writes `explore:{region}` now; returns how many videos it holds. */
  exploration(): Promise<number> {
    return writeExploration(this.redis, this.keys, this.model, this.options.explore, {
      regional: (region, item) => this.exposure.get(region)?.get(item) ?? 0,
    });
  }

  /**
   * One pass of the scheduler: model sync and due feeds on every replica; exploration, retraining
   * and checkpoints on the leader only. Retraining runs in a worker thread and is not awaited, so
   * feeds keep being refreshed meanwhile; its result is checkpointed on a later pass.
   */
  async tick(now = Date.now()): Promise<void> {
    const leader = await this.lease.refresh();
    const changed = await this.serving.sync();
    // New uploads go into exploration at once: a freshly seeded catalog shows up in the feed.
    if (leader && (changed || now >= this.nextExplore)) {
      await this.exploration();
      this.nextExplore = now + this.options.exploreMs;
    }
    await this.refreshDue(now);
    if (leader && now >= this.nextTrain && !this.retraining) {
      this.nextTrain = now + this.options.trainMs;
      this.retraining = this.retrain(now)
        .catch((error: unknown) => console.error("ranker: retrain failed", error))
        .finally(() => {
          this.retraining = undefined;
        });
    }
    if (now >= this.nextCheckpoint) {
      if (leader && this.dirty) await this.checkpoint();
      this.nextCheckpoint = now + this.options.checkpointMs;
    }
  }

  /** Resolves when the retrain started by a tick (if any) has been swapped in. */
  async retrained(): Promise<void> {
    await this.retraining;
  }

  /** Trains on the archive's sessions and the active users' histories (last 50 engagements). */
  private async retrain(now: number): Promise<void> {
    if (this.options.trainDays > 0 && now >= this.nextArchiveRead) await this.readArchive(now);
    // Stopped while the archive was read: a retrain now would only be abandoned.
    if (!this.running) return;
    const active = [...this.users.values()].map((u) => u.history);
    const swapped = await this.model.retrain(
      [...this.archiveSessions, ...active],
      this.options.trainEpochs,
    );
    if (swapped) this.dirty = true;
  }

  /** Rereads the archive sessions; on failure the old ones stay and the next retrain retries. */
  private async readArchive(now: number): Promise<void> {
    try {
      const { catalog } = this.model;
      const { sessions, stats } = await readArchiveSessions({
        s3: this.options.s3,
        bucket: this.options.bucket,
        prefix: this.options.archivePrefix,
        days: this.options.trainDays,
        now,
        // Live videos, as in the live histories; items are never reused, so these stay valid.
        itemOf: (videoId) => {
          const item = catalog.lookup(videoId);
          return item !== undefined && catalog.get(item) ? item : undefined;
        },
      });
      this.archiveSessions = sessions;
      this.nextArchiveRead = now + ARCHIVE_REREAD_MS;
      console.log(
        `ranker: archive of ${this.options.trainDays} d: ${stats.read}/${stats.listed} segments read (${stats.unreadable} unreadable), ${stats.lines} lines (${stats.malformed} malformed), ${stats.engagements} engagements with known videos (${stats.unknownVideos} unknown) → ${stats.sessions} sessions of ${stats.items} videos in ${stats.seconds.toFixed(1)} s`,
      );
    } catch (error) {
      console.error(
        "ranker: reading the event archive failed; retraining on the sessions read before, if any",
        error,
      );
    }
  }

  /**
   * Ranks one user in their A/B arm and replaces `fyp:{user}`; returns the delay until the next
   * refresh. The context is Redis's (mirrors, sequence, follows: it survives a restart) joined
   * with what this process saw on the stream and Redis may not have yet.
   */
  async refreshUser(userId: string, now = Date.now()): Promise<number> {
    const state = this.model;
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

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => console.error("ranker: tick failed", error))
        .finally(() => this.schedule(this.options.tickMs));
    }, delay);
  }

  /** Claims due users (ZREM decides between replicas), refreshes and reschedules them. */
  private async refreshDue(now: number): Promise<void> {
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

  private async consume(): Promise<void> {
    const streams = Array.from({ length: this.options.partitions }, (_, p) =>
      this.keys.features.stream(p),
    );
    while (this.running) {
      try {
        const reply = (await this.reader.call(
          "XREADGROUP",
          "GROUP",
          this.group,
          this.consumer,
          "COUNT",
          500,
          "BLOCK",
          200,
          "STREAMS",
          ...streams,
          ...streams.map(() => ">"),
        )) as [string, unknown][] | null;
        if (!reply || !this.serving.current) continue;
        for (const [stream, raw] of reply) {
          const entries = toEntries(raw);
          await this.apply(entries);
          if (entries.length > 0) {
            await this.redis.xack(stream, this.group, ...entries.map((e) => e.id));
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
    if (byUser.size === 0) return;
    const state = this.model;
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
        if (isEngagement(stored.event.type)) {
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
      case "complete":
      case "like":
      case "share":
      case "follow":
      case "comment":
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
      case "not_interested":
        signals.suppressedCreators.add(meta.creatorId);
        if (meta.audioId) signals.suppressedSounds.add(meta.audioId);
        signals.markSeen(item);
        break;
      case "skip":
        signals.markSeen(item);
        break;
      default:
        break;
    }
    const outcome = outcomeOf(event.type);
    if (outcome) {
      const candidate = signals.served.get(item) ?? state.candidate(item, {}, now);
      if (candidate) {
        state.ranker.learn(userState, candidate, outcome, weight);
        this.stats.learned++;
        this.dirty = true;
      }
    }
    return (
      isStrongSignal(event.type) &&
      signals.strongSignal(now, this.options.burstThreshold, this.options.burstWindowMs)
    );
  }
}
