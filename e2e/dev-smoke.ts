// `npm run smoke:dev`: the newcomer's path, as CI runs it in a clone with nothing beside it.
// 1. With redis-server missing, `npm run dev` names the package to install, exits non-zero and
//    leaves nothing running.
// 2. `npm run dev` starts; /healthz reports ok; a session gets a feed page of at least 5 items;
//    the first item's first HLS segment answers 200; SIGINT (Ctrl-C) stops it and no process of
//    the stack outlives it.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..");
const START_TIMEOUT_MS = 5 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

interface Watched {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  /** Every process ever seen below the `npm run dev` process, sampled every 200 ms. */
  descendants: Set<number>;
  stopWatching(): void;
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // A zombie has exited; only its parent's wait is missing.
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "?";
  }
}

function startDev(env: NodeJS.ProcessEnv): Watched {
  // Its own process group, like a terminal's foreground job, so SIGINT reaches it as Ctrl-C does.
  const child = spawn("npm", ["run", "dev"], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output.push(text);
    process.stdout.write(text.replace(/^(?=.)/gm, "  | "));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const descendants = new Set<number>();
  const sample = () => {
    if (child.pid === undefined) return;
    for (const pid of descendantsOf(child.pid)) descendants.add(pid);
  };
  const timer = setInterval(sample, 200);
  return {
    child,
    output,
    exited,
    descendants,
    stopWatching: () => clearInterval(timer),
  };
}

/**
 * npm exits as soon as the signal reaches it while the supervisor below it is still stopping
 * its children in order, so the stack gets a grace period before anything counts as left.
 */
async function assertNothingLeft(run: Watched, what: string): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while ([...run.descendants].some(alive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
  }
  run.stopWatching();
  const left = [...run.descendants].filter(alive);
  if (left.length > 0) {
    const list = left.map((pid) => `  ${pid} ${commandOf(pid)}`).join("\n");
    throw new Error(`${what}: ${left.length} processes of the stack are still running:\n${list}`);
  }
  const seconds = ((Date.now() - deadline + STOP_TIMEOUT_MS) / 1000).toFixed(1);
  console.log(`smoke: ${what}: none of its ${run.descendants.size} processes left (${seconds} s)`);
}

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function missingRedisIsNamed(): Promise<void> {
  const run = startDev({ REDIS_SERVER_PATH: "/nonexistent/redis-server" });
  const code = await within(STOP_TIMEOUT_MS, "dev without redis-server", run.exited);
  const text = run.output.join("");
  if (code === 0) throw new Error("dev without redis-server exited 0");
  if (
    !/redis-server not found: install it with .*apt-get install -y redis-server.*brew install redis/.test(
      text,
    )
  ) {
    throw new Error("dev without redis-server did not name the package to install");
  }
  await assertNothingLeft(run, "dev without redis-server");
}

async function poll<T>(
  what: string,
  ms: number,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`${what} within ${ms / 1000} s${last ? `: ${String(last)}` : ""}`);
}

interface FeedPage {
  items: { id: string; manifest_url: string }[];
}

/** The first URI line of an HLS playlist, resolved against the playlist's own URL. */
async function firstUri(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  const line = (await response.text()).split("\n").find((l) => l.trim() && !l.startsWith("#"));
  if (!line) throw new Error(`${url} lists nothing`);
  return new URL(line.trim(), url).href;
}

async function stackServesTheFeed(): Promise<void> {
  const started = Date.now();
  const run = startDev({ EDGEFEED_DEMO_VIDEOS: "12" });
  let failure: unknown;
  try {
    const edgeUrl = await poll("the stack printed its edge URL", START_TIMEOUT_MS, async () => {
      if (run.child.exitCode !== null) throw new Error(`npm run dev exited ${run.child.exitCode}`);
      return /edge \(wrangler dev\)\s+(http:\/\/\S+)/.exec(run.output.join(""))?.[1];
    });
    await poll("/healthz ok", 60_000, async () => {
      const health = (await (await fetch(`${edgeUrl}/healthz`)).json()) as { status: string };
      return health.status === "ok" ? true : undefined;
    });
    console.log(
      `smoke: healthy at ${edgeUrl} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const session = await fetch(`${edgeUrl}/v1/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ region: "eu" }),
    });
    if (session.status !== 201) throw new Error(`POST /v1/sessions answered ${session.status}`);
    const { token } = (await session.json()) as { token: string };
    const page = await poll("a feed page of at least 5 items", 120_000, async () => {
      const response = await fetch(`${edgeUrl}/v1/feed?limit=8`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (response.status !== 200) throw new Error(`GET /v1/feed answered ${response.status}`);
      const body = (await response.json()) as FeedPage;
      return body.items.length >= 5 ? body : undefined;
    });
    const first = page.items[0]!;
    const variant = await firstUri(new URL(first.manifest_url, edgeUrl).href);
    const segment = await firstUri(variant);
    const response = await fetch(segment);
    const bytes = (await response.arrayBuffer()).byteLength;
    if (response.status !== 200 || bytes === 0) {
      throw new Error(`segment ${segment} answered ${response.status} with ${bytes} bytes`);
    }
    console.log(`smoke: feed page of ${page.items.length} items; first segment ${bytes} bytes`);
  } catch (error) {
    failure = error;
  }
  if (run.child.pid !== undefined && run.child.exitCode === null)
    process.kill(-run.child.pid, "SIGINT");
  const code = await within(STOP_TIMEOUT_MS, "npm run dev after SIGINT", run.exited);
  if (failure) throw failure;
  console.log(`smoke: npm run dev exited ${code} after SIGINT`);
  await assertNothingLeft(run, "dev after SIGINT");
}

async function main(): Promise<void> {
  await missingRedisIsNamed();
  await stackServesTheFeed();
  console.log("smoke: ok");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`smoke: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
