import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ERRORS, type Lock, type Locker, type RequestRelease } from "@tus/server";
import type { Redis } from "ioredis";
import { UploadLockKeys } from "../../contracts/keyspace";

// Compare-and-set on the lock's token: only the holder may extend or release its lock, so a
// holder whose lock expired can never release (or keep alive) the next holder's.
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisLockerOptions {
  /** How long a lock outlives a holder that stopped renewing it (a crashed process). */
  ttlMs?: number;
  /** A request that cannot take a lock within this time fails, as with tus's MemoryLocker. */
  acquireTimeoutMs?: number;
  /** Pause between two attempts on a held lock. */
  retryMs?: number;
}

interface HeldLock {
  token: string;
  requestRelease: RequestRelease;
}

/**
 * A tus `Locker` shared by every process of the api role through Redis. tus's default
 * MemoryLocker only excludes requests within one process; with several workers a resumed PATCH
 * landing on another worker while the first connection still writes would interleave two
 * writers on one upload.
 *
 * A lock is `SET upload-lock:{id} token NX PX ttl`, renewed while held and released by
 * compare-and-delete. tus's release protocol (a newer request asks the holder to let go, e.g.
 * when the holder's client vanished behind a half-open connection) crosses processes by pub/sub:
 * a waiter publishes the upload id on every attempt, and the process holding it calls its
 * holder's `requestRelease`.
 */
export class RedisLocker implements Locker {
  readonly ttlMs: number;
  readonly acquireTimeoutMs: number;
  readonly retryMs: number;
  /** Locks this process holds, by upload id: where release requests are delivered. */
  private readonly held = new Map<string, HeldLock>();
  private listening: Promise<void> | null = null;

  constructor(
    readonly redis: Redis,
    options: RedisLockerOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 30_000;
    this.retryMs = options.retryMs ?? 50;
  }

  newLock(id: string): Lock {
    return new RedisLock(id, this);
  }

  /** Resolves once this process hears release requests; a lock is only taken after that. */
  listenForReleaseRequests(): Promise<void> {
    this.listening ??= this.subscribe().catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  hold(id: string, lock: HeldLock): void {
    this.held.set(id, lock);
  }

  /** Forgets `id` if `token` still holds it here (a newer holder in this process stays). */
  forget(id: string, token: string): void {
    if (this.held.get(id)?.token === token) this.held.delete(id);
  }

  private async subscribe(): Promise<void> {
    // A connection in subscriber mode takes no other commands, hence a connection of its own.
    // It lives as long as the client it was made from, so stopping the origin closes both.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
    this.redis.once("end", () => subscriber.disconnect());
    subscriber.on("error", (error: Error) => {
      console.warn("tus: upload-lock release channel:", error.message);
    });
    subscriber.on("message", (_channel: string, id: string) => {
      const holder = this.held.get(id);
      if (!holder) return;
      Promise.resolve(holder.requestRelease()).catch((error: unknown) => {
        console.warn(`tus: releasing the lock on ${id} failed`, error);
      });
    });
    await subscriber.subscribe(UploadLockKeys.releaseRequests);
  }
}

class RedisLock implements Lock {
  private token: string | null = null;
  private renewal: NodeJS.Timeout | null = null;
  private readonly key: string;

  constructor(
    private readonly id: string,
    private readonly locker: RedisLocker,
  ) {
    this.key = UploadLockKeys.lock(id);
  }

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    const { redis, ttlMs, retryMs } = this.locker;
    await this.locker.listenForReleaseRequests();
    const token = randomUUID();
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    for (;;) {
      if (signal.aborted) throw ERRORS.ABORTED;
      if ((await redis.set(this.key, token, "PX", ttlMs, "NX")) === "OK") break;
      await redis.publish(UploadLockKeys.releaseRequests, this.id);
      if (Date.now() >= deadline) throw ERRORS.ERR_LOCK_TIMEOUT;
      await sleep(retryMs, undefined, { signal }).catch(() => {});
    }
    this.token = token;
    this.locker.hold(this.id, { token, requestRelease });
    this.renewal = setInterval(() => void this.renew(token, requestRelease), ttlMs / 3);
    this.renewal.unref();
  }

  async unlock(): Promise<void> {
    const token = this.token;
    if (token === null) throw new Error(`Releasing an unlocked lock! (${this.id})`);
    this.token = null;
    this.stopRenewing(token);
    const released = await this.locker.redis.eval(RELEASE_LUA, 1, this.key, token);
    if (released !== 1) console.warn(`tus: the lock on ${this.id} had expired before its release`);
  }

  private async renew(token: string, requestRelease: RequestRelease): Promise<void> {
    let renewed: unknown;
    try {
      renewed = await this.locker.redis.eval(RENEW_LUA, 1, this.key, token, this.locker.ttlMs);
    } catch {
      // Redis unreachable: try again at the next tick; the lock expires if it stays away.
      return;
    }
    if (renewed === 1 || this.token !== token) return;
    // Someone else may be writing now: end this request as soon as tus can.
    console.warn(`tus: the lock on ${this.id} expired while held; ending its request`);
    this.stopRenewing(token);
    try {
      await requestRelease();
    } catch (error) {
      console.warn(`tus: ending the request that lost ${this.id} failed`, error);
    }
  }

  private stopRenewing(token: string): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
    this.locker.forget(this.id, token);
  }
}
