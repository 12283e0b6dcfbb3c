import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { CatalogKeys } from "../../contracts/keyspace";
import { InternalHeaders } from "../../contracts/upload.schema";
import { type RunningOrigin, startOrigin } from "../api/origin.server";
import { loadConfig, loadDevStackConfig, loadMediaConfig, type S3Config } from "../config/config";
import { DemoClipCache } from "../demo/clip.cache";
import { type DemoCatalogOptions, demoCatalog } from "../demo/demo.catalog";
import { createS3Client } from "../storage/s3.client";
import { type RunningTranscodeWorker, startTranscodeWorker } from "../transcode/transcode.worker";
import { uploadFile } from "../uploads/tus.client";

export interface SeedProgress {
  total: number;
  rendered: number;
  uploaded: number;
  live: number;
  rejected: number;
  failed: number;
}

export interface SeedOptions {
  redisUrl: string;
  s3: S3Config;
  /** A running origin whose tus server is at `{originUrl}/uploads`; else one starts in-process. */
  originUrl?: string;
  /** The origin's ORIGIN_SHARED_SECRET (required with originUrl). */
  sharedSecret?: string;
  count?: number;
  /** Live videos after which `ready` resolves; the rest keeps coming. Default: 30 (or count). */
  readyCount?: number;
  /** Rendered clips kept between runs; default `.dev-stack/demo-clips/` of the repository. */
  cacheDir?: string;
  catalog?: DemoCatalogOptions;
  /** ffmpeg renders (and uploads) at once; default one per core. */
  concurrency?: number;
  /** The jobs stream; transcode workers join its group here unless `startWorker` is false. */
  transcodeStream?: string;
  startWorker?: boolean;
  /** In-process transcode workers when `startWorker`; default 1. */
  workers?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Fails when no video settles (live, rejected, failed) for this long. */
  stallTimeoutMs?: number;
  onProgress?: (progress: SeedProgress) => void;
}

export interface DemoSeed {
  /** Resolves once `readyCount` videos are live, or every video has settled. */
  ready: Promise<void>;
  /**
   * The catalog's video ids in order once every one has settled; after `stop()`, the ids
   * uploaded until then. Rejects when rendering, uploading or transcoding fails.
   */
  done: Promise<string[]>;
  /** Stops rendering, uploading and waiting (running ffmpeg jobs are killed). */
  stop(): Promise<void>;
}

export const DEFAULT_DEMO_COUNT = 240;
const DEFAULT_READY_COUNT = 24;
/**
 * Uploaded videos not yet live, beyond which rendering waits: the transcoder is the bottleneck,
 * and renders far ahead of it only take its CPU.
 */
const MAX_AHEAD = 6;
export const DEFAULT_CLIP_CACHE = resolve(import.meta.dirname, "../../.dev-stack/demo-clips");
const POLL_MS = 250;

/**
 * Seeds the demo catalog (origin/demo/demo.catalog.ts) through the real upload path: renders the clips in
 * parallel (cached by spec), uploads each with tus in catalog order and follows the transcode
 * until each is live. `ready` comes early so a stack can open while the rest fills in behind it.
 */
export function startDemoSeed(options: SeedOptions): DemoSeed {
  const abort = new AbortController();
  let markReady = () => {};
  const readySignal = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = runSeed(options, abort.signal, () => markReady());
  return {
    ready: Promise.race([readySignal, done.then(() => undefined)]),
    done,
    async stop() {
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}

/** The whole catalog, live: `startDemoSeed(options).done`. */
export function seedDemoCatalog(options: SeedOptions): Promise<string[]> {
  return startDemoSeed(options).done;
}

async function runSeed(
  options: SeedOptions,
  signal: AbortSignal,
  onReady: () => void,
): Promise<string[]> {
  const count = options.count ?? DEFAULT_DEMO_COUNT;
  const readyCount = Math.min(count, options.readyCount ?? DEFAULT_READY_COUNT);
  const cache = new DemoClipCache(options.cacheDir ?? DEFAULT_CLIP_CACHE, options.ffmpegPath);
  const videos = demoCatalog(count, options.catalog);
  const progress: SeedProgress = {
    total: count,
    rendered: 0,
    uploaded: 0,
    live: 0,
    rejected: 0,
    failed: 0,
  };
  const report = () => {
    options.onProgress?.({ ...progress });
    if (progress.live >= readyCount || settled(progress)) onReady();
  };
  const services = await startSeedServices(options);
  const redis = new Redis(options.redisUrl);
  // Also aborted when the seed fails, so no lane keeps rendering or uploading after it.
  const lanes = new AbortController();
  const stopLanes = () => lanes.abort();
  signal.addEventListener("abort", stopLanes, { once: true });
  if (signal.aborted) stopLanes();
  const ids: string[] = [];
  const pending = new Set<string>();
  let uploads: Promise<void> = Promise.resolve();
  try {
    report();
    let uploading = true;
    let uploadError: unknown;
    uploads = inOrderPool(
      videos,
      options.concurrency ?? RENDER_CONCURRENCY,
      async (video, index) => {
        while (pending.size >= MAX_AHEAD && !cache.has(video.clip) && !lanes.signal.aborted) {
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        const path = await cache.ensure(video.clip, lanes.signal);
        progress.rendered++;
        report();
        const { videoId } = await uploadFile(
          {
            endpoint: services.endpoint,
            headers: {
              [INTERNAL_AUTH_HEADER]: services.sharedSecret,
              [InternalHeaders.userId]: video.creator,
            },
          },
          new Uint8Array(await readFile(path)),
          video.metadata,
        );
        ids[index] = videoId;
        pending.add(videoId);
        progress.uploaded++;
        report();
      },
      lanes.signal,
    )
      .catch((error: unknown) => {
        if (!signal.aborted) uploadError = error;
      })
      .finally(() => {
        uploading = false;
      });

    const stallMs = options.stallTimeoutMs ?? 5 * 60_000;
    let lastSettled = Date.now();
    while (!signal.aborted && (uploading || pending.size > 0)) {
      if (uploadError !== undefined) throw uploadError;
      for (const [id, status] of await statusesOf(redis, [...pending])) {
        if (status !== "live" && status !== "rejected" && status !== "failed") continue;
        pending.delete(id);
        progress[status]++;
        lastSettled = Date.now();
        report();
      }
      if (Date.now() - lastSettled > stallMs) {
        throw new Error(`seed: ${pending.size} videos not live after ${stallMs / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (uploadError !== undefined) throw uploadError;
    return signal.aborted ? ids.filter(Boolean) : ids;
  } finally {
    stopLanes();
    signal.removeEventListener("abort", stopLanes);
    await uploads;
    await services.stop();
    redis.disconnect();
  }
}

/** The origin to upload to and the transcode workers, in-process unless the options name them. */
async function startSeedServices(options: SeedOptions) {
  const media = loadMediaConfig({});
  const stream = options.transcodeStream ?? media.transcodeStream;
  const sharedSecret = options.sharedSecret ?? "seed-demo-secret";
  const s3 = createS3Client(options.s3);
  let origin: RunningOrigin | undefined;
  const workers: RunningTranscodeWorker[] = [];
  const stop = async () => {
    for (const worker of workers) await worker.stop();
    await origin?.stop();
    s3.destroy();
  };
  try {
    if (!options.originUrl) {
      origin = await startOrigin(
        {
          redisUrl: options.redisUrl,
          originPort: 0,
          sharedSecret,
          s3: options.s3,
          media: { ...media, transcodeStream: stream },
        },
        0,
      );
    }
    const workerCount = (options.startWorker ?? true) ? (options.workers ?? 1) : 0;
    for (let w = 0; w < workerCount; w++) {
      workers.push(
        await startTranscodeWorker({
          redisUrl: options.redisUrl,
          s3,
          bucket: options.s3.bucket,
          tools: {
            ffmpegPath: options.ffmpegPath ?? "ffmpeg",
            ffprobePath: options.ffprobePath ?? "ffprobe",
          },
          stream,
          log: () => {},
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `${options.originUrl ?? origin?.url}/uploads`, sharedSecret, stop };
}

/** ffmpeg jobs at once: one per core, each single-threaded (small clips scale by processes). */
const RENDER_CONCURRENCY = availableParallelism();

/**
 * Runs `work` over `items` with at most `concurrency` in flight, started in order (so the first
 * items finish first); stops starting new ones once `signal` aborts. Rejects on the first failure.
 */
async function inOrderPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}

function settled(p: SeedProgress): boolean {
  return p.live + p.rejected + p.failed >= p.total;
}

async function statusesOf(redis: Redis, ids: string[]): Promise<[string, string | null][]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(CatalogKeys.video(id), "status");
  const replies = (await pipeline.exec()) ?? [];
  return ids.map((id, i) => [id, (replies[i]?.[1] as string | null) ?? null]);
}

export function progressBar(p: SeedProgress): string {
  const width = 30;
  const done = p.live + p.rejected + p.failed;
  const filled = Math.round((done / Math.max(1, p.total)) * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const extra = p.rejected + p.failed > 0 ? ` (${p.rejected} rejected, ${p.failed} failed)` : "";
  return `seed [${bar}] rendered ${p.rendered}/${p.total}, uploaded ${p.uploaded}/${p.total}, live ${p.live}/${p.total}${extra}`;
}

/**
 * Prints seed progress: rewritten in place on a terminal while nothing else prints (`inPlace`),
 * else one line per tenth of the catalog settled, which reads well between other processes' logs.
 */
export function progressPrinter(): {
  print: (p: SeedProgress) => void;
  setInPlace: (inPlace: boolean) => void;
} {
  let inPlace = process.stdout.isTTY === true;
  let lastLine = "";
  let lastStep = -1;
  return {
    print(p) {
      const line = progressBar(p);
      if (line === lastLine) return;
      lastLine = line;
      if (inPlace) {
        process.stdout.write(`\r${line}`);
        return;
      }
      const step = Math.floor(((p.live + p.rejected + p.failed) / Math.max(1, p.total)) * 10);
      if (step === lastStep) return;
      lastStep = step;
      console.log(line);
    },
    setInPlace(next) {
      if (inPlace && !next && lastLine) process.stdout.write("\n");
      inPlace = next && process.stdout.isTTY === true;
    },
  };
}

/** `tsx origin/dev/seed-demo.ts [--count N]`, configured by the origin's environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const dev = loadDevStackConfig();
  const countArg = process.argv.indexOf("--count");
  const count = countArg > 0 ? Number(process.argv[countArg + 1]) : dev.demoVideos;
  const printer = progressPrinter();
  const started = Date.now();
  const ids = await seedDemoCatalog({
    redisUrl: config.redisUrl,
    s3: config.s3,
    ...(dev.originUrl ? { originUrl: dev.originUrl, sharedSecret: config.sharedSecret } : {}),
    count,
    ...(config.media ? { transcodeStream: config.media.transcodeStream } : {}),
    onProgress: printer.print,
  });
  printer.setInPlace(false);
  console.log(`seed: ${ids.length} demo videos in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
