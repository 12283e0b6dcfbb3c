import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import {
  GAUGES_LUA,
  type GaugeSources,
  gaugeFields,
  gaugeScriptCall,
  parseGauges,
} from "../../contracts/gauges";
import {
  EdgeKeys,
  featureKeys,
  gaugeSamplerKeys,
  METRICS_MINUTE_TTL_SECONDS,
  UploadStreams,
} from "../../contracts/keyspace";

export interface GaugeSamplerOptions {
  partitions: number;
  /** The features role's key prefix (its streams, positions) and the lease's; "" in production. */
  keyPrefix: string;
  transcodeStream: string;
  /** The transcode role's dead letters; UploadStreams.deadLetter unless a test sets its own. */
  deadLetterStream?: string;
  intervalMs: number;
  /** This sampler's lease token; unique per process unless set. */
  token?: string;
  now?: () => number;
}

/**
 * Takes one reading of the gauges and writes it into the current minute's hash, renewing the
 * hash's expiry, unless another sampler took this interval's reading: one reading per interval
 * however many sampler processes run.
 */
export class GaugeSampler {
  private readonly sources: GaugeSources;
  private readonly lease: string;
  private readonly leaseMs: number;
  private readonly token: string;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    options: GaugeSamplerOptions,
  ) {
    const features = featureKeys(options.keyPrefix);
    this.sources = {
      positions: features.positions(),
      eventStreams: Array.from({ length: options.partitions }, (_, p) => features.stream(p)),
      transcodeJobs: options.transcodeStream,
      deadLetter: options.deadLetterStream ?? UploadStreams.deadLetter,
    };
    this.lease = gaugeSamplerKeys(options.keyPrefix).lease();
    // Just under one interval: the holder's next tick finds it free again, while another
    // sampler's tick in between finds it taken. No renewal, so a sampler that dies hands over
    // within one interval.
    this.leaseMs = Math.floor(options.intervalMs * 0.9);
    this.token = options.token ?? randomUUID();
    this.now = options.now ?? Date.now;
  }

  /** The fields written, or null when another sampler holds this interval. */
  async sample(): Promise<Record<string, number> | null> {
    const taken = await this.redis.set(this.lease, this.token, "PX", this.leaseMs, "NX");
    if (taken === null) return null;
    const now = this.now();
    const { keys, args } = gaugeScriptCall(this.sources, now);
    const fields = gaugeFields(
      parseGauges(await this.redis.eval(GAUGES_LUA, keys.length, ...keys, ...args)),
    );
    // HSET overwrites: the minute keeps its latest reading. Should a paused holder write after
    // its lease passed to another, the second write is the same kind of reading, not a double count.
    const minute = EdgeKeys.metricsMinute(now);
    await this.redis.multi().hset(minute, fields).expire(minute, METRICS_MINUTE_TTL_SECONDS).exec();
    return fields;
  }
}
