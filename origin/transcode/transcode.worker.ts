import { randomBytes } from "node:crypto";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { UploadStreams } from "../../contracts/keyspace";
import { CatalogStore } from "../catalog/catalog.store";
import {
  DEFAULT_MEDIA_LIMITS,
  type MediaLimits,
  type MediaTools,
} from "../media-probe/media.probe";
import { startUploadJanitor } from "../uploads/upload.janitor";
import { transcodeWithRetries } from "./job.attempts";
import { claimNext, dropMalformed, runClaimed } from "./job.claim";
import { sleep, type TranscodeContext } from "./transcode.context";
import { ensureGroup } from "./transcode.queue";

export interface TranscodeWorkerOptions {
  redisUrl: string;
  s3: S3Client;
  bucket: string;
  tools: MediaTools;
  limits?: MediaLimits;
  stream?: string;
  deadLetterStream?: string;
  eventsStream?: string;
  consumer?: string;
  /** A pending job idle this long belongs to a dead worker and is taken over. */
  claimIdleMs?: number;
  /** Attempts per job, crashed ones included; then the job goes to the dead-letter stream. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  backoffMs?: number;
  blockMs?: number;
  workDir?: string;
  preset?: string;
  log?: (line: string) => void;
  /** How often this worker's upload janitor sweeps (upload.janitor.ts); 0 turns it off. */
  janitorEveryMs?: number;
}

export interface RunningTranscodeWorker {
  consumer: string;
  stop(): Promise<void>;
}

/**
 * The `transcode` role: a member of the `transcoders` group on the `uploads` stream. Several
 * workers on several hosts share the jobs; one job at a time per worker, because ffmpeg already
 * uses every core.
 */
export async function startTranscodeWorker(
  options: TranscodeWorkerOptions,
): Promise<RunningTranscodeWorker> {
  const o = {
    stream: UploadStreams.jobs,
    deadLetterStream: UploadStreams.deadLetter,
    eventsStream: UploadStreams.events,
    consumer: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    claimIdleMs: 60_000,
    maxAttempts: 3,
    backoffMs: 2_000,
    blockMs: 2_000,
    workDir: join(tmpdir(), "edgefeed-transcode"),
    limits: DEFAULT_MEDIA_LIMITS,
    log: (line: string) => console.log(line),
    ...options,
  };
  // Blocking reads get their own connection so progress writes never wait behind them.
  const blocking = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const redis = new Redis(o.redisUrl);
  await ensureGroup(redis, o.stream);
  const abort = new AbortController();
  const ctx: TranscodeContext = {
    redis,
    catalog: new CatalogStore(redis, o.eventsStream),
    s3: o.s3,
    bucket: o.bucket,
    tools: o.tools,
    limits: o.limits,
    preset: o.preset,
    stream: o.stream,
    deadLetterStream: o.deadLetterStream,
    consumer: o.consumer,
    claimIdleMs: o.claimIdleMs,
    maxAttempts: o.maxAttempts,
    backoffMs: o.backoffMs,
    workDir: o.workDir,
    log: o.log,
    tag: `transcode[${o.consumer}]`,
    signal: abort.signal,
  };
  const loop = consume(ctx, blocking, o.blockMs);
  // Every worker sweeps; a sweep is idempotent, so two overlapping ones change nothing twice.
  const janitor =
    o.janitorEveryMs === 0
      ? null
      : startUploadJanitor({
          redis,
          s3: o.s3,
          bucket: o.bucket,
          log: o.log,
          ...(o.janitorEveryMs ? { everyMs: o.janitorEveryMs } : {}),
        });
  return {
    consumer: o.consumer,
    async stop() {
      abort.abort();
      blocking.disconnect();
      await Promise.all([loop.catch(() => {}), janitor?.stop()]);
      redis.disconnect();
    },
  };
}

/** One job at a time until stopped; a loop error (Redis down, say) is logged and retried. */
async function consume(ctx: TranscodeContext, blocking: Redis, blockMs: number): Promise<void> {
  while (!ctx.signal.aborted) {
    try {
      const next = await claimNext(ctx, blocking, blockMs);
      if (!next) continue;
      if (next.job) {
        await runClaimed(ctx, { entryId: next.entryId, job: next.job }, (job) =>
          transcodeWithRetries(ctx, job),
        );
      } else await dropMalformed(ctx, next.entryId);
    } catch (error) {
      if (ctx.signal.aborted) break;
      ctx.log(`${ctx.tag}: loop error ${String(error)}`);
      await sleep(1_000);
    }
  }
}
