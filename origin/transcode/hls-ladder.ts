import type { Rendition } from "../../contracts/video.schema";
import type { MediaInfo } from "../media-probe/media.probe";

/** One rung: its short side (the `p` number, also for portrait) and its H.264 target bitrate. */
export interface Rung {
  name: string;
  width: number;
  height: number;
  videoKbps: number;
}

/** Short-video bitrates (H.264 main, ≤30 fps); a rung is used only at or below the source. */
const LADDER = [
  { short: 240, videoKbps: 400 },
  { short: 360, videoKbps: 800 },
  { short: 540, videoKbps: 1_500 },
  { short: 720, videoKbps: 2_500 },
] as const;

export const SEGMENT_SECONDS = 2;
export const AUDIO_KBPS = 96;
export const MAX_FPS = 30;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/** The rungs for a source in display orientation; portrait keeps its orientation. */
export function planLadder(source: Pick<MediaInfo, "width" | "height">): Rung[] {
  const portrait = source.height > source.width;
  const sourceShort = Math.min(source.width, source.height);
  const sourceLong = Math.max(source.width, source.height);
  const shorts: { short: number; videoKbps: number }[] = LADDER.filter(
    (r) => r.short <= sourceShort,
  );
  if (shorts.length === 0) {
    // Between the minimum accepted size and 240p: one rung at the source's own size.
    shorts.push({ short: even(sourceShort), videoKbps: LADDER[0].videoKbps });
  }
  return shorts.map(({ short, videoKbps }) => {
    const long = even((sourceLong * short) / sourceShort);
    return {
      name: `${short}p`,
      width: portrait ? short : long,
      height: portrait ? long : short,
      videoKbps,
    };
  });
}

export interface LadderCommand {
  inputPath: string;
  outputDir: string;
  rungs: Rung[];
  media: Pick<MediaInfo, "durationMs" | "fps" | "hasAudio">;
  preset?: string;
  /**
   * Output frame numbers (after the fps filter) to write as JPEGs at the top rung's size, as
   * `{outputDir}/frames/frame-1.jpg`… in ascending order, from the same decode as the ladder.
   */
  stillFrames?: number[];
}

/** The output frame rate of a ladder: the source's, capped. */
export function ladderFps(sourceFps: number): number {
  return Math.min(MAX_FPS, Math.round(sourceFps) || MAX_FPS);
}

/**
 * One ffmpeg process for the whole ladder: the source is decoded once and split. Keyframes are
 * forced every SEGMENT_SECONDS on every rung (and scene-cut keyframes disabled), so segment
 * boundaries line up across rungs and a player can switch at any boundary. Sources without
 * audio get a silent track, so every rendition has the same CODECS.
 */
export function ladderArgs(cmd: LadderCommand): string[] {
  const fps = ladderFps(cmd.media.fps);
  const gop = fps * SEGMENT_SECONDS;
  const frames = cmd.stillFrames ?? [];
  const top = cmd.rungs.at(-1);
  const n = cmd.rungs.length + (frames.length > 0 ? 1 : 0);
  const split = `[0:v]fps=${fps},split=${n}${Array.from({ length: n }, (_, i) => `[s${i}]`).join("")}`;
  const scales = cmd.rungs.map(
    (r, i) => `[s${i}]scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p[v${i}]`,
  );
  if (frames.length > 0 && top) {
    const pick = frames.map((f) => `eq(n\\,${f})`).join("+");
    scales.push(`[s${n - 1}]select=${pick},scale=${top.width}:${top.height},setsar=1[stills]`);
  }
  const args = ["-v", "error", "-nostats", "-y", "-i", cmd.inputPath];
  const audioInput = cmd.media.hasAudio ? "0:a:0" : "1:a:0";
  if (!cmd.media.hasAudio) {
    const seconds = (cmd.media.durationMs / 1000).toFixed(3);
    args.push("-f", "lavfi", "-t", seconds, "-i", "anullsrc=r=48000:cl=stereo");
  }
  args.push("-filter_complex", [split, ...scales].join(";"));
  cmd.rungs.forEach((_, i) => {
    args.push("-map", `[v${i}]`, "-map", audioInput);
  });
  args.push(
    "-c:v",
    "libx264",
    "-preset",
    cmd.preset ?? "veryfast",
    "-profile:v",
    "main",
    "-sc_threshold",
    "0",
    "-g",
    String(gop),
    "-keyint_min",
    String(gop),
    "-force_key_frames",
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
  );
  cmd.rungs.forEach((r, i) => {
    args.push(
      `-b:v:${i}`,
      `${r.videoKbps}k`,
      `-maxrate:v:${i}`,
      `${Math.round(r.videoKbps * 1.2)}k`,
      `-bufsize:v:${i}`,
      `${r.videoKbps * 2}k`,
    );
  });
  args.push(
    "-c:a",
    "aac",
    "-b:a",
    `${AUDIO_KBPS}k`,
    "-ac",
    "2",
    "-ar",
    "48000",
    "-f",
    "hls",
    "-hls_time",
    String(SEGMENT_SECONDS),
    "-hls_playlist_type",
    "vod",
    "-hls_flags",
    "independent_segments",
    "-hls_segment_type",
    "mpegts",
    "-hls_segment_filename",
    `${cmd.outputDir}/%v/seg-%05d.ts`,
    "-var_stream_map",
    cmd.rungs.map((r, i) => `v:${i},a:${i},name:${r.name}`).join(" "),
    "-progress",
    "pipe:1",
    `${cmd.outputDir}/%v/index.m3u8`,
  );
  if (frames.length > 0) {
    args.push(
      "-map",
      "[stills]",
      "-fps_mode",
      "passthrough",
      "-q:v",
      "3",
      "-f",
      "image2",
      `${cmd.outputDir}/frames/frame-%d.jpg`,
    );
  }
  return args;
}

/** A finished rendition as measured from its files, for the master playlist and the catalog. */
export interface RenditionStats extends Rendition {
  averageBandwidth: number;
  codecs: string;
  frameRate: number;
  segments: { uri: string; seconds: number; bytes: number }[];
}

/**
 * The master playlist. BANDWIDTH is the peak segment bitrate (RFC 8216 §4.3.4.2 requires the
 * peak, not the average), measured from the real segment sizes.
 */
export function masterPlaylist(renditions: RenditionStats[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const r of [...renditions].sort((a, b) => a.bandwidth - b.bandwidth)) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},RESOLUTION=${r.width}x${r.height},FRAME-RATE=${r.frameRate.toFixed(3)},CODECS="${r.codecs}"`,
      `${r.name}/index.m3u8`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Segment URIs and durations of a media playlist. */
export function parseMediaPlaylist(text: string): { uri: string; seconds: number }[] {
  const segments: { uri: string; seconds: number }[] = [];
  let pending: number | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const extinf = /^#EXTINF:([0-9.]+)/.exec(line);
    if (extinf) pending = Number(extinf[1]);
    else if (line && !line.startsWith("#") && pending !== undefined) {
      segments.push({ uri: line, seconds: pending });
      pending = undefined;
    }
  }
  return segments;
}

/** RFC 6381 codec string for H.264 from ffprobe's profile name and level (e.g. 31 → 1f). */
export function avc1Codec(profile: string, level: number): string {
  const profileHex: Record<string, string> = {
    "Constrained Baseline": "42e0",
    Baseline: "4200",
    Main: "4d40",
    High: "6400",
  };
  const prefix = profileHex[profile] ?? "4d40";
  return `avc1.${prefix}${level.toString(16).padStart(2, "0")}`;
}
