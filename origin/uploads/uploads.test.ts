import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { CatalogKeys, MediaKeys } from "../../contracts/keyspace";
import { InternalHeaders, type UploadStatus } from "../../contracts/upload.schema";
import { type RunningOrigin, startOrigin } from "../api/origin.server";
import { CatalogStore } from "../catalog/catalog.store";
import { testOriginConfig, testS3Config } from "../dev/test-s3";
import { generateAudioOnly, generateClip } from "../media-probe/clip.generator";
import { runTool } from "../media-probe/tool.runner";
import { createS3Client } from "../storage/s3.client";
import { parseMediaPlaylist } from "../transcode/hls-ladder";
import { type RunningTranscodeWorker, startTranscodeWorker } from "../transcode/transcode.worker";
import { createUpload, patchChunk, TusError, uploadFile, uploadOffset } from "./tus.client";

const redisUrl = inject("redisUrl");
const s3Endpoint = inject("s3Endpoint");
const bucket = inject("s3Bucket");
const s3Config = testS3Config();
const SECRET = "test-origin-secret";
const MAX_BYTES = 4 * 1024 * 1024;
const stream = `uploads-test-${randomUUID()}`;
const tools = { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe" };

const dir = mkdtempSync(join(tmpdir(), "edgefeed-uploads-"));
const s3 = createS3Client(s3Config);
const redis = new Redis(redisUrl);
const catalog = new CatalogStore(redis);
let origin: RunningOrigin;
let worker: RunningTranscodeWorker;
let tus: { endpoint: string; headers: Record<string, string> };

beforeAll(async () => {
  origin = await startOrigin(
    testOriginConfig(SECRET, {
      uploadMaxBytes: MAX_BYTES,
      transcodeStream: stream,
      maxAttempts: 2,
    }),
    0,
  );
  worker = await startTranscodeWorker({
    redisUrl,
    s3,
    bucket,
    tools,
    stream,
    blockMs: 200,
    backoffMs: 100,
    preset: "ultrafast",
    log: () => {},
  });
  tus = {
    endpoint: `${origin.url}/uploads`,
    headers: { [INTERNAL_AUTH_HEADER]: SECRET, [InternalHeaders.userId]: "creator-1" },
  };
  await Promise.all([
    generateClip({
      path: join(dir, "portrait.mp4"),
      width: 360,
      height: 640,
      seconds: 10,
      toneHz: 440,
      label: "portrait",
    }),
    generateClip({
      path: join(dir, "short.mp4"),
      width: 320,
      height: 240,
      seconds: 1,
      toneHz: 440,
    }),
    generateClip({ path: join(dir, "whole.mp4"), width: 320, height: 240, seconds: 4 }),
    generateAudioOnly(join(dir, "audio.m4a"), 5),
    writeFile(join(dir, "text.mp4"), "this is a text file, not a video\n".repeat(200)),
  ]);
  const whole = await readFile(join(dir, "whole.mp4"));
  await writeFile(join(dir, "truncated.mp4"), whole.subarray(0, Math.floor(whole.length * 0.6)));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await origin?.stop();
  redis.disconnect();
  s3.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** The tus endpoint as another creator would reach it through the edge. */
function as(userId: string): typeof tus {
  return { ...tus, headers: { ...tus.headers, [InternalHeaders.userId]: userId } };
}

async function statusOf(id: string, who = tus): Promise<UploadStatus> {
  const response = await fetch(`${origin.url}/uploads/${id}/status`, { headers: who.headers });
  expect(response.status).toBe(200);
  return (await response.json()) as UploadStatus;
}

async function settled(id: string, timeoutMs = 60_000, who = tus): Promise<UploadStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(id, who);
    if (status.status !== "uploading" && status.status !== "processing") return status;
    if (Date.now() > deadline) throw new Error(`upload ${id} still ${status.status}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Sends part of a PATCH body and then cuts the connection, like a phone losing signal. */
function interruptedPatch(url: string, offset: number, bytes: Uint8Array, sendBytes: number) {
  return new Promise<void>((resolve) => {
    const req = request(url, {
      method: "PATCH",
      headers: {
        ...tus.headers,
        "tus-resumable": "1.0.0",
        "upload-offset": String(offset),
        "content-type": "application/offset+octet-stream",
        "content-length": String(bytes.byteLength),
      },
    });
    req.on("error", () => resolve());
    req.write(bytes.subarray(0, sendBytes), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
  });
}

const objectUrl = (key: string) => `${s3Endpoint}/${bucket}/${key}`;

describe("content path: tus upload → transcode → catalog", () => {
  it("takes a 10 s portrait clip in chunks with an interruption, resumes, and goes live", async () => {
    const bytes = new Uint8Array(await readFile(join(dir, "portrait.mp4")));
    const created = await createUpload(tus, bytes.byteLength, {
      caption: "Portrait test clip",
      hashtags: "#test, portrait",
      audio_id: "tone-440",
      language: "en",
    });
    const third = Math.floor(bytes.byteLength / 3);
    const first = await patchChunk(tus, created.url, 0, bytes.subarray(0, third));
    expect(first.offset).toBe(third);

    await interruptedPatch(created.url, third, bytes.subarray(third), third);
    const resumeAt = await uploadOffset(tus, created.url);
    expect(resumeAt).toBeGreaterThanOrEqual(third);
    expect(resumeAt).toBeLessThan(bytes.byteLength);
    const last = await patchChunk(tus, created.url, resumeAt, bytes.subarray(resumeAt));
    expect(last.offset).toBe(bytes.byteLength);
    expect(last.videoId).toBe(created.videoId);

    const status = await settled(created.videoId);
    expect(status).toMatchObject({ status: "live", progress: 100 });
    const entry = await catalog.get(created.videoId);
    expect(entry).toMatchObject({
      creator_id: "creator-1",
      caption: "Portrait test clip",
      hashtags: ["test", "portrait"],
      audio_id: "tone-440",
      language: "en",
      version: 1,
    });
    expect(entry?.renditions.map((r) => [r.name, r.width, r.height])).toEqual([
      ["240p", 240, 426],
      ["360p", 360, 640],
    ]);
    expect(await catalog.creatorVideos("creator-1")).toContain(created.videoId);
    expect(await redis.hexists(CatalogKeys.video(created.videoId), "embedding")).toBe(1);

    // The stored original is byte-identical to what was sent despite the cut connection.
    const original = await fetch(objectUrl(`originals/${created.videoId}`));
    expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    // ffprobe reads the master over HTTP as a player would: every variant with its resolution.
    const masterUrl = objectUrl(MediaKeys.master(created.videoId, 1));
    const master = await (await fetch(masterUrl)).text();
    expect(master).toMatch(
      /BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=240x426,.*CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/,
    );
    expect(master).toMatch(/RESOLUTION=360x640/);
    const probe = await runTool("ffprobe", [
      "-v",
      "error",
      "-print_format",
      "json",
      "-show_programs",
      "-show_entries",
      "stream=width,height:program_tags=variant_bitrate",
      masterUrl,
    ]);
    expect(probe.code).toBe(0);
    const programs = (
      JSON.parse(probe.stdout) as {
        programs: {
          tags?: { variant_bitrate?: string };
          streams: { width?: number; height?: number }[];
        }[];
      }
    ).programs;
    expect(programs.map((p) => p.streams.find((s) => s.width)?.height).sort()).toEqual([426, 640]);
    expect(programs.every((p) => Number(p.tags?.variant_bitrate) > 0)).toBe(true);

    for (const rendition of ["240p", "360p"]) {
      const playlist = await (
        await fetch(objectUrl(MediaKeys.playlist(created.videoId, 1, rendition)))
      ).text();
      const segments = parseMediaPlaylist(playlist);
      const total = segments.reduce((sum, s) => sum + s.seconds, 0);
      expect(total).toBeGreaterThan(9.8);
      expect(total).toBeLessThan(10.2);
      expect(segments.every((s) => s.seconds <= 2.1)).toBe(true);
      // A segment fetched over HTTP decodes on its own (it starts with a keyframe).
      const segmentUrl = objectUrl(
        `${MediaKeys.prefix(created.videoId, 1)}${rendition}/${segments[1]?.uri}`,
      );
      const decode = await runTool("ffmpeg", ["-v", "error", "-i", segmentUrl, "-f", "null", "-"]);
      expect(decode.code).toBe(0);
      expect(decode.stderr).toBe("");
    }
    const poster = await fetch(objectUrl(MediaKeys.poster(created.videoId, 1)));
    expect(poster.headers.get("content-type")).toBe("image/jpeg");
    for (const still of ["stills/still-0.jpg", "stills/still-2.jpg"]) {
      const response = await fetch(objectUrl(`${MediaKeys.prefix(created.videoId, 1)}${still}`));
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }

    // Same bytes again: the existing id comes back and no job is queued.
    const jobsBefore = await redis.xlen(stream);
    const again = await uploadFile(tus, bytes, { caption: "copy" });
    expect(again.videoId).toBe(created.videoId);
    expect(await redis.xlen(stream)).toBe(jobsBefore);
    // Was: another creator's identical bytes were handed the first creator's video id.
    const theirs = await uploadFile(as("creator-2"), bytes, { caption: "their copy" });
    expect(theirs.videoId).not.toBe(created.videoId);
    expect(await catalog.get(theirs.videoId)).toMatchObject({ creator_id: "creator-2" });
    expect(await redis.xlen(stream)).toBe(jobsBefore + 1);
    expect((await settled(theirs.videoId, 60_000, as("creator-2"))).status).toBe("live");
  }, 120_000);

  it("lets no other account see, resume or terminate an upload, 403 naming it", async () => {
    // Was: user B PATCHed 40 bytes into A's upload (204), DELETEd it (204) and read its status.
    const bytes = new Uint8Array(await readFile(join(dir, "whole.mp4")));
    const created = await createUpload(tus, bytes.byteLength, { caption: "mine" });
    await patchChunk(tus, created.url, 0, bytes.subarray(0, 1000));
    const other = as("creator-2");
    const forbidden = {
      error: {
        code: "UPLOAD.FORBIDDEN",
        message: `upload ${created.videoId} belongs to another account`,
      },
    };
    const patch = await patchChunk(other, created.url, 1000, new Uint8Array(40)).catch((e) => e);
    expect(patch).toMatchObject({ status: 403 });
    expect(JSON.parse(patch.body)).toEqual(forbidden);
    const head = await fetch(created.url, {
      method: "HEAD",
      headers: { ...other.headers, "tus-resumable": "1.0.0" },
    });
    expect(head.status).toBe(403);
    const status = await fetch(`${origin.url}/uploads/${created.videoId}/status`, other);
    expect(status.status).toBe(403);
    expect(await status.json()).toEqual(forbidden);
    const terminate = await fetch(created.url, {
      method: "DELETE",
      headers: { ...other.headers, "tus-resumable": "1.0.0" },
    });
    expect(terminate.status).toBe(403);
    // The owner's upload is untouched and finishes.
    expect(await uploadOffset(tus, created.url)).toBe(1000);
    const last = await patchChunk(tus, created.url, 1000, bytes.subarray(1000));
    expect(last.videoId).toBe(created.videoId);
    expect(await catalog.get(created.videoId)).toMatchObject({ creator_id: "creator-1" });
  });

  it("terminates an unfinished upload with its catalog entry, and refuses a finished one", async () => {
    // Was: a terminated upload's catalog entry stayed `uploading` forever.
    const bytes = new Uint8Array(await readFile(join(dir, "whole.mp4")));
    const unfinished = await createUpload(tus, bytes.byteLength, { caption: "abandoned" });
    await patchChunk(tus, unfinished.url, 0, bytes.subarray(0, 1000));
    const del = (url: string) =>
      fetch(url, { method: "DELETE", headers: { ...tus.headers, "tus-resumable": "1.0.0" } });
    expect((await del(unfinished.url)).status).toBe(204);
    expect(await catalog.get(unfinished.videoId)).toBeUndefined();
    const gone = await fetch(`${origin.url}/uploads/${unfinished.videoId}/status`, tus);
    expect(gone.status).toBe(404);

    const finished = await createUpload(tus, 12, { caption: "finished" });
    await patchChunk(
      tus,
      finished.url,
      0,
      new TextEncoder().encode(`${randomUUID()}`.slice(0, 12)),
    );
    const refused = await del(finished.url);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "UPLOAD.FINISHED",
    );
    expect(await catalog.get(finished.videoId)).toBeDefined();
  });

  it.each([
    ["a text file renamed .mp4", "text.mp4", /not a video file that can be read/],
    ["a truncated mp4", "truncated.mp4", /not a video file that can be read|truncated/],
    ["a 1 s clip", "short.mp4", /1\.0 s long; it must be between 3 and 180 s/],
    ["an audio-only file", "audio.m4a", /audio but no video track/],
  ])("rejects %s with a readable reason and nothing live", async (_name, file, reason) => {
    const bytes = new Uint8Array(await readFile(join(dir, file)));
    const { videoId } = await uploadFile(tus, bytes, { caption: file });
    const status = await settled(videoId);
    expect(status.status).toBe("rejected");
    expect(status.reason).toMatch(reason);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `videos/${videoId}/` }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it("refuses a file over the size limit before any byte is sent", async () => {
    const error = await createUpload(tus, MAX_BYTES * 2, { caption: "big" }).catch((e) => e);
    expect(error).toBeInstanceOf(TusError);
    expect(error.status).toBe(413);
    expect(JSON.parse(error.body)).toEqual({
      error: {
        code: "UPLOAD.TOO_LARGE",
        message: "Upload-Length: the file is 8.0 MB; the limit is 4.0 MB",
      },
    });
  });

  it("refuses an empty file with 400 naming Upload-Length", async () => {
    // Was a 500 with an S3 message and a catalog entry stuck at `uploading`.
    const error = await createUpload(tus, 0, { caption: "empty" }).catch((e) => e);
    expect(error).toBeInstanceOf(TusError);
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body)).toEqual({
      error: { code: "REQUEST.INVALID_FIELD", message: "Upload-Length: the file is empty" },
    });
  });

  it("refuses calls without the edge's secret or a user", async () => {
    const noSecret = await fetch(tus.endpoint, {
      method: "POST",
      headers: { "tus-resumable": "1.0.0", "upload-length": "10" },
    });
    expect(noSecret.status).toBe(401);
    const noUser = await createUpload(
      { endpoint: tus.endpoint, headers: { [INTERNAL_AUTH_HEADER]: SECRET } },
      10,
      {},
    ).catch((e) => e);
    expect(noUser).toMatchObject({ status: 401 });
  });

  it("rejects bad metadata naming the field", async () => {
    const error = await createUpload(tus, 10, { language: "not a language!" }).catch((e) => e);
    expect(error.status).toBe(400);
    expect(JSON.parse(error.body).error.message).toMatch(/^Upload-Metadata: language: /);
  });
});
