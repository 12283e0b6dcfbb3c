import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { type TranscodeJob, UploadStreams } from "../../contracts/upload.schema";
import { CatalogStore } from "../catalog/catalog.store";
import {
  DEFAULT_MEDIA_LIMITS,
  type MediaLimits,
  MediaRejection,
  type MediaTools,
  probeMedia,
} from "../media-probe/media.probe";
import { publishLadder } from "./media.publisher";
import { transcodeToHls } from "./transcode.pipeline";
import {
  autoclaimOne,
  ensureGroup,
  heartbeat,
  type QueuedJob,
  readNew,
  TRANSCODE_GROUP,
} from "./transcode.queue";

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
  const catalog = new CatalogStore(redis, o.eventsStream);
  await ensureGroup(redis, o.stream);
  const abort = new AbortController();
  const tag = `transcode[${o.consumer}]`;

  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        const next =
          (await autoclaimOne(redis, o.stream, TRANSCODE_GROUP, o.consumer, o.claimIdleMs)) ??
          (await readNew(blocking, o.stream, TRANSCODE_GROUP, o.consumer, o.blockMs));
        if (!next) continue;
        if (next.job) await runJob({ entryId: next.entryId, job: next.job });
        else await redis.xack(o.stream, TRANSCODE_GROUP, next.entryId);
      } catch (error) {
        if (abort.signal.aborted) break;
        o.log(`${tag}: loop error ${String(error)}`);
        await sleep(1_000);
      }
    }
  })();

  async function runJob({ entryId, job }: QueuedJob): Promise<void> {
    const beat = setInterval(
      () => {
        heartbeat(redis, o.stream, TRANSCODE_GROUP, o.consumer, entryId).catch(() => {});
      },
      Math.max(250, Math.floor(o.claimIdleMs / 3)),
    );
    try {
      await processWithRetries(job);
      await redis.xack(o.stream, TRANSCODE_GROUP, entryId);
    } finally {
      clearInterval(beat);
    }
  }

  async function processWithRetries(job: TranscodeJob): Promise<void> {
    for (;;) {
      const entry = await catalog.get(job.video_id);
      if (!entry) {
        o.log(`${tag}: ${job.video_id} is not in the catalog; dropping the job`);
        return;
      }
      if (entry.status === "live" || entry.status === "rejected" || entry.status === "failed") {
        return;
      }
      const attempt = await catalog.countAttempt(job.video_id);
      if (attempt > o.maxAttempts) {
        await giveUp(job, attempt - 1, entry.reason ?? "the worker stopped during every attempt");
        return;
      }
      try {
        await processOnce(job, attempt);
        return;
      } catch (error) {
        if (abort.signal.aborted) {
          // Stopped, not failed: the job stays pending for the next worker at no cost.
          await catalog.countAttempt(job.video_id, -1).catch(() => {});
          throw error;
        }
        if (error instanceof MediaRejection) {
          await catalog.setStatus(job.video_id, "rejected", { reason: error.message });
          o.log(`${tag}: ${job.video_id} rejected: ${error.message}`);
          return;
        }
        const reason = error instanceof Error ? error.message : String(error);
        o.log(`${tag}: ${job.video_id} attempt ${attempt}/${o.maxAttempts} failed: ${reason}`);
        if (attempt >= o.maxAttempts) {
          await giveUp(job, attempt, reason);
          return;
        }
        await catalog.setStatus(job.video_id, "processing", { reason: `retrying: ${reason}` });
        await sleep(o.backoffMs * 2 ** (attempt - 1), abort.signal);
      }
    }
  }

  async function giveUp(job: TranscodeJob, attempts: number, reason: string): Promise<void> {
    await redis.xadd(
      o.deadLetterStream,
      "*",
      "video_id",
      job.video_id,
      "original_key",
      job.original_key,
      "attempts",
      String(attempts),
      "error",
      reason,
      "failed_at",
      new Date().toISOString(),
    );
    await catalog.setStatus(job.video_id, "failed", {
      reason: `transcoding failed after ${attempts} attempts: ${reason}`,
    });
    const entry = await catalog.get(job.video_id);
    if (entry?.sha256) await catalog.releaseDigest(entry.sha256, job.video_id);
    o.log(`${tag}: ${job.video_id} dead-lettered after ${attempts} attempts`);
  }

  async function processOnce(job: TranscodeJob, attempt: number): Promise<void> {
    const dir = join(o.workDir, `${job.video_id}-${randomBytes(4).toString("hex")}`);
    await mkdir(join(dir, "out"), { recursive: true });
    try {
      await catalog.setStatus(job.video_id, "processing", { progress: 0 });
      const original = join(dir, "original");
      const t0 = performance.now();
      await download(o.s3, o.bucket, job.original_key, original);
      const t1 = performance.now();
      const media = await probeMedia(original, o.tools, o.limits);
      const t2 = performance.now();
      const entry = await catalog.get(job.video_id);
      const version = entry?.version ?? 1;
      o.log(
        `${tag}: ${job.video_id} attempt ${attempt}: ${media.width}x${media.height} ${(media.durationMs / 1000).toFixed(1)} s`,
      );
      let lastLogged = -10;
      let lastWrite = 0;
      const ladder = await transcodeToHls(original, media, join(dir, "out"), {
        tools: o.tools,
        ...(o.preset ? { preset: o.preset } : {}),
        signal: abort.signal,
        onProgress: (percent) => {
          const now = Date.now();
          if (now - lastWrite >= 500 || percent === 100) {
            lastWrite = now;
            catalog.setProgress(job.video_id, percent).catch(() => {});
          }
          if (percent - lastLogged >= 10) {
            lastLogged = percent;
            o.log(`${tag}: ${job.video_id} ${percent}%`);
          }
        },
      });
      const t3 = performance.now();
      await publishLadder(
        { s3: o.s3, bucket: o.bucket, videoId: job.video_id, version },
        join(dir, "out"),
        ladder.files,
        ladder.master,
      );
      const top = ladder.renditions.at(-1);
      await catalog.markLive(job.video_id, {
        version,
        duration_ms: media.durationMs,
        width: top?.width ?? media.width,
        height: top?.height ?? media.height,
        renditions: ladder.renditions.map(({ name, width, height, bandwidth }) => ({
          name,
          width,
          height,
          bandwidth,
        })),
      });
      const t4 = performance.now();
      const ms = (a: number, b: number) => `${Math.round(b - a)} ms`;
      o.log(
        `${tag}: ${job.video_id} live (${ladder.renditions.map((r) => r.name).join(", ")}): download ${ms(t0, t1)}, probe ${ms(t1, t2)}, ffmpeg ${ms(t2, t3)}, publish ${ms(t3, t4)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    consumer: o.consumer,
    async stop() {
      abort.abort();
      blocking.disconnect();
      await loop.catch(() => {});
      redis.disconnect();
    },
  };
}

async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(object.Body instanceof Readable)) throw new Error(`original ${key} has no body`);
  await pipeline(object.Body, createWriteStream(path));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
