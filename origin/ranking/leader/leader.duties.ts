import type { Redis } from "ioredis";
import type { RankerKeys } from "../../../contracts/keyspace";
import type { RankerServiceOptions, RankerStats } from "../config/ranker.options";
import type { CheckpointStore } from "../model/model.checkpoint";
import type { ModelState } from "../model/model.state";
import { type Exposure, writeExploration } from "./explore.writer";
import { RankerLease } from "./ranker.lease";
import type { Retrainer } from "./retrainer";

export type LeaderDutiesOptions = Pick<
  RankerServiceOptions,
  "leaseMs" | "checkpointMs" | "trainMs" | "exploreMs" | "explore"
>;

/**
 * What only the lease holder does: writes `explore:{region}`, retrains the embeddings and publishes
 * checkpoints. Every replica keeps the schedule; a pass does a duty only while this one leads.
 */
export class LeaderDuties {
  private readonly lease: RankerLease;
  private retraining: Promise<void> | undefined;
  /** The model learned something no checkpoint holds yet. */
  private dirty = false;
  private nextCheckpoint = 0;
  private nextTrain = 0;
  private nextExplore = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RankerKeys,
    private readonly store: CheckpointStore,
    private readonly model: () => ModelState,
    private readonly retrainer: Retrainer,
    private readonly exposure: Exposure,
    private readonly stats: RankerStats,
    private readonly options: LeaderDutiesOptions,
    /** This replica's token in the lease: `{replica}:{consumer}`. */
    token: string,
  ) {
    this.lease = new RankerLease(redis, keys.leader(), token, options.leaseMs);
  }

  get isLeader(): boolean {
    return this.lease.isLeader;
  }

  /** Learned changes wait for the next checkpoint. */
  markDirty(): void {
    this.dirty = true;
  }

  /** The first checkpoint and retrain come a full period after start. */
  start(now: number): void {
    this.nextCheckpoint = now + this.options.checkpointMs;
    this.nextTrain = now + this.options.trainMs;
  }

  /** Renews or takes the lease; returns whether this replica leads for this pass. */
  refreshLease(): Promise<boolean> {
    return this.lease.refresh();
  }

  /** New uploads go into exploration at once: a freshly seeded catalog shows up in the feed. */
  async exploreIfDue(leader: boolean, catalogChanged: boolean, now: number): Promise<void> {
    if (leader && (catalogChanged || now >= this.nextExplore)) {
      await this.exploration();
      this.nextExplore = now + this.options.exploreMs;
    }
  }

  /**
   * Starts a retrain in a worker thread and does not await it, so feeds keep being refreshed
   * meanwhile; its result is checkpointed on a later pass.
   */
  retrainIfDue(leader: boolean, now: number): void {
    if (leader && now >= this.nextTrain && !this.retraining) {
      this.nextTrain = now + this.options.trainMs;
      this.retraining = this.retrainer
        .retrain(now)
        .then((swapped) => {
          if (swapped) this.dirty = true;
        })
        .catch((error: unknown) => console.error("ranker: retrain failed", error))
        .finally(() => {
          this.retraining = undefined;
        });
    }
  }

  async checkpointIfDue(leader: boolean, now: number): Promise<void> {
    if (now >= this.nextCheckpoint) {
      if (leader && this.dirty) await this.checkpoint();
      this.nextCheckpoint = now + this.options.checkpointMs;
    }
  }

  /** Resolves when the retrain started by a pass (if any) has been swapped in. */
  async retrained(): Promise<void> {
    await this.retraining;
  }

  /** Saves the model as the next version; this process then serves that version. */
  async checkpoint(): Promise<number> {
    const state = this.model();
    const version = await this.store.save(state.checkpoint());
    state.version = Math.max(state.version, version);
    this.dirty = false;
    this.stats.checkpoints++;
    return version;
  }

  /** Writes `explore:{region}` now; returns how many videos it holds. */
  exploration(): Promise<number> {
    return writeExploration(
      this.redis,
      this.keys,
      this.model(),
      this.options.explore,
      this.exposure,
    );
  }

  /**
   * On stop: a retrain still running is abandoned (what it would add is retrained again next
   * time); learned changes are checkpointed if this replica leads; the lease is given up.
   */
  async stop(): Promise<void> {
    if (this.dirty && this.lease.isLeader) await this.checkpoint();
    await this.lease.release().catch(() => undefined);
  }
}
