import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CatalogKeys, MediaKeys, UploadStreams } from "../../contracts/keyspace";
import { CatalogStore, pendingRecord } from "../catalog/catalog.store";
import { LOCAL_S3_CREDENTIALS } from "../dev/local-services";
import { generateClip } from "../media-probe/clip.generator";
import { createS3Client } from "../storage/s3.client";
import { parseMediaPlaylist } from "./hls-ladder";
import { enqueueTranscode } from "./transcode.queue";
import { startTranscodeWorker } from "./transcode.worker";

const redisUrl = inject("redisUrl");
const s3Endpoint = inject("s3Endpoint");
const bucket = inject("s3Bucket");
const s3 = createS3Client({
  endpoint: s3Endpoint,
  region: "auto",
  bucket,
  ...LOCAL_S3_CREDENTIALS,
});
const redis = new Redis(redisUrl);
const dir = mkdtempSync(join(tmpdir(), "edgefeed-worker-"));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.pid) killGroup(child, "SIGKILL");
  redis.disconnect();
  s3.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  // The worker and its ffmpeg share a process group: a host dying takes both.
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** `tsx origin/main.ts transcode` as its own process, exactly as production starts the role. */
function spawnWorker(stream: string): ChildProcess {
  const child = spawn(
    join(process.cwd(), "node_modules/.bin/tsx"),
    ["origin/main.ts", "transcode"],
    {
      cwd: process.cwd(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        UPSTASH_REDIS_REST_TOKEN: "unused-bridge-token",
        ORIGIN_SHARED_SECRET: "test-origin-secret",
        S3_ENDPOINT: s3Endpoint,
        S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
        S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
        S3_BUCKET: bucket,
        TRANSCODE_STREAM: stream,
        TRANSCODE_CLAIM_IDLE_MS: "1500",
      },
    },
  );
  children.push(child);
  return child;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function exists(key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

async function newVideo(catalog: CatalogStore, id: string) {
  await catalog.create(
    pendingRecord(
      {
        id,
        creator_id: "worker-test",
        caption: "worker test",
        hashtags: ["test"],
        audio_id: "",
        language: "en",
      },
      "processing",
    ),
  );
}

describe("transcode worker", () => {
  const clip = join(dir, "landscape.mp4");
  beforeAll(async () => {
    await generateClip({
      path: clip,
      width: 1280,
      height: 720,
      seconds: 6,
      toneHz: 330,
      label: "kill",
    });
  });

  it("finishes a job whose worker was SIGKILLed mid-transcode, in a restarted worker", async () => {
    const stream = `uploads-kill-${randomUUID()}`;
    const catalog = new CatalogStore(redis);
    const id = `kill-${randomUUID().slice(0, 8)}`;
    await newVideo(catalog, id);
    const originalKey = `originals/${id}`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: originalKey, Body: await readFile(clip) }),
    );
    await enqueueTranscode(redis, stream, { video_id: id, original_key: originalKey });

    const first = spawnWorker(stream);
    const exited = new Promise((resolve) => first.once("exit", resolve));
    await waitFor("progress", async () => {
      const entry = await catalog.get(id);
      return entry && entry.progress >= 5 && entry.progress < 100 ? entry : undefined;
    });
    killGroup(first, "SIGKILL");
    await exited;
    expect(await exists(MediaKeys.master(id, 1))).toBe(false);
    expect((await catalog.get(id))?.status).toBe("processing");

    const second = spawnWorker(stream);
    try {
      const live = await waitFor("live", async () => {
        const entry = await catalog.get(id);
        return entry?.status === "live" ? entry : undefined;
      });
      expect(live.attempts).toBe(2);
      expect(live.renditions.map((r) => r.name)).toEqual(["240p", "360p", "540p", "720p"]);
      // Everything the master names is stored in full.
      const master = await (
        await fetch(`${s3Endpoint}/${bucket}/${MediaKeys.master(id, 1)}`)
      ).text();
      const variants = master.split("\n").filter((line) => line.endsWith("index.m3u8"));
      expect(variants).toHaveLength(4);
      for (const variant of variants) {
        const name = variant.split("/")[0] ?? "";
        const playlist = await (
          await fetch(`${s3Endpoint}/${bucket}/${MediaKeys.playlist(id, 1, name)}`)
        ).text();
        const segments = parseMediaPlaylist(playlist);
        expect(segments.reduce((sum, s) => sum + s.seconds, 0)).toBeCloseTo(6, 0);
        for (const segment of segments) {
          expect(await exists(`${MediaKeys.prefix(id, 1)}${name}/${segment.uri}`)).toBe(true);
        }
      }
      const published = await redis.xrange(UploadStreams.events, "-", "+");
      const mine = published.filter(([, fields]) => fields[fields.indexOf("video_id") + 1] === id);
      expect(mine).toHaveLength(1);
      expect(await redis.lrange(CatalogKeys.creatorVideos("worker-test"), 0, -1)).toContain(id);
    } finally {
      killGroup(second, "SIGTERM");
    }
  }, 90_000);

  it("retries with backoff, then dead-letters the job and marks the video failed", async () => {
    const stream = `uploads-dead-${randomUUID()}`;
    const deadLetterStream = `${stream}:dead`;
    const catalog = new CatalogStore(redis);
    const id = `dead-${randomUUID().slice(0, 8)}`;
    await newVideo(catalog, id);
    const lines: string[] = [];
    const worker = await startTranscodeWorker({
      redisUrl,
      s3,
      bucket,
      tools: { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe" },
      stream,
      deadLetterStream,
      maxAttempts: 2,
      backoffMs: 50,
      blockMs: 100,
      log: (line) => lines.push(line),
    });
    try {
      await enqueueTranscode(redis, stream, {
        video_id: id,
        original_key: `originals/${id}-missing`,
      });
      const failed = await waitFor("failed", async () => {
        const entry = await catalog.get(id);
        return entry?.status === "failed" ? entry : undefined;
      });
      expect(failed.reason).toMatch(/^transcoding failed after 2 attempts: /);
      const dead = await redis.xrange(deadLetterStream, "-", "+");
      expect(dead).toHaveLength(1);
      const fields = dead[0]?.[1] ?? [];
      expect(fields[fields.indexOf("video_id") + 1]).toBe(id);
      expect(fields[fields.indexOf("attempts") + 1]).toBe("2");
      expect(lines.some((line) => line.includes("attempt 1/2 failed"))).toBe(true);
      const pending = (await redis.xpending(stream, "transcoders")) as [number, ...unknown[]];
      expect(pending[0]).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});
