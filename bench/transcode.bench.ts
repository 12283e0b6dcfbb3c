// The content path against plain ffmpeg on one 30 s 1080p generated clip. "plain" is the single
// ffmpeg command that builds the same ladder (same arguments, local disk, nothing else);
// "pipeline" is the whole path: tus upload to the origin, SHA-256, queue, download from S3,
// probe and decode checks, the same ffmpeg command, poster and stills, publish to S3, catalog
// `live`. The machine's speed drifts, so the two alternate in every repetition and the ratio is
// the median of per-repetition ratios. A benchmark never fails on timing; it only reports.
//
// Env: TRANSCODE_BENCH_REPS (default 2), TRANSCODE_BENCH_SECONDS (clip length, default 30).

import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { INTERNAL_AUTH_HEADER } from "../contracts/internal-auth";
import { InternalHeaders } from "../contracts/upload.schema";
import { startOrigin } from "../origin/api/origin.server";
import { CatalogStore } from "../origin/catalog/catalog.store";
import { loadMediaConfig } from "../origin/config/config";
import {
  LOCAL_BUCKET,
  LOCAL_S3_CREDENTIALS,
  startLocalServices,
} from "../origin/dev/local-services";
import { generateClip } from "../origin/media-probe/clip.generator";
import { probeMedia } from "../origin/media-probe/media.probe";
import { runTool } from "../origin/media-probe/tool.runner";
import { createS3Client } from "../origin/storage/s3.client";
import { ladderArgs, planLadder } from "../origin/transcode/hls-ladder";
import { startTranscodeWorker } from "../origin/transcode/transcode.worker";
import { uploadFile } from "../origin/uploads/tus.client";
import { median } from "./stats";

const REPS = Number(process.env.TRANSCODE_BENCH_REPS ?? 2);
const SECONDS = Number(process.env.TRANSCODE_BENCH_SECONDS ?? 30);
const SECRET = "bench-origin-secret";

async function main(): Promise<void> {
  const media = loadMediaConfig();
  const tools = { ffmpegPath: media.ffmpegPath, ffprobePath: media.ffprobePath };
  const dir = mkdtempSync(join(tmpdir(), "edgefeed-transcode-bench-"));
  const services = await startLocalServices("bench-bridge-token");
  const s3Config = {
    endpoint: services.s3.endpoint,
    region: "auto",
    bucket: LOCAL_BUCKET,
    ...LOCAL_S3_CREDENTIALS,
  };
  const stream = `uploads-bench-${randomUUID()}`;
  const origin = await startOrigin(
    {
      redisUrl: services.redis.url,
      originPort: 0,
      sharedSecret: SECRET,
      s3: s3Config,
      media: { ...media, transcodeStream: stream },
    },
    0,
  );
  const s3 = createS3Client(s3Config);
  const worker = await startTranscodeWorker({
    redisUrl: services.redis.url,
    s3,
    bucket: LOCAL_BUCKET,
    tools,
    stream,
    blockMs: 100,
    log: (line) => {
      if (line.includes(" live (")) console.log(`  ${line.slice(line.indexOf(": ") + 2)}`);
    },
  });
  const redis = new Redis(services.redis.url);
  const catalog = new CatalogStore(redis);
  try {
    console.log(`generating a ${SECONDS} s 1920x1080 clip…`);
    const clip = join(dir, "source.mp4");
    await generateClip(
      { path: clip, width: 1920, height: 1080, seconds: SECONDS, toneHz: 440, label: "bench" },
      tools.ffmpegPath,
    );
    const info = await probeMedia(clip, tools);
    const rungs = planLadder(info);
    const plainMs: number[] = [];
    const pipelineMs: number[] = [];
    const ratios: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const out = join(dir, `plain-${rep}`);
      for (const r of rungs) mkdirSync(join(out, r.name), { recursive: true });
      const plainStart = performance.now();
      const plain = await runTool(
        tools.ffmpegPath,
        ladderArgs({ inputPath: clip, outputDir: out, rungs, media: info }),
      );
      const plainTook = performance.now() - plainStart;
      if (plain.code !== 0) throw new Error(`plain ffmpeg failed: ${plain.stderr}`);

      // Dedup would answer a second upload of the same bytes without transcoding, so each
      // repetition appends a 16-byte mp4 `free` box with random content: new digest, same video.
      const bytes = await readFile(clip);
      const freeBox = Buffer.concat([
        Buffer.from([0, 0, 0, 16]),
        Buffer.from("free"),
        randomBytes(8),
      ]);
      const unique = new Uint8Array(Buffer.concat([bytes, freeBox]));
      const pipelineStart = performance.now();
      const { videoId } = await uploadFile(
        {
          endpoint: `${origin.url}/uploads`,
          headers: { [INTERNAL_AUTH_HEADER]: SECRET, [InternalHeaders.userId]: "bench" },
        },
        unique,
        { caption: `bench ${rep}` },
        8 * 1024 * 1024,
      );
      const uploadTook = performance.now() - pipelineStart;
      console.log(`  upload (tus, SHA-256, queue): ${Math.round(uploadTook)} ms`);
      for (;;) {
        const status = (await catalog.get(videoId))?.status;
        if (status === "live") break;
        if (status === "rejected" || status === "failed") {
          throw new Error(`pipeline ${status}: ${(await catalog.get(videoId))?.reason}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const pipelineTook = performance.now() - pipelineStart;
      plainMs.push(plainTook);
      pipelineMs.push(pipelineTook);
      ratios.push(pipelineTook / plainTook);
      console.log(
        `rep ${rep + 1}/${REPS}: plain ffmpeg ${(plainTook / 1000).toFixed(2)} s, pipeline ${(pipelineTook / 1000).toFixed(2)} s, ratio ${(pipelineTook / plainTook).toFixed(3)}`,
      );
      rmSync(out, { recursive: true, force: true });
    }
    const result = {
      clip: { seconds: SECONDS, width: 1920, height: 1080, bytes: (await readFile(clip)).length },
      ladder: rungs.map((r) => r.name),
      reps: REPS,
      cpus: cpus().length,
      plain_ms_median: Math.round(median(plainMs)),
      pipeline_ms_median: Math.round(median(pipelineMs)),
      ratio_median: Number(median(ratios).toFixed(3)),
      goal: "pipeline ≤ 1.1× plain ffmpeg",
    };
    console.log(
      `plain ffmpeg ${(result.plain_ms_median / 1000).toFixed(2)} s · pipeline ${(result.pipeline_ms_median / 1000).toFixed(2)} s · ratio ${result.ratio_median}× (goal ≤ 1.1×)`,
    );
    const resultsDir = resolve(import.meta.dirname, "results");
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, "transcode.json"), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await worker.stop();
    await origin.stop();
    redis.disconnect();
    s3.destroy();
    await services.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
