import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The tool ran past its time limit and was killed. */
  timedOut: boolean;
}

/** What a probe or a decode check may take: a crafted file must not hold a worker forever. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

export interface RunOptions {
  /** Called per stdout line as it arrives (ffmpeg `-progress pipe:1`); stdout is then not kept. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** Killed (SIGKILL) past this; DEFAULT_TOOL_TIMEOUT_MS unless given. */
  timeoutMs?: number;
}

/**
 * Runs ffmpeg/ffprobe without a shell, under a time limit; keeps only the last 16 KB of stderr
 * for error messages.
 */
export function runTool(
  path: string,
  args: string[],
  options: RunOptions = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS);
    let stdout = "";
    let stderr = "";
    if (options.onLine) {
      createInterface({ input: child.stdout }).on("line", options.onLine);
    } else {
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
      });
    }
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-16_384);
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The last meaningful line of a tool's stderr, for an error message a person can read. */
export function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? "no output").replace(/^\[[^\]]+\]\s*/, "").slice(0, 200);
}

/**
 * lastErrorLine for a reason a user reads (a rejection, a failed upload's status): ffmpeg and
 * ffprobe name their input, and that is the server's temporary copy, not the user's file.
 */
export function reasonFrom(stderr: string): string {
  return lastErrorLine(stderr).replace(/(^|[\s'"(])\/[^\s'":,)]+/g, "$1the file");
}
