import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Redis } from "ioredis";
import type { StoredEvent } from "../../contracts/event.schema";
import { ConsumerGroups, type FeatureKeys, featureKeys } from "../../contracts/keyspace";
import type { FeaturesConfig } from "../config/config";
import { ensureConsumerGroup, readGroup } from "../streams/consumer-group";
import { type BatchContext, type BatchWrites, batchOps, type VideoMeta } from "./batch-ops";
import { COMMIT_BATCH_LUA, type CommitOutcome, flattenOps } from "./commit-batch.lua";
import { PartitionLeases } from "./partition-lease";
import { compareIds, decodeEntry, type StreamEntry, toEntries } from "./stream-entries";
import { refreshTrending } from "./trending-refresh";
import { UserRhythm } from "./user-rhythm";

/** The group every feature processor joins on every partition (partitions split by lease). */
const FEATURES_GROUP = ConsumerGroups.features;

export interface ProcessorStats {
  events: number;
  bad: number;
  batches: number;
  /** Entries trimmed from a stream before anyone processed them: MAXLEN is too small. */
  trimmed: number;
}

const MAX_CACHED_VIDEOS = 100_000;
const NO_HASHTAGS: readonly string[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The `features` role: reads every partition it leases through the consumer group, turns each
 * batch into aggregate writes and commits them with its position in one script. On gaining a
 * partition it first reclaims (XAUTOCLAIM) whatever a dead owner left pending, in id order.
 */
export class FeatureProcessor {
  readonly stats: ProcessorStats = { events: 0, bad: 0, batches: 0, trimmed: 0 };
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly keys: FeatureKeys;
  private readonly consumer: string;
  private readonly leases: PartitionLeases;
  private readonly rhythm = new UserRhythm();
  private readonly flagged = new Map<string, boolean>();
  private readonly catalog = new Map<string, VideoMeta | null>();
  private readonly positions = new Map<number, string>();
  /** Partitions still draining pending entries, with the XAUTOCLAIM cursor. */
  private readonly recovering = new Map<number, string>();
  private commitSha = "";
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly config: FeaturesConfig) {
    this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    // XREADGROUP BLOCK parks its connection; commits must not wait behind it.
    this.reader = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    this.keys = featureKeys(config.keyPrefix);
    this.consumer = config.consumer ?? `${hostname()}-${process.pid}`;
    this.leases = new PartitionLeases(
      this.redis,
      this.keys,
      config.partitions,
      config.leaseMs,
      `${this.consumer}:${randomUUID().slice(0, 8)}`,
    );
  }

  get ownedPartitions(): number[] {
    return [...this.leases.owned].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    for (let p = 0; p < this.config.partitions; p++) {
      await ensureConsumerGroup(this.redis, this.keys.stream(p), FEATURES_GROUP);
    }
    this.commitSha = String(await this.redis.script("LOAD", COMMIT_BATCH_LUA));
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.leases.releaseAll();
    this.redis.disconnect();
    this.reader.disconnect();
  }

  private async run(): Promise<void> {
    let nextRebalance = 0;
    let nextTrending = 0;
    while (this.running) {
      try {
        const now = Date.now();
        if (now >= nextRebalance) {
          await this.rebalance();
          nextRebalance = now + this.config.leaseMs / 3;
        }
        if (now >= nextTrending) {
          await refreshTrending(this.redis, this.keys, this.config.trendingIntervalMs, now);
          nextTrending = now + this.config.trendingIntervalMs;
        }
        if (this.recovering.size > 0) {
          await Promise.all([...this.recovering.keys()].map((p) => this.recover(p)));
        } else if (this.leases.owned.size > 0) {
          await this.readNew(Math.min(100, this.config.leaseMs / 4));
        } else {
          await sleep(Math.min(200, this.config.leaseMs / 3));
        }
      } catch (error) {
        console.error("features: loop error", error);
        await sleep(500);
      }
    }
  }

  private async rebalance(): Promise<void> {
    const { gained, lost } = await this.leases.rebalance();
    for (const p of lost) this.forget(p);
    for (const p of gained) {
      this.positions.delete(p);
      this.recovering.set(p, "0-0");
    }
  }

  private forget(p: number): void {
    this.recovering.delete(p);
    this.positions.delete(p);
  }

  /** Takes over what earlier owners (or this process before a restart) left pending. */
  private async recover(p: number): Promise<void> {
    const reply = (await this.redis.call(
      "XAUTOCLAIM",
      this.keys.stream(p),
      FEATURES_GROUP,
      this.consumer,
      "0",
      this.recovering.get(p) ?? "0-0",
      "COUNT",
      this.config.batchSize,
    )) as [string, unknown, string[] | undefined];
    const [cursor, rawEntries, deleted] = reply;
    this.stats.trimmed += deleted?.length ?? 0;
    const entries = toEntries(rawEntries);
    if (!this.recovering.has(p)) return;
    if (cursor === "0-0") this.recovering.delete(p);
    else this.recovering.set(p, cursor);
    if (entries.length > 0) await this.processBatch(p, entries);
  }

  private async readNew(blockMs: number): Promise<void> {
    const partitions = this.ownedPartitions;
    const reply = await readGroup(this.reader, {
      group: FEATURES_GROUP,
      consumer: this.consumer,
      streams: partitions.map((p) => this.keys.stream(p)),
      count: this.config.batchSize,
      blockMs: Math.max(1, Math.floor(blockMs)),
    });
    if (!reply) return;
    await Promise.all(
      reply.map(([stream, raw]) => {
        const p = partitions.find((q) => this.keys.stream(q) === stream);
        return p === undefined ? Promise.resolve() : this.processBatch(p, toEntries(raw));
      }),
    );
  }

  private async position(p: number): Promise<string> {
    let position = this.positions.get(p);
    if (position === undefined) {
      position = (await this.redis.hget(this.keys.positions(), String(p))) ?? "0-0";
      this.positions.set(p, position);
    }
    return position;
  }

  private async processBatch(p: number, entries: StreamEntry[], retried = false): Promise<void> {
    if (!this.leases.owned.has(p) || entries.length === 0) return;
    const position = await this.position(p);
    const fresh: StreamEntry[] = [];
    const done: string[] = [];
    for (const entry of entries) {
      if (compareIds(entry.id, position) > 0) fresh.push(entry);
      else done.push(entry.id);
    }
    // Already counted by a commit whose ack never arrived: acknowledge, never count again.
    if (done.length > 0) await this.redis.xack(this.keys.stream(p), FEATURES_GROUP, ...done);
    if (fresh.length === 0) return;
    const events: StoredEvent[] = [];
    for (const entry of fresh) {
      const stored = decodeEntry(entry);
      if (stored) events.push(stored);
    }
    await this.loadContext(events);
    const outcome = await this.commit(p, fresh, batchOps(events, this.batchContext(events)));
    if (outcome === "OK") {
      this.positions.set(p, fresh[fresh.length - 1]!.id);
      this.stats.events += events.length;
      this.stats.bad += fresh.length - events.length;
      this.stats.batches++;
    } else if (outcome === "FENCED") {
      this.leases.drop(p);
      this.forget(p);
    } else if (outcome === "STALE" && !retried) {
      this.positions.delete(p);
      await this.processBatch(p, entries, true);
    } else {
      // GAP (or a second STALE): start over from the oldest pending entry.
      this.positions.delete(p);
      this.recovering.set(p, "0-0");
    }
  }

  private async commit(
    p: number,
    entries: StreamEntry[],
    writes: BatchWrites,
  ): Promise<CommitOutcome> {
    const args = [
      this.keys.stream(p),
      this.keys.lease(p),
      this.keys.positions(),
      this.keys.notify(),
      FEATURES_GROUP,
      this.leases.token,
      String(p),
      entries[0]!.id,
      entries[entries.length - 1]!.id,
      this.keys.videoFeatures(""),
      String(writes.newestAt),
      String(entries.length),
    ];
    for (const entry of entries) args.push(entry.id);
    // One array, not spread arguments: a batch passes thousands of them.
    flattenOps(writes.ops, args);
    try {
      return (await this.redis.evalsha(this.commitSha, 4, args)) as CommitOutcome;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      this.commitSha = String(await this.redis.script("LOAD", COMMIT_BATCH_LUA));
      return (await this.redis.evalsha(this.commitSha, 4, args)) as CommitOutcome;
    }
  }

  /** Catalog entries and bot flags the batch needs and this process has not seen yet. */
  private async loadContext(events: StoredEvent[]): Promise<void> {
    const newVideos = new Set<string>();
    const newUsers = new Set<string>();
    for (const { event, user_id } of events) {
      if (!this.catalog.has(event.video_id)) newVideos.add(event.video_id);
      if (!this.flagged.has(user_id)) newUsers.add(user_id);
    }
    if (newVideos.size === 0 && newUsers.size === 0) return;
    const videos = [...newVideos];
    const users = [...newUsers];
    const pipeline = this.redis.pipeline();
    for (const id of videos) {
      pipeline.hmget(this.keys.video(id), "creator_id", "audio_id", "hashtags");
    }
    for (const id of users) pipeline.exists(this.keys.spamUser(id));
    const results = (await pipeline.exec()) ?? [];
    if (this.catalog.size + videos.length > MAX_CACHED_VIDEOS) this.catalog.clear();
    videos.forEach((id, i) => {
      const [creator, audio, hashtags] = (results[i]?.[1] ?? []) as (string | null)[];
      this.catalog.set(
        id,
        creator
          ? { creatorId: creator, audioId: audio ?? "", hashtags: parseTags(hashtags) }
          : null,
      );
    });
    users.forEach((id, i) => {
      this.flagged.set(id, results[videos.length + i]?.[1] === 1);
    });
  }

  private batchContext(events: StoredEvent[]): BatchContext {
    const flaggedEvents = new Set<StoredEvent>();
    const newlyFlagged: string[] = [];
    for (const stored of events) {
      if (this.flagged.get(stored.user_id)) {
        flaggedEvents.add(stored);
      } else if (this.rhythm.observe(stored)) {
        this.flagged.set(stored.user_id, true);
        newlyFlagged.push(stored.user_id);
        flaggedEvents.add(stored);
      }
    }
    return {
      keys: this.keys,
      meta: (stored) =>
        this.catalog.get(stored.event.video_id) ?? {
          creatorId: stored.event.creator_id ?? "",
          audioId: stored.event.audio_id ?? "",
          hashtags: NO_HASHTAGS,
        },
      flagged: (stored) => flaggedEvents.has(stored),
      newlyFlagged,
    };
  }
}

function parseTags(raw: string | null | undefined): string[] {
  if (!raw) return [];
  try {
    const tags: unknown = JSON.parse(raw);
    return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** Starts a processor; `stop` finishes the batch in hand and hands its partitions back. */
export async function startFeatureProcessor(config: FeaturesConfig): Promise<FeatureProcessor> {
  const processor = new FeatureProcessor(config);
  await processor.start();
  return processor;
}
