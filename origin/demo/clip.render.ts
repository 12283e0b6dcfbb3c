import { existsSync } from "node:fs";
import { lastErrorLine, runTool } from "../media-probe/tool.runner";
import type { DemoClipSpec, Motion } from "./demo.catalog";

const FONT_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
  "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
];

/** The font burnt-in text uses; without one the clips still differ by palette, motion and sound. */
export const DEMO_FONT = FONT_CANDIDATES.find((path) => existsSync(path));

/**
 * Overlay position expressions (W×H frame, w×h shape, t seconds); `s` scales the speed and `p`
 * shifts the phase, so two clips of a topic move alike but not in lockstep.
 */
const MOTIONS: Record<Motion, (s: number, p: number) => { x: string; y: string }> = {
  bounce: (s, p) => ({
    x: `abs(mod(t*${s}+${p},2)-1)*(W-w)`,
    y: `H*0.55-abs(sin(PI*(t*${s}*1.3+${p})))*H*0.25`,
  }),
  orbit: (s, p) => ({
    x: `(W-w)/2+W*0.3*cos(2*PI*(t*${s}*0.5+${p}))`,
    y: `(H-h)/2+W*0.3*sin(2*PI*(t*${s}*0.5+${p}))`,
  }),
  zigzag: (s, p) => ({
    x: `abs(mod(t*${s}+${p},2)-1)*(W-w)`,
    y: `abs(mod(t*${s}*1.7+${p},2)-1)*(H-h)`,
  }),
  drift: (s, p) => ({
    x: `mod((t*${s}*0.4+${p})*(W+w),W+w)-w`,
    y: `H*0.62+H*0.04*sin(2*PI*t)`,
  }),
  scan: (s, p) => ({ x: "0", y: `mod((t*${s}*0.4+${p})*H,H)` }),
  pulse: (s, p) => ({ x: "(W-w)/2", y: `(H-h)/2+H*0.2*sin(2*PI*(t*${s}*0.6+${p}))` }),
  hop: (s, p) => ({
    x: `abs(mod(t*${s}*0.5+${p},2)-1)*(W-w)`,
    y: `H*0.7-abs(sin(2*PI*(t*${s}*0.8+${p})))*H*0.25`,
  }),
  eight: (s, p) => ({
    x: `(W-w)/2+W*0.3*sin(2*PI*(t*${s}*0.4+${p}))`,
    y: `(H-h)/2+H*0.15*sin(4*PI*(t*${s}*0.4+${p}))`,
  }),
};

/** Text drawtext can take inside quotes: letters, digits and a few marks, nothing it parses. */
const safe = (text: string) => text.replace(/[^\p{L}\p{N} #@.♪-]/gu, "");

function drawText(
  text: string,
  size: number,
  x: string,
  y: string,
  style: "title" | "boxed" | "plain",
): string {
  const look =
    style === "title"
      ? "fontcolor=white:borderw=3:bordercolor=black@0.7"
      : style === "boxed"
        ? "fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6"
        : "fontcolor=white@0.85:borderw=1:bordercolor=black@0.5";
  return `drawtext=fontfile='${DEMO_FONT}':text='${safe(text)}':fontsize=${size}:${look}:x=${x}:y=${y}`;
}

/** The ffmpeg arguments that render `spec` into `path` (H.264/AAC mp4, one thread). */
export function demoClipArgs(spec: DemoClipSpec, path: string): string[] {
  const { width, height, seconds, fps, background, shape, sound, texts } = spec;
  const short = Math.min(width, height);
  const shapeW = Math.min(width, Math.max(4, Math.round(short * shape.w)));
  const shapeH = Math.max(4, Math.round(short * shape.h));
  // The gradient renders at half size and scales up: a quarter of the pixels, same look.
  const gradient =
    `gradients=s=${width / 2}x${height / 2}:r=${fps}:d=${seconds}:n=${background.colors.length}:` +
    `${background.colors.map((c, i) => `c${i}=${c}`).join(":")}:type=${background.type}:` +
    `speed=${background.speed}:seed=${background.seed},scale=${width}:${height}`;
  const [low, high] = sound.notes;
  const b = sound.beats;
  // A plucked two-note riff: each beat decays, notes alternate every beat.
  const audio = `aevalsrc=exprs='0.25*(1-mod(t*${b},1))*sin(2*PI*t*if(lt(mod(t*${b},2),1),${low},${high}))':s=44100:d=${seconds}`;
  const { x, y } = MOTIONS[shape.motion](shape.speed, shape.phase);
  const chain = [`[0:v][1:v]overlay=x='${x}':y='${y}':shortest=1`];
  if (DEMO_FONT) {
    const unit = width / 22;
    const margin = String(Math.round(unit));
    const [phrase = "", tags = ""] = texts.caption.split(/ (?=#)(.*)/s);
    chain.push(
      drawText(texts.topic, Math.round(unit * 2.6), "(w-text_w)/2", "h*0.1", "title"),
      drawText(texts.label, Math.round(unit * 0.9), `w-text_w-${margin}`, margin, "plain"),
      drawText(texts.creator, Math.round(unit * 1.3), margin, `h-${Math.round(unit * 9)}`, "boxed"),
      drawText(phrase, Math.round(unit), margin, `h-${Math.round(unit * 6.6)}`, "boxed"),
      drawText(tags, Math.round(unit), margin, `h-${Math.round(unit * 4.6)}`, "boxed"),
      drawText(
        `♪ ${texts.sound}`,
        Math.round(unit * 0.9),
        margin,
        `h-${Math.round(unit * 2.4)}`,
        "plain",
      ),
    );
  }
  return [
    "-v",
    "error",
    "-y",
    "-threads",
    "1",
    "-f",
    "lavfi",
    "-i",
    gradient,
    "-f",
    "lavfi",
    "-i",
    `color=c=${shape.color}:s=${shapeW}x${shapeH}:r=${fps}`,
    "-f",
    "lavfi",
    "-i",
    audio,
    "-filter_complex",
    `${chain.join(",")}[v]`,
    "-map",
    "[v]",
    "-map",
    "2:a",
    "-t",
    String(seconds),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-threads",
    "1",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "64k",
    // No timestamps or version strings in the file: the same spec gives the same bytes.
    "-fflags",
    "+bitexact",
    "-movflags",
    "+faststart",
    path,
  ];
}

/** Renders one demo clip with ffmpeg's own sources (no input files). */
export async function renderDemoClip(
  spec: DemoClipSpec,
  path: string,
  ffmpegPath = "ffmpeg",
  signal?: AbortSignal,
): Promise<void> {
  const result = await runTool(ffmpegPath, demoClipArgs(spec, path), signal ? { signal } : {});
  if (result.code !== 0) {
    throw new Error(`ffmpeg could not render ${path}: ${lastErrorLine(result.stderr)}`);
  }
}
