import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
} from "node:http";
import { availableParallelism } from "node:os";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { OriginalKeys, UploadLockKeys } from "../../contracts/keyspace";
import { InternalHeaders } from "../../contracts/upload.schema";
import { sample } from "../../testing/origin/metrics/metrics.testing";
import { apiWorkerCount, ConfigError } from "../config/config";
import type { ManagedChild } from "../dev/child-process";
import { freePort } from "../dev/free-port";
import { originEnvironment, spawnRole, waitForHealthy } from "../dev/stack-processes";
import { WORKER_HEADER } from "../metrics";
import { createUpload } from "../uploads/tus.client";

const SECRET = "test-origin-secret";
const HEALTH_COUNT =
  'edgefeed_origin_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}';
const redis = new Redis(inject("redisUrl"));
const METRICS_TOKEN = "cluster-metrics-token";
let api: ManagedChild;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const env = originEnvironment(
    {
      redisUrl: inject("redisUrl"),
      s3Endpoint: inject("s3Endpoint"),
      bridgeToken: "unused-bridge-token",
      bridgePort: 0,
      originPort: port,
      sharedSecret: SECRET,
    },
    // Uploads finished here queue their jobs where no transcoder of another test looks.
    {
      ORIGIN_API_WORKERS: "2",
      TRANSCODE_STREAM: `api-cluster-${randomUUID()}`,
      METRICS_TOKEN,
    },
  );
  api = spawnRole("api", env);
  await waitForHealthy(`${url}/healthz`, 20_000);
});

afterAll(async () => {
  await api?.stop();
  redis.disconnect();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A GET on a connection of its own, so the primary hands each one to the next worker. */
function get(path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Scrapes carry the metrics token, as a Prometheus job's bearer_token does.
    const headers = path === "/metrics" ? { authorization: `Bearer ${METRICS_TOKEN}` } : {};
    request(`${url}${path}`, { agent: false, timeout: 2_000, headers }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    })
      .on("timeout", function onTimeout(this: ClientRequest) {
        this.destroy(Object.assign(new Error(`GET ${path}: no answer`), { code: "ETIMEDOUT" }));
      })
      .on("error", reject)
      .end();
  });
}

/** Scrapes until `done` holds; returns every worker pid that answered a scrape. */
async function scrapeUntil(
  done: (pids: Set<number>, text: string) => boolean,
): Promise<Set<number>> {
  const pids = new Set<number>();
  await vi.waitFor(
    async () => {
      const scrape = await get("/metrics");
      expect(scrape.status).toBe(200);
      pids.add(Number(scrape.headers[WORKER_HEADER]));
      expect(done(pids, scrape.body)).toBe(true);
    },
    { timeout: 15_000, interval: 50 },
  );
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Processes of a group that still run. Exited children that nobody reaped (tsx's esbuild
 * helpers, in a container whose init does not reap) are not running and do not count.
 */
function runningInGroup(pgid: number): number[] {
  return execFileSync("ps", ["-A", "-o", "pid=,pgid=,stat="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith("Z"),
    )
    .map(([pid]) => Number(pid));
}

describe("ORIGIN_API_WORKERS", () => {
  it("defaults to one worker per core and refuses anything but a positive count", () => {
    expect(apiWorkerCount({})).toBe(availableParallelism());
    expect(apiWorkerCount({ ORIGIN_API_WORKERS: "3" })).toBe(3);
    for (const bad of ["0", "two", "1.5", ""]) {
      expect(() => apiWorkerCount({ ORIGIN_API_WORKERS: bad })).toThrow(ConfigError);
      expect(() => apiWorkerCount({ ORIGIN_API_WORKERS: bad })).toThrow(/ORIGIN_API_WORKERS: /);
    }
  });
});

describe("the api role as a cluster of 2 workers on one port", () => {
  let workers: Set<number>;

  it("spreads connections over both workers and scrapes them as one", async () => {
    workers = await scrapeUntil((pids) => pids.size === 2);
    expect(workers.has(api.process.pid!)).toBe(false);

    const before = sample((await get("/metrics")).body, HEALTH_COUNT) ?? 0;
    const answers = await Promise.all(Array.from({ length: 12 }, () => get("/healthz")));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    // Whichever worker takes the scrape, it reports the requests both of them served.
    for (let i = 0; i < 4; i++) {
      const scrape = await get("/metrics");
      expect(sample(scrape.body, HEALTH_COUNT)).toBe(before + 12);
      expect(sample(scrape.body, "edgefeed_origin_processes")).toBe(2);
    }
  });

  it("keeps answering when a worker is killed, and replaces it", async () => {
    const [victim, survivor] = [...workers] as [number, number];
    process.kill(victim, "SIGKILL");
    await vi.waitFor(() => expect(alive(victim)).toBe(false));
    const answers = await Promise.all(Array.from({ length: 6 }, () => get("/healthz")));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));

    const now = await scrapeUntil((pids) => [...pids].some((pid) => !workers.has(pid)));
    const replacement = [...now].find((pid) => !workers.has(pid))!;
    expect(alive(replacement)).toBe(true);
    expect(alive(survivor)).toBe(true);
    await scrapeUntil((_, text) => sample(text, "edgefeed_origin_processes") === 2);
    workers = new Set([survivor, replacement]);
  });

  it("on SIGTERM stops taking connections, finishes an upload in flight and exits 0", async () => {
    const headers = { [INTERNAL_AUTH_HEADER]: SECRET, [InternalHeaders.userId]: "creator-cl" };
    const bytes = randomBytes(64 * 1024);
    const created = await createUpload({ endpoint: `${url}/uploads`, headers }, bytes.length, {
      caption: "in flight during a deploy",
    });
    // Connection: close, so the worker is not kept waiting on the idle connection afterwards.
    const patch = request(created.url, {
      agent: false,
      method: "PATCH",
      headers: {
        ...headers,
        "tus-resumable": "1.0.0",
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream",
        "content-length": String(bytes.length),
      },
    });
    const answered = once(patch, "response");
    patch.write(bytes.subarray(0, bytes.length / 2));
    await vi.waitFor(async () => {
      expect(await redis.exists(UploadLockKeys.lock(OriginalKeys.original(created.videoId)))).toBe(
        1,
      );
    });

    const primary = api.process;
    const exited = once(primary, "exit");
    primary.kill("SIGTERM");
    // Once every worker has closed its server, nothing accepts connections on the port.
    // (A connection accepted in the very instant the workers close can be left waiting by Node's
    // round-robin handoff until the primary exits; the probe's own timeout moves past it.)
    await vi.waitFor(
      async () => expect(await get("/healthz").catch((e) => e.code)).toBe("ECONNREFUSED"),
      { timeout: 8_000 },
    );
    patch.end(bytes.subarray(bytes.length / 2));
    const [response] = (await answered) as [IncomingMessage];
    expect(response.statusCode).toBe(204);
    expect(response.headers["upload-offset"]).toBe(String(bytes.length));

    expect(await exited).toEqual([0, null]);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    // The primary led its own process group: nothing of it is left running.
    await vi.waitFor(() => expect(runningInGroup(primary.pid!)).toEqual([]));
  });
});
