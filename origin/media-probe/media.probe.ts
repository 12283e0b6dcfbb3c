import * as v from "valibot";
import { reasonFrom, runTool } from "./tool.runner";

export interface MediaTools {
  ffmpegPath: string;
  ffprobePath: string;
}

export interface MediaLimits {
  minDurationMs: number;
  maxDurationMs: number;
  /** Shortest side below this is not worth a ladder (the smallest rung is 240p). */
  minShortSide: number;
  /** Longest side above this is refused: the top rung is 1080p, and decoding 8K costs minutes. */
  maxLongSide: number;
  /** Frames per second above this are refused: the ladder plays at 30 or fewer. */
  maxFps: number;
  /** ffprobe and each decode check are killed past this. */
  probeTimeoutMs: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  minDurationMs: 3_000,
  maxDurationMs: 180_000,
  minShortSide: 144,
  maxLongSide: 4096,
  maxFps: 120,
  probeTimeoutMs: 30_000,
};

/** What the transcoder needs to know about an original, in display orientation. */
export interface MediaInfo {
  durationMs: number;
  width: number;
  height: number;
  fps: number;
  videoCodec: string;
  hasAudio: boolean;
}

/** A reason a person can read for refusing an upload; not retried. */
export class MediaRejection extends Error {
  override name = "MediaRejection";
}

const StreamSchema = v.object({
  codec_type: v.optional(v.string()),
  codec_name: v.optional(v.string()),
  width: v.optional(v.number()),
  height: v.optional(v.number()),
  avg_frame_rate: v.optional(v.string()),
  duration: v.optional(v.string()),
  disposition: v.optional(v.object({ attached_pic: v.optional(v.number()) })),
  tags: v.optional(v.object({ rotate: v.optional(v.string()) })),
  side_data_list: v.optional(v.array(v.object({ rotation: v.optional(v.number()) }))),
});

const ProbeSchema = v.object({
  streams: v.optional(v.array(StreamSchema), []),
  format: v.optional(
    v.object({ format_name: v.optional(v.string()), duration: v.optional(v.string()) }),
  ),
});

// Demuxers that open still images or text; ffprobe "reads" them but they are not videos.
const NOT_VIDEO_FORMATS = /(^|,)(image2|\w+_pipe|tty|apng|gif|webp_pipe)(,|$)/;
const STILL_CODECS = new Set(["mjpeg", "png", "bmp", "gif", "webp", "tiff", "ansi"]);

/**
 * Probes an original with ffprobe and checks it against the limits. Throws MediaRejection with a
 * readable reason for anything that is not a real, decodable video of acceptable length.
 */
export async function probeMedia(
  path: string,
  tools: MediaTools,
  limits: MediaLimits = DEFAULT_MEDIA_LIMITS,
): Promise<MediaInfo> {
  const result = await runTool(
    tools.ffprobePath,
    ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
    { timeoutMs: limits.probeTimeoutMs },
  );
  if (result.timedOut) throw tookTooLong(limits);
  if (result.code !== 0) {
    throw new MediaRejection(`not a video file that can be read (${reasonFrom(result.stderr)})`);
  }
  const parsed = v.safeParse(ProbeSchema, JSON.parse(result.stdout || "{}"));
  if (!parsed.success) throw new MediaRejection("not a video file that can be read");
  const { streams, format } = parsed.output;
  const video = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  const formatName = format?.format_name ?? "";
  if (!video || NOT_VIDEO_FORMATS.test(formatName) || STILL_CODECS.has(video.codec_name ?? "")) {
    const audioOnly = streams.some((s) => s.codec_type === "audio");
    throw new MediaRejection(
      audioOnly ? "the file has audio but no video track" : "the file has no video track",
    );
  }
  const durationMs = Math.round(Number(format?.duration ?? video.duration ?? Number.NaN) * 1000);
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    throw new MediaRejection("the video's duration cannot be determined");
  }
  if (durationMs < limits.minDurationMs || durationMs > limits.maxDurationMs) {
    throw new MediaRejection(
      `the video is ${(durationMs / 1000).toFixed(1)} s long; it must be between ${limits.minDurationMs / 1000} and ${limits.maxDurationMs / 1000} s`,
    );
  }
  const rotation = Math.abs(
    video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ??
      Number(video.tags?.rotate ?? 0),
  );
  const [codedW, codedH] = [video.width ?? 0, video.height ?? 0];
  const [width, height] = rotation % 180 === 90 ? [codedH, codedW] : [codedW, codedH];
  if (Math.min(width, height) < limits.minShortSide) {
    throw new MediaRejection(
      `the video is ${width}×${height}; its shorter side must be at least ${limits.minShortSide} pixels`,
    );
  }
  if (Math.max(width, height) > limits.maxLongSide) {
    throw new MediaRejection(
      `the video is ${width}×${height}; its longer side must be at most ${limits.maxLongSide} pixels`,
    );
  }
  const fps = frameRate(video.avg_frame_rate);
  if (fps > limits.maxFps) {
    throw new MediaRejection(
      `the video has ${Math.round(fps)} frames per second; at most ${limits.maxFps} are accepted`,
    );
  }
  const info: MediaInfo = {
    durationMs,
    width,
    height,
    fps,
    videoCodec: video.codec_name ?? "unknown",
    hasAudio: streams.some((s) => s.codec_type === "audio"),
  };
  await checkDecodable(path, info, tools, limits);
  return info;
}

function tookTooLong(limits: MediaLimits): MediaRejection {
  return new MediaRejection(
    `the file could not be read within ${limits.probeTimeoutMs / 1000} s; it may be damaged`,
  );
}

function frameRate(ratio: string | undefined): number {
  const [num, den] = (ratio ?? "").split("/").map(Number);
  const fps = num && den ? num / den : 30;
  return Number.isFinite(fps) && fps > 0 ? fps : 30;
}

/**
 * Decodes the first and the last second. A truncated upload whose index still claims the full
 * length (a faststart mp4 cut short) probes fine but has no frames at its end.
 */
async function checkDecodable(
  path: string,
  info: MediaInfo,
  tools: MediaTools,
  limits: MediaLimits,
): Promise<void> {
  const tailStart = Math.max(0, info.durationMs / 1000 - 1.5);
  await Promise.all([0, tailStart].map((start) => decodeFrames(path, start, tools, limits)));
}

async function decodeFrames(
  path: string,
  start: number,
  tools: MediaTools,
  limits: MediaLimits,
): Promise<void> {
  const args = [
    "-v",
    "error",
    "-ss",
    start.toFixed(3),
    "-i",
    path,
    "-map",
    "0:v:0",
    "-frames:v",
    "2",
    "-f",
    "null",
    "-progress",
    "pipe:1",
    "-",
  ];
  const result = await runTool(tools.ffmpegPath, args, { timeoutMs: limits.probeTimeoutMs });
  if (result.timedOut) throw tookTooLong(limits);
  const frames = Math.max(
    0,
    ...[...result.stdout.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1])),
  );
  if (result.code !== 0 || frames === 0) {
    const where = start === 0 ? "start" : "end";
    const detail = result.code !== 0 ? ` (${reasonFrom(result.stderr)})` : "";
    throw new MediaRejection(
      `the video cannot be decoded near its ${where}; the file may be truncated or corrupt${detail}`,
    );
  }
}
