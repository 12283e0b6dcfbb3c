import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { TranscodeJob } from "../../contracts/upload.schema";
import { probeMedia } from "../media-probe/media.probe";
import { publishLadder } from "./media.publisher";
import type { TranscodeContext } from "./transcode.context";
import { transcodeToHls } from "./transcode.pipeline";

/**
 * One attempt at a job, in a scratch folder removed afterwards: download the original, probe it,
 * transcode the HLS ladder (progress into the catalog), publish it and mark the video live.
 * Throws on any failure; the caller decides between retry, rejection and dead letter.
 */
export async function transcodeOnce(
  ctx: TranscodeContext,
  job: TranscodeJob,
  attempt: number,
): Promise<void> {
  const { catalog, log, tag } = ctx;
  const dir = join(ctx.workDir, `${job.video_id}-${randomBytes(4).toString("hex")}`);
  await mkdir(join(dir, "out"), { recursive: true });
  try {
    await catalog.setStatus(job.video_id, "processing", { progress: 0 });
    const original = join(dir, "original");
    const t0 = performance.now();
    await download(ctx.s3, ctx.bucket, job.original_key, original);
    const t1 = performance.now();
    const media = await probeMedia(original, ctx.tools, ctx.limits);
    const t2 = performance.now();
    const entry = await catalog.get(job.video_id);
    const version = entry?.version ?? 1;
    log(
      `${tag}: ${job.video_id} attempt ${attempt}: ${media.width}x${media.height} ${(media.durationMs / 1000).toFixed(1)} s`,
    );
    let lastLogged = -10;
    let lastWrite = 0;
    const ladder = await transcodeToHls(original, media, join(dir, "out"), {
      tools: ctx.tools,
      ...(ctx.preset ? { preset: ctx.preset } : {}),
      signal: ctx.signal,
      onProgress: (percent) => {
        const now = Date.now();
        if (now - lastWrite >= 500 || percent === 100) {
          lastWrite = now;
          catalog.setProgress(job.video_id, percent).catch(() => {});
        }
        if (percent - lastLogged >= 10) {
          lastLogged = percent;
          log(`${tag}: ${job.video_id} ${percent}%`);
        }
      },
    });
    const t3 = performance.now();
    await publishLadder(
      { s3: ctx.s3, bucket: ctx.bucket, videoId: job.video_id, version },
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
    log(
      `${tag}: ${job.video_id} live (${ladder.renditions.map((r) => r.name).join(", ")}): download ${ms(t0, t1)}, probe ${ms(t1, t2)}, ffmpeg ${ms(t2, t3)}, publish ${ms(t3, t4)}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(object.Body instanceof Readable)) throw new Error(`original ${key} has no body`);
  await pipeline(object.Body, createWriteStream(path));
}
