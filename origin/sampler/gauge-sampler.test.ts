import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { GaugeFields } from "../../contracts/gauges";
import {
  ConsumerGroups,
  EdgeKeys,
  featureKeys,
  METRICS_MINUTE_TTL_SECONDS,
} from "../../contracts/keyspace";
import { GaugeSampler } from "./gauge-sampler";
import { startGaugeSampler } from "./sampler.runner";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);

afterAll(() => redis.disconnect());

/** A run's own streams, and a clock on a day of its own, so no other test shares its minute. */
async function fixture(day: number) {
  const keyPrefix = `t:sampler:${randomUUID()}:`;
  const now = Date.UTC(2021, 5, day, 3, 30, 15);
  const features = featureKeys(keyPrefix);
  const events = features.stream(0);
  const transcodeStream = `${keyPrefix}uploads`;
  const deadLetterStream = `${keyPrefix}uploads:dead`;
  // Partition 0: one event committed, three behind it, the oldest of them 20 s old; partition 1
  // has no stream yet.
  await redis.xgroup("CREATE", events, ConsumerGroups.features, "$", "MKSTREAM");
  for (const age of [30_000, 20_000, 10_000, 5_000]) {
    await redis.xadd(events, `${now - age}-0`, "e", "{}");
  }
  await redis.hset(features.positions(), "0", `${now - 30_000}-0`);
  await redis.xgroup("SETID", events, ConsumerGroups.features, `${now - 30_000}-0`);
  await redis.xgroup("CREATE", transcodeStream, ConsumerGroups.transcoders, "$", "MKSTREAM");
  await redis.xadd(transcodeStream, "*", "video", "v1");
  await redis.xadd(transcodeStream, "*", "video", "v2");
  await redis.xadd(deadLetterStream, "*", "video", "v0");
  const minute = EdgeKeys.metricsMinute(now);
  await redis.del(minute);
  const config = {
    redisUrl,
    partitions: 2,
    keyPrefix,
    transcodeStream,
    deadLetterStream,
    now: () => now,
  };
  return { config, events, minute, now };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the gauge sampler", () => {
  it("keeps recording the gauges into the minute's hash, kept a week, with no dashboard open", async () => {
    const { config, events, minute, now } = await fixture(1);
    const sampler = startGaugeSampler({ ...config, intervalMs: 200 });
    try {
      const first = await until(
        () => redis.hgetall(minute),
        (fields) => GaugeFields.transcodeQueue in fields,
      );
      expect(first).toEqual({
        [GaugeFields.lag(0)]: "3",
        [GaugeFields.stalenessMs]: "20000",
        [GaugeFields.transcodeQueue]: "2",
        [GaugeFields.deadLettered]: "1",
      });
      const ttl = await redis.ttl(minute);
      expect(ttl).toBeGreaterThan(24 * 3600);
      expect(ttl).toBeGreaterThan(METRICS_MINUTE_TTL_SECONDS - 60);

      // A later reading replaces the minute's: the loop goes on by itself.
      await redis.xadd(events, `${now - 1_000}-0`, "e", "{}");
      const later = await until(
        () => redis.hget(minute, GaugeFields.lag(0)),
        (lag) => lag === "4",
      );
      expect(later).toBe("4");
    } finally {
      await sampler.stop();
    }
  });

  it("writes one reading per interval however many samplers run, and hands over when one stops", async () => {
    const { config, minute } = await fixture(2);
    const other = EdgeKeys.metricsMinute(config.now() + 60_000);
    await redis.del(other);
    const options = { ...config, intervalMs: 400 };
    const a = new GaugeSampler(redis, options);
    // A second process whose clock would put its reading into the next minute.
    const b = new GaugeSampler(redis, { ...options, now: () => config.now() + 60_000 });

    const [fromA, fromB] = await Promise.all([a.sample(), b.sample()]);
    expect([fromA, fromB].filter((written) => written !== null)).toHaveLength(1);
    const written = (await redis.exists(minute)) + (await redis.exists(other));
    expect(written).toBe(1);
    expect(await a.sample()).toBeNull();
    expect(await b.sample()).toBeNull();

    // Once the interval's lease lapses, the next tick of either samples again.
    await new Promise((r) => setTimeout(r, 400));
    const next = fromA === null ? a : b;
    expect(await next.sample()).not.toBeNull();
    expect(await redis.exists(minute)).toBe(1);
    expect(await redis.exists(other)).toBe(1);
  });
});
