import { existsSync } from "node:fs";
import { lastErrorLine, runTool } from "./tool.runner";

export interface ClipSpec {
  path: string;
  width: number;
  height: number;
  seconds: number;
  fps?: number;
  /** Sine tone frequency; omit for a clip without audio. */
  toneHz?: number;
  pattern?: "testsrc2" | "smptebars" | "testsrc" | "rgbtestsrc";
  /** Burnt-in text, e.g. the demo clip's id (needs a font; skipped when none is installed). */
  label?: string;
  /** Cheap and fast: tests and seeds need valid H.264, not quality. */
  preset?: string;
  /** Moves the mp4 index to the front (a truncated copy then still probes). */
  faststart?: boolean;
}

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
];

const font = FONT_CANDIDATES.find((path) => existsSync(path));

/** Generates an H.264/AAC mp4 with ffmpeg's own sources (lavfi), no input files needed. */
export async function generateClip(spec: ClipSpec, ffmpegPath = "ffmpeg"): Promise<void> {
  const fps = spec.fps ?? 30;
  const size = `${spec.width}x${spec.height}`;
  const pattern = spec.pattern ?? "testsrc2";
  const filters: string[] = [];
  if (spec.label && font) {
    const fontsize = Math.max(12, Math.round(Math.min(spec.width, spec.height) / 8));
    const text = spec.label.replace(/[^A-Za-z0-9 _#-]/g, "");
    filters.push(
      `drawtext=fontfile=${font}:text='${text}':fontsize=${fontsize}:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-text_w)/2:y=(h-text_h)/2`,
    );
  }
  const args = [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `${pattern}=size=${size}:rate=${fps}:duration=${spec.seconds}`,
  ];
  if (spec.toneHz !== undefined) {
    args.push("-f", "lavfi", "-i", `sine=frequency=${spec.toneHz}:duration=${spec.seconds}`);
  }
  if (filters.length > 0) args.push("-vf", filters.join(","));
  args.push("-c:v", "libx264", "-preset", spec.preset ?? "ultrafast", "-pix_fmt", "yuv420p");
  if (spec.toneHz !== undefined) args.push("-c:a", "aac", "-b:a", "64k", "-shortest");
  if (spec.faststart) args.push("-movflags", "+faststart");
  args.push(spec.path);
  const result = await runTool(ffmpegPath, args);
  if (result.code !== 0) {
    throw new Error(`ffmpeg could not generate ${spec.path}: ${lastErrorLine(result.stderr)}`);
  }
}

/** An audio-only file (AAC in mp4), for the "no video track" rejection. */
export async function generateAudioOnly(path: string, seconds: number, ffmpegPath = "ffmpeg") {
  const result = await runTool(ffmpegPath, [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=330:duration=${seconds}`,
    "-c:a",
    "aac",
    path,
  ]);
  if (result.code !== 0) throw new Error(`ffmpeg: ${lastErrorLine(result.stderr)}`);
}
