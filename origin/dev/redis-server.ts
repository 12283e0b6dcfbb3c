import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { freePort, waitForPort } from "./free-port";

export const REDIS_INSTALL_HINT =
  "redis-server not found: install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)";

export class RedisServerMissingError extends Error {
  constructor() {
    super(REDIS_INSTALL_HINT);
    this.name = "RedisServerMissingError";
  }
}

export interface RedisServerOptions {
  /** Where RDB/AOF files go; without it the server keeps nothing on disk (tests). */
  dataDir?: string;
  port?: number;
  binary?: string;
}

export interface RunningRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

function hasBinary(binary: string): boolean {
  return spawnSync(binary, ["--version"], { stdio: "ignore" }).status === 0;
}

/** The redis-server to run: `REDIS_SERVER_PATH` when set, else the one on PATH. */
export function redisServerBinary(): string {
  return process.env.REDIS_SERVER_PATH ?? "redis-server";
}

/** Starts a real redis-server on a free loopback port. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RunningRedis> {
  const binary = options.binary ?? redisServerBinary();
  if (!hasBinary(binary)) throw new RedisServerMissingError();
  const port = options.port ?? (await freePort());
  const persistence = options.dataDir
    ? ["--dir", options.dataDir, "--appendonly", "yes", "--appendfsync", "everysec"]
    : ["--save", "", "--appendonly", "no"];
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const child = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes", ...persistence],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForPort(port);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
