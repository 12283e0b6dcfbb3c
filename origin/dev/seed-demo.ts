import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { InternalHeaders } from "../../contracts/upload.schema";
import { type RunningOrigin, startOrigin } from "../api/origin.server";
import { CatalogStore } from "../catalog/catalog.store";
import { loadConfig, loadMediaConfig, type S3Config } from "../config/config";
import { type ClipSpec, generateClip } from "../media-probe/clip.generator";
import { createS3Client } from "../storage/s3.client";
import { type RunningTranscodeWorker, startTranscodeWorker } from "../transcode/transcode.worker";
import { uploadFile } from "../uploads/tus.client";

export interface SeedProgress {
  total: number;
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
  /** The jobs stream; a transcode worker joins its group here unless `startWorker` is false. */
  transcodeStream?: string;
  startWorker?: boolean;
  ffmpegPath?: string;
  ffprobePath?: string;
  timeoutMs?: number;
  onProgress?: (progress: SeedProgress) => void;
}

const TOPICS = [
  { tags: ["dance", "music"], words: "a new dance move to try" },
  { tags: ["cooking", "food"], words: "quick pasta for busy evenings" },
  { tags: ["pets", "cats"], words: "the cat discovers the box" },
  { tags: ["travel", "nature"], words: "sunrise over the mountains" },
  { tags: ["comedy", "skit"], words: "when the wifi drops mid call" },
  { tags: ["sports", "football"], words: "the goal of the weekend" },
  { tags: ["diy", "craft"], words: "turn a jar into a lamp" },
  { tags: ["tech", "gadgets"], words: "three phone tricks nobody uses" },
] as const;
const PATTERNS: ClipSpec["pattern"][] = ["testsrc2", "smptebars", "testsrc", "rgbtestsrc"];
const SHAPES = [
  { width: 360, height: 640 },
  { width: 360, height: 640 },
  { width: 640, height: 360 },
  { width: 480, height: 480 },
];
const LANGUAGES = ["en", "en", "es", "pt-BR", "de"];

/** The n-th demo clip: deterministic, so a second seed dedups to the same videos. */
export function demoClip(n: number) {
  const topic = TOPICS[n % TOPICS.length] ?? TOPICS[0];
  const shape = SHAPES[n % SHAPES.length] ?? { width: 360, height: 640 };
  const label = `demo ${String(n + 1).padStart(2, "0")}`;
  return {
    spec: {
      ...shape,
      seconds: 3 + (n % 4),
      toneHz: 220 + 55 * (n % 9),
      pattern: PATTERNS[n % PATTERNS.length] ?? "testsrc2",
      label,
    },
    creator: `demo-creator-${(n % 6) + 1}`,
    metadata: {
      caption: `${label}: ${topic.words} #${topic.tags[0]}`,
      hashtags: topic.tags.join(","),
      audio_id: `tone-${220 + 55 * (n % 9)}`,
      language: LANGUAGES[n % LANGUAGES.length] ?? "en",
    },
  };
}

/**
 * Generates `count` short clips with ffmpeg's own sources, uploads each through the real tus
 * path and waits until every one is live (or rejected/failed), reporting progress as it goes.
 */
export async function seedDemoCatalog(options: SeedOptions): Promise<string[]> {
  const count = options.count ?? 36;
  const ffmpegPath = options.ffmpegPath ?? "ffmpeg";
  const media = loadMediaConfig({});
  const stream = options.transcodeStream ?? media.transcodeStream;
  const sharedSecret = options.sharedSecret ?? "seed-demo-secret";
  const dir = mkdtempSync(join(tmpdir(), "edgefeed-seed-"));
  const redis = new Redis(options.redisUrl);
  const catalog = new CatalogStore(redis);
  const s3 = createS3Client(options.s3);
  let origin: RunningOrigin | undefined;
  let worker: RunningTranscodeWorker | undefined;
  try {
    if (!options.originUrl) {
      origin = await startOrigin(
        {
          redisUrl: options.redisUrl,
          bridgeToken: "unused-bridge-token",
          bridgePort: 0,
          originPort: 0,
          sharedSecret,
          s3: options.s3,
          media: { ...media, transcodeStream: stream },
        },
        0,
      );
    }
    if (options.startWorker ?? true) {
      worker = await startTranscodeWorker({
        redisUrl: options.redisUrl,
        s3,
        bucket: options.s3.bucket,
        tools: { ffmpegPath, ffprobePath: options.ffprobePath ?? "ffprobe" },
        stream,
        log: () => {},
      });
    }
    const endpoint = `${options.originUrl ?? origin?.url}/uploads`;
    const progress: SeedProgress = { total: count, uploaded: 0, live: 0, rejected: 0, failed: 0 };
    const report = () => options.onProgress?.({ ...progress });
    report();

    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      const clip = demoClip(n);
      const path = join(dir, `demo-${n}.mp4`);
      await generateClip({ ...clip.spec, path }, ffmpegPath);
      const bytes = new Uint8Array(await readFile(path));
      const { videoId } = await uploadFile(
        {
          endpoint,
          headers: {
            [InternalHeaders.secret]: sharedSecret,
            [InternalHeaders.userId]: clip.creator,
          },
        },
        bytes,
        clip.metadata,
      );
      ids.push(videoId);
      progress.uploaded++;
      report();
    }

    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    const pending = new Set(ids);
    while (pending.size > 0) {
      for (const id of [...pending]) {
        const status = (await catalog.get(id))?.status;
        if (status === "live" || status === "rejected" || status === "failed") {
          pending.delete(id);
          progress[status === "live" ? "live" : status]++;
          report();
        }
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) throw new Error(`seed: ${pending.size} videos not live in time`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return ids;
  } finally {
    await worker?.stop();
    await origin?.stop();
    redis.disconnect();
    s3.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function progressBar(p: SeedProgress): string {
  const width = 30;
  const done = p.live + p.rejected + p.failed;
  const filled = Math.round((done / Math.max(1, p.total)) * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const extra = p.rejected + p.failed > 0 ? ` (${p.rejected} rejected, ${p.failed} failed)` : "";
  return `seed [${bar}] uploaded ${p.uploaded}/${p.total}, live ${p.live}/${p.total}${extra}`;
}

/** `tsx origin/dev/seed-demo.ts [--count N]`, configured by the origin's environment. */
async function main(): Promise<void> {
  const config = loadConfig();
  const countArg = process.argv.indexOf("--count");
  const count = countArg > 0 ? Number(process.argv[countArg + 1]) : 36;
  const interactive = process.stdout.isTTY;
  const started = Date.now();
  const ids = await seedDemoCatalog({
    redisUrl: config.redisUrl,
    s3: config.s3,
    ...(process.env.ORIGIN_URL
      ? { originUrl: process.env.ORIGIN_URL, sharedSecret: config.sharedSecret }
      : {}),
    count,
    ...(config.media ? { transcodeStream: config.media.transcodeStream } : {}),
    onProgress: (p) => {
      const line = progressBar(p);
      if (interactive) {
        process.stdout.write(`\r${line}`);
        return;
      }
      // Logs get a line per tenth of the work instead of one per video.
      const step = Math.max(1, Math.ceil(p.total / 10));
      const done = p.uploaded + p.live + p.rejected + p.failed;
      if (done % step === 0 || done === 2 * p.total) console.log(line);
    },
  });
  if (interactive) process.stdout.write("\n");
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
