import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { ERRORS } from "@tus/server";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it, vi } from "vitest";
import { UploadLockKeys } from "../../contracts/keyspace";
import { RedisLocker } from "./redis-locker";

const redisUrl = inject("redisUrl");
const clients: Redis[] = [];
afterAll(() => {
  for (const client of clients) client.disconnect();
});

/** A locker on a connection of its own, as each api worker has. */
function worker(options: ConstructorParameters<typeof RedisLocker>[1] = {}) {
  const redis = new Redis(redisUrl);
  clients.push(redis);
  return { redis, locker: new RedisLocker(redis, options) };
}

const uploadId = () => `originals/lock-test-${randomUUID()}`;
const never = new AbortController().signal;
const ignoreRelease = () => {};

describe("RedisLocker: tus upload locks shared by the api workers", () => {
  it("lets one request at a time hold an upload, whichever worker it reached", async () => {
    const id = uploadId();
    const a = worker().locker.newLock(id);
    const b = worker({ acquireTimeoutMs: 300 }).locker.newLock(id);
    const other = worker().locker.newLock(uploadId());

    await a.lock(never, ignoreRelease);
    // The holder does not let go: the second request times out as with tus's MemoryLocker…
    await expect(b.lock(never, ignoreRelease)).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    // …a request that goes away stops waiting…
    const gone = new AbortController();
    const waiting = b.lock(gone.signal, ignoreRelease);
    gone.abort();
    await expect(waiting).rejects.toBe(ERRORS.ABORTED);
    // …while another upload is not held up at all.
    await other.lock(never, ignoreRelease);
    await other.unlock();

    await a.unlock();
    await b.lock(never, ignoreRelease);
    await b.unlock();
  });

  it("asks the holder on another worker to release, and takes the lock once it has", async () => {
    const id = uploadId();
    const a = worker().locker.newLock(id);
    const b = worker().locker.newLock(id);
    const events: string[] = [];
    await a.lock(never, async () => {
      // tus ends the holder's request; the holder then unlocks, as PatchHandler does.
      if (events.includes("a asked")) return;
      events.push("a asked");
      await a.unlock();
      events.push("a released");
    });
    await b.lock(never, ignoreRelease);
    events.push("b holds");
    expect(events).toEqual(["a asked", "a released", "b holds"]);
    await b.unlock();
  });

  it("keeps a lock past its ttl while the holder lives, and frees it when the holder dies", async () => {
    const id = uploadId();
    const holder = worker({ ttlMs: 1_000 });
    const held = holder.locker.newLock(id);
    const impatient = worker({ acquireTimeoutMs: 200 }).locker.newLock(id);
    const next = worker({ acquireTimeoutMs: 10_000 }).locker.newLock(id);

    await held.lock(never, ignoreRelease);
    await sleep(2_500);
    await expect(impatient.lock(never, ignoreRelease)).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);

    // The process is gone from Redis's view: no renewal, no release, no answer to requests.
    holder.redis.disconnect();
    await next.lock(never, ignoreRelease);
    await next.unlock();
  });

  it("never releases the next holder's lock when its own had expired", async () => {
    const id = uploadId();
    const first = worker({ ttlMs: 1_000 });
    const expired = first.locker.newLock(id);
    const released = vi.fn();
    await expired.lock(never, released);
    // Lost under the holder (a failover, a long pause): the key is gone and someone else takes it.
    await first.redis.del(UploadLockKeys.lock(id));
    const next = worker().locker.newLock(id);
    await next.lock(never, ignoreRelease);

    // The holder learns it lost the lock at its next renewal and its request is ended.
    await vi.waitFor(() => expect(released).toHaveBeenCalled(), { timeout: 3_000 });
    await expired.unlock();
    const third = worker({ acquireTimeoutMs: 300 }).locker.newLock(id);
    await expect(third.lock(never, ignoreRelease)).rejects.toBe(ERRORS.ERR_LOCK_TIMEOUT);
    await next.unlock();
    await third.lock(never, ignoreRelease);
    await third.unlock();
  });
});
