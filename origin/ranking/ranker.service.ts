import { hostname } from "node:os";
import { Redis } from "ioredis";
import { ConsumerGroups, type RankerKeys, rankerKeys } from "../../contracts/keyspace";
import type { RankerServiceOptions, RankerStats } from "./config/ranker.options";
import { LeaderDuties } from "./leader/leader.duties";
import { Retrainer } from "./leader/retrainer";
import { EventLearner } from "./learning/event.learner";
import { CheckpointStore } from "./model/model.checkpoint";
import type { ModelState } from "./model/model.state";
import { FeedRefresher } from "./scheduling/feed.refresher";
import { TickScheduler } from "./scheduling/tick.scheduler";
import { ServingModel } from "./serving/serving.model";
import type { UserSignals } from "./serving/user.signals";

/**
 * The `ranker` role: serves the model (ServingModel: checkpoint or content-built, new uploads into
 * the delta index), learns online from its own consumer group on `ev:{p}` (EventLearner), keeps
 * `fyp:{user}` fresh for active users on a jittered 5–15 min schedule, sooner after a burst of
 * likes/skips or a refresh request (FeedRefresher), and, while it holds the lease, maintains
 * `explore:{region}`, retrains the embeddings and checkpoints it all (LeaderDuties).
 */
export class RankerService {
  readonly stats: RankerStats = { events: 0, learned: 0, refreshes: 0, checkpoints: 0 };
  readonly serving: ServingModel;
  private readonly redis: Redis;
  private readonly reader: Redis;
  private readonly keys: RankerKeys;
  private readonly learner: EventLearner;
  private readonly feeds: FeedRefresher;
  private readonly leader: LeaderDuties;
  private readonly scheduler: TickScheduler;
  private running = false;

  constructor(options: RankerServiceOptions) {
    this.redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    // XREADGROUP BLOCK parks its connection; refreshes must not wait behind it.
    this.reader = new Redis(options.redisUrl, { maxRetriesPerRequest: 2 });
    this.keys = rankerKeys(options.keyPrefix);
    const store = new CheckpointStore({
      s3: options.s3,
      bucket: options.bucket,
      prefix: options.checkpointPrefix,
    });
    this.serving = new ServingModel({
      redis: this.redis,
      module: options.module,
      store,
      uploadStream: options.uploadStream,
    });
    const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    const model = () => this.model;
    this.learner = new EventLearner(
      this.redis,
      this.reader,
      this.keys,
      () => this.serving.current,
      this.stats,
      { ...options, group: ConsumerGroups.ranker(options.replica), consumer },
      () => this.leader.markDirty(),
    );
    this.feeds = new FeedRefresher(
      this.redis,
      this.keys,
      model,
      this.learner.users,
      this.stats,
      options,
    );
    const retrainer = new Retrainer(
      options,
      model,
      () => [...this.learner.users.values()].map((u) => u.history),
      () => this.running,
    );
    this.leader = new LeaderDuties(
      this.redis,
      this.keys,
      store,
      model,
      retrainer,
      { regional: (region, item) => this.learner.regionalExposure(region, item) },
      this.stats,
      options,
      `${options.replica}:${consumer}`,
    );
    this.scheduler = new TickScheduler(() => this.tick(), options.tickMs);
  }

  /** Whether this replica holds the lease: it retrains, checkpoints and writes exploration. */
  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** The live signals of the users this replica saw events of. */
  get users(): Map<string, UserSignals> {
    return this.learner.users;
  }

  get model(): ModelState {
    const state = this.serving.current;
    if (!state) throw new Error("ranker: model not loaded");
    return state;
  }

  async start(): Promise<void> {
    await this.learner.joinGroups();
    await this.serving.load();
    this.leader.start(Date.now());
    this.running = true;
    this.learner.start();
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    // Both stop taking work at once, then both are waited for.
    const learning = this.learner.stop();
    const ticking = this.scheduler.stop();
    await learning;
    await ticking;
    await this.leader.stop();
    this.redis.disconnect();
    this.reader.disconnect();
  }

  /** Saves the model as the next version; this process then serves that version. */
  checkpoint(): Promise<number> {
    return this.leader.checkpoint();
  }

  /** Writes `explore:{region}` now; returns how many videos it holds. */
  exploration(): Promise<number> {
    return this.leader.exploration();
  }

  /** Ranks one user and replaces `fyp:{user}`; returns the delay until the next refresh. */
  refreshUser(userId: string, now = Date.now()): Promise<number> {
    return this.feeds.refreshUser(userId, now);
  }

  /**
   * One pass of the scheduler: model sync and due feeds on every replica; exploration, retraining
   * and checkpoints on the leader only.
   */
  async tick(now = Date.now()): Promise<void> {
    const leader = await this.leader.refreshLease();
    const changed = await this.serving.sync();
    await this.leader.exploreIfDue(leader, changed, now);
    await this.feeds.refreshDue(now);
    this.leader.retrainIfDue(leader, now);
    await this.leader.checkpointIfDue(leader, now);
  }

  /** Resolves when the retrain started by a tick (if any) has been swapped in. */
  retrained(): Promise<void> {
    return this.leader.retrained();
  }
}
