import type { Redis } from "ioredis";
import type { FeatureKeys } from "../../contracts/keyspace";

// Compare-and-set on the lease value: only the holder may extend or give up its lease.
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Which partitions this consumer owns. One owner per partition keeps a user's events in order
 * and lets the commit script fence out a consumer whose lease ran out (its token no longer
 * matches). Each live consumer takes its fair share, ceil(P / live consumers).
 */
export class PartitionLeases {
  readonly owned = new Set<number>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: FeatureKeys,
    private readonly partitions: number,
    private readonly leaseMs: number,
    readonly token: string,
  ) {}

  /** Renews what is owned, gives back what exceeds the fair share, takes free partitions. */
  async rebalance(now = Date.now()): Promise<{ gained: number[]; lost: number[] }> {
    const members = this.keys.members();
    await this.redis
      .multi()
      .zadd(members, now, this.token)
      .zremrangebyscore(members, "-inf", now - this.leaseMs)
      .exec();
    const live = Math.max(1, await this.redis.zcard(members));
    const share = Math.ceil(this.partitions / live);
    const lost: number[] = [];
    for (const p of this.owned) {
      const renewed = await this.redis.eval(
        RENEW_LUA,
        1,
        this.keys.lease(p),
        this.token,
        this.leaseMs,
      );
      if (renewed !== 1) lost.push(p);
    }
    for (const p of lost) this.owned.delete(p);
    while (this.owned.size > share) {
      const p = Math.max(...this.owned);
      await this.release(p);
      lost.push(p);
    }
    const gained: number[] = [];
    for (let p = 0; p < this.partitions && this.owned.size < share; p++) {
      if (this.owned.has(p)) continue;
      const taken = await this.redis.set(this.keys.lease(p), this.token, "PX", this.leaseMs, "NX");
      if (taken === "OK") {
        this.owned.add(p);
        gained.push(p);
      }
    }
    return { gained, lost };
  }

  async release(p: number): Promise<void> {
    this.owned.delete(p);
    await this.redis.eval(RELEASE_LUA, 1, this.keys.lease(p), this.token);
  }

  async releaseAll(): Promise<void> {
    for (const p of [...this.owned]) await this.release(p);
    await this.redis.zrem(this.keys.members(), this.token);
  }

  drop(p: number): void {
    this.owned.delete(p);
  }
}
