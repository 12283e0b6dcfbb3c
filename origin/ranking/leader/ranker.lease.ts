import type { Redis } from "ioredis";

// Compare-and-set on the holder's token: only the holder extends or gives up the lease.
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Which ranker replica writes the shared artefacts: checkpoints (versions must come from one
 * learner, or two replicas would publish diverging models as consecutive versions), retraining
 * and `explore:{region}`. Every replica still consumes every event and refreshes feeds; the
 * others pick up the leader's checkpoints through ServingModel.sync. A leader that stops renewing
 * loses the lease after `leaseMs` and another replica takes over on its next tick.
 */
export class RankerLease {
  private held = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly token: string,
    private readonly leaseMs: number,
  ) {}

  get isLeader(): boolean {
    return this.held;
  }

  /** Renews the lease if held, takes it if free; returns whether this replica leads now. */
  async refresh(): Promise<boolean> {
    if (this.held) {
      this.held = (await this.redis.eval(RENEW_LUA, 1, this.key, this.token, this.leaseMs)) === 1;
    }
    if (!this.held) {
      this.held = (await this.redis.set(this.key, this.token, "PX", this.leaseMs, "NX")) === "OK";
    }
    return this.held;
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    await this.redis.eval(RELEASE_LUA, 1, this.key, this.token);
  }
}
