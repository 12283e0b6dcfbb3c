import { copyFile, mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import type { MediaInfo, MediaTools } from "../media-probe/media.probe";
import { reasonFrom, runTool } from "../media-probe/tool.runner";
import {
  avc1Codec,
  ladderArgs,
  ladderFps,
  masterPlaylist,
  parseMediaPlaylist,
  planLadder,
  type RenditionStats,
} from "./hls-ladder";

export interface LadderOutput {
  renditions: RenditionStats[];
  /** Paths relative to the output dir, in upload order; `master.m3u8` is never among them. */
  files: string[];
  master: string;
  stills: string[];
}

export interface PipelineOptions {
  tools: MediaTools;
  preset?: string;
  /** Percent 0–100 from ffmpeg's `-progress` output (out_time over the source's duration). */
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
  /** The ladder encode is killed past this; `ladderTimeoutMs(duration)` unless given. */
  timeoutMs?: number;
}

/**
 * Time the ladder encode may take: two minutes plus 20 s per second of video, so that only a stuck
 * or pathological encode reaches it, and the job is retried and then dead-lettered, not held.
 */
export function ladderTimeoutMs(durationMs: number): number {
  return 120_000 + 20 * durationMs;
}

export const STILL_FRACTIONS = [0.25, 0.5, 0.75] as const;

/** Encodes the ladder, poster and stills into `outDir` and measures what was written. */
export async function transcodeToHls(
  inputPath: string,
  media: MediaInfo,
  outDir: string,
  options: PipelineOptions,
): Promise<LadderOutput> {
  const rungs = planLadder(media);
  await Promise.all(rungs.map((r) => mkdir(join(outDir, r.name), { recursive: true })));
  await mkdir(join(outDir, "stills"), { recursive: true });
  await mkdir(join(outDir, "frames"), { recursive: true });
  const fps = ladderFps(media.fps);
  const lastFrame = Math.max(0, Math.floor((media.durationMs / 1000) * fps) - 1);
  const frameAt = (seconds: number) => Math.min(lastFrame, Math.round(seconds * fps));
  const seconds = media.durationMs / 1000;
  const stills = [
    { file: "poster.jpg", frame: frameAt(Math.min(1, seconds / 2)) },
    ...STILL_FRACTIONS.map((f, i) => ({
      file: `stills/still-${i}.jpg`,
      frame: frameAt(seconds * f),
    })),
  ];
  // ffmpeg writes the selected frames in ascending order, once each, as frame-1.jpg, frame-2.jpg…
  const frames = [...new Set(stills.map((s) => s.frame))].sort((a, b) => a - b);
  const args = ladderArgs({
    inputPath,
    outputDir: outDir,
    rungs,
    media,
    stillFrames: frames,
    ...(options.preset ? { preset: options.preset } : {}),
  });
  const timeoutMs = options.timeoutMs ?? ladderTimeoutMs(media.durationMs);
  const result = await runTool(options.tools.ffmpegPath, args, {
    onLine: progressReader(media.durationMs, options.onProgress),
    timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.timedOut) {
    throw new Error(`ffmpeg ladder took longer than ${Math.round(timeoutMs / 1000)} s`);
  }
  if (result.code !== 0) {
    throw new Error(`ffmpeg ladder failed: ${reasonFrom(result.stderr)}`);
  }
  await Promise.all(
    stills.map((s) =>
      copyFile(
        join(outDir, "frames", `frame-${frames.indexOf(s.frame) + 1}.jpg`),
        join(outDir, s.file),
      ),
    ),
  );
  const renditions = await Promise.all(
    rungs.map((r) => measureRendition(outDir, r, media.fps, options.tools)),
  );
  const files = [
    ...renditions.flatMap((r) => [
      ...r.segments.map((s) => `${r.name}/${s.uri}`),
      `${r.name}/index.m3u8`,
    ]),
    ...stills.map((s) => s.file),
  ];
  options.onProgress?.(100);
  return {
    renditions,
    files,
    master: masterPlaylist(renditions),
    stills: stills.slice(1).map((s) => s.file),
  };
}

/** Turns `-progress` key=value lines into percent callbacks, at most one per whole percent. */
function progressReader(durationMs: number, onProgress?: (percent: number) => void) {
  let last = -1;
  return (line: string) => {
    const match = /^out_time_us=(\d+)$/.exec(line);
    if (!match || !onProgress) return;
    const percent = Math.min(99, Math.floor((Number(match[1]) / 1000 / durationMs) * 100));
    if (percent > last) {
      last = percent;
      onProgress(percent);
    }
  };
}

const SegmentProbeSchema = v.object({
  streams: v.array(
    v.object({
      codec_type: v.string(),
      profile: v.optional(v.string()),
      level: v.optional(v.number()),
    }),
  ),
});

async function measureRendition(
  outDir: string,
  rung: { name: string; width: number; height: number },
  sourceFps: number,
  tools: MediaTools,
): Promise<RenditionStats> {
  const playlist = await readFile(join(outDir, rung.name, "index.m3u8"), "utf8");
  const listed = parseMediaPlaylist(playlist);
  if (listed.length === 0) throw new Error(`rendition ${rung.name} has no segments`);
  const segments = await Promise.all(
    listed.map(async (s) => ({
      ...s,
      bytes: (await stat(join(outDir, rung.name, s.uri))).size,
    })),
  );
  const peak = Math.max(...segments.map((s) => (s.bytes * 8) / Math.max(s.seconds, 0.5)));
  const totalSeconds = segments.reduce((sum, s) => sum + s.seconds, 0);
  const totalBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
  const first = segments[0]?.uri ?? "";
  const probe = await runTool(tools.ffprobePath, [
    "-v",
    "error",
    "-print_format",
    "json",
    "-show_streams",
    join(outDir, rung.name, first),
  ]);
  const video = v
    .parse(SegmentProbeSchema, JSON.parse(probe.stdout || "{}"))
    .streams.find((s) => s.codec_type === "video");
  return {
    name: rung.name,
    width: rung.width,
    height: rung.height,
    bandwidth: Math.ceil(peak),
    averageBandwidth: Math.ceil((totalBytes * 8) / totalSeconds),
    codecs: `${avc1Codec(video?.profile ?? "Main", video?.level ?? 31)},mp4a.40.2`,
    frameRate: ladderFps(sourceFps),
    segments,
  };
}
