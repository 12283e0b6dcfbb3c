import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateClip } from "./clip.generator";
import { DEFAULT_MEDIA_LIMITS, MediaRejection, probeMedia } from "./media.probe";

const tools = { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe" };
const dir = mkdtempSync(join(tmpdir(), "edgefeed-probe-"));
const clip = join(dir, "clip.mp4");

beforeAll(async () => {
  await generateClip({ path: clip, width: 320, height: 240, seconds: 4, fps: 25, faststart: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("probeMedia", () => {
  it("describes a real video in display orientation", async () => {
    expect(await probeMedia(clip, tools)).toEqual({
      durationMs: 4000,
      width: 320,
      height: 240,
      fps: 25,
      videoCodec: "h264",
      hasAudio: false,
    });
  });

  it("rejects a file that is not a video without naming the server's copy of it", async () => {
    const text = join(dir, "notes.mp4");
    await writeFile(text, "this is not a video at all\n".repeat(100));
    const error = await probeMedia(text, tools).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaRejection);
    const { message } = error as Error;
    expect(message).toMatch(/^not a video file that can be read/);
    expect(message).not.toContain(dir);
    expect(message).not.toContain("/tmp");
  });

  it("rejects a truncated mp4 whose index still claims the full length", async () => {
    const bytes = await readFile(clip);
    const cut = join(dir, "cut.mp4");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    const error = await probeMedia(cut, tools).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaRejection);
    expect((error as Error).message).toMatch(
      /cannot be decoded near its end; the file may be truncated/,
    );
  });

  it("rejects a video smaller than the smallest accepted size", async () => {
    const tiny = join(dir, "tiny.mp4");
    await generateClip({ path: tiny, width: 160, height: 96, seconds: 3 });
    await expect(probeMedia(tiny, tools)).rejects.toThrow(
      "the video is 160×96; its shorter side must be at least 144 pixels",
    );
  });

  it("rejects a video past the resolution and frame-rate caps", async () => {
    expect(DEFAULT_MEDIA_LIMITS).toMatchObject({ maxLongSide: 4096, maxFps: 120 });
    // The same checks at caps this clip exceeds, so the test needs no 8K encode.
    await expect(
      probeMedia(clip, tools, { ...DEFAULT_MEDIA_LIMITS, maxLongSide: 300 }),
    ).rejects.toThrow("the video is 320×240; its longer side must be at most 300 pixels");
    await expect(probeMedia(clip, tools, { ...DEFAULT_MEDIA_LIMITS, maxFps: 24 })).rejects.toThrow(
      "the video has 25 frames per second; at most 24 are accepted",
    );
  });

  it("rejects a file that ffprobe cannot read in time", async () => {
    // A stand-in ffprobe that hangs, as ffprobe does on some crafted inputs.
    const hanging = join(dir, "hanging-ffprobe");
    await writeFile(hanging, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const limits = { ...DEFAULT_MEDIA_LIMITS, probeTimeoutMs: 300 };
    const error = await probeMedia(clip, { ...tools, ffprobePath: hanging }, limits).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MediaRejection);
    expect((error as Error).message).toBe(
      "the file could not be read within 0.3 s; it may be damaged",
    );
  });
});
