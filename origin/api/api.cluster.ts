import cluster, { type Worker } from "node:cluster";
import { join } from "node:path";
import { serveClusterMetrics } from "../metrics";

export interface ApiClusterOptions {
  workers: number;
  /** A worker still busy this long after being told to stop is killed. */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningApiCluster {
  /** Where every worker answers: they share one listening socket. */
  url: string;
  workers: number;
  stop(): Promise<void>;
}

/** A worker that dies sooner than this after its start counts as a crash loop and backs off. */
const STABLE_AFTER_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;

/** One of the N places a worker runs; remembers how its recent workers fared. */
interface Slot {
  quickExits: number;
}

/**
 * The api role as a Node cluster: the primary forks `workers` processes (api.worker.ts), each
 * running the whole origin API on the shared port, so CPU-bound ranking uses every core. The
 * primary only supervises: it replaces a worker that exits (after a delay that doubles while
 * replacements keep dying young), aggregates `/metrics` across workers, and on stop has every
 * worker finish its in-flight requests, killing those that take longer than `stopTimeoutMs`.
 * Resolves once every worker listens; rejects if one exits before it does.
 */
export async function startApiCluster(options: ApiClusterOptions): Promise<RunningApiCluster> {
  const log = options.log ?? console.log;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  cluster.setupPrimary({
    exec: join(import.meta.dirname, "api.worker.ts"),
    args: [],
    // execArgv stays the primary's, which carries tsx's loader however the role was started
    // (`tsx origin/main.ts` or `node --import tsx`); workers load TypeScript the same way.
    serialization: "advanced",
  });
  const stopMetrics = serveClusterMetrics();
  const restarts = new Set<NodeJS.Timeout>();
  let stopping: Promise<void> | null = null;
  let started = false;
  let failStartup: (error: Error) => void = () => {};

  function fork(slot: Slot): Worker {
    const worker = cluster.fork();
    const startedAt = Date.now();
    const pid = worker.process.pid;
    worker.on("error", (error) => log(`api: worker ${pid}: ${error.message}`));
    worker.once("exit", (code, signal) => {
      if (stopping) return;
      const how = signal ? `on ${signal}` : `with code ${code}`;
      if (!started) {
        failStartup(new Error(`api: worker ${pid} exited ${how} before it was listening`));
        return;
      }
      const lived = Date.now() - startedAt;
      slot.quickExits = lived < STABLE_AFTER_MS ? slot.quickExits + 1 : 0;
      const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** slot.quickExits);
      log(`api: worker ${pid} exited ${how} after ${seconds(lived)}; replacing it in ${delay} ms`);
      const restart = setTimeout(() => {
        restarts.delete(restart);
        if (!stopping) fork(slot);
      }, delay);
      restarts.add(restart);
    });
    return worker;
  }

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      for (const restart of restarts) clearTimeout(restart);
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      await Promise.all(workers.map((worker) => stopWorker(worker, stopTimeoutMs, log)));
      stopMetrics();
    })();
    return stopping;
  }

  const listening = Array.from({ length: options.workers }, () => {
    const worker = fork({ quickExits: 0 });
    return new Promise<string>((resolve) => {
      worker.once("listening", (address) => {
        resolve(`http://${address.address ?? "127.0.0.1"}:${address.port}`);
      });
    });
  });
  const startupFailed = new Promise<never>((_, reject) => {
    failStartup = reject;
  });
  try {
    const urls = await Promise.race([Promise.all(listening), startupFailed]);
    started = true;
    return { url: urls[0]!, workers: options.workers, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGTERM: the worker closes its server, finishes in-flight requests and exits. */
function stopWorker(worker: Worker, timeoutMs: number, log: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    if (worker.isDead()) {
      resolve();
      return;
    }
    const pid = worker.process.pid;
    const kill = setTimeout(() => {
      log(`api: worker ${pid} still busy ${seconds(timeoutMs)} after SIGTERM; killing it`);
      worker.process.kill("SIGKILL");
    }, timeoutMs);
    worker.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    worker.process.kill("SIGTERM");
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
