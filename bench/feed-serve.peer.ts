// The plain-Node peer in bench/feed-serve.bench.ts's run (bench/peers/plain-feed.server.ts): the
// edge's warm-user phases, with the same load generator, against a service that reads the same
// seeded Redis, and the edgefeed/peer ratios.
//
// The peer reads `fyp:{user}` by offset and never changes it, so it runs before the edge's phases
// on the very keys and users the edge then pops: both serve the seeded candidates, in the same
// order, as the same cards. CPU: the peer's Redis client runs inside it and is counted; the
// edge's goes through the Upstash REST bridge in the stack process, which edgeCpuMs does not
// count, so the CPU ratio is if anything kind to the edge.

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import {
  closedLoop,
  type FeedUser,
  feedOnce,
  openLoop,
  type Summary,
  warmUser,
} from "./feed-serve.load";

export interface PeerSettings {
  redisUrl: string;
  signingSecret: string;
  region: string;
  /** Users `warm-0` … `warm-{n-1}`, whose `fyp:` keys the seed wrote. */
  warmUsers: number;
  seconds: number;
  concurrency: number;
  rate: number;
}

type Phase = Summary & { cpu_ms_per_request?: number };

export interface PeerFigures {
  feed_warm_sequential: Phase;
  feed_warm_closed_loop: Phase;
  feed_warm_open_loop: Phase & { target_rps: number; shed: number };
}

/** A phase's figures as run() reports them for the edge. */
type EdgePhase = Summary & { edge_cpu_ms_per_request?: number };

export interface EdgeFigures {
  feed_warm_sequential: EdgePhase;
  feed_warm_closed_loop: EdgePhase;
  feed_warm_open_loop: EdgePhase;
}

async function startPeer(settings: PeerSettings): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "peers/plain-feed.server.ts")],
    {
      stdio: ["pipe", "pipe", "inherit", "ipc"],
      env: {
        ...process.env,
        PEER_REDIS_URL: settings.redisUrl,
        PEER_SIGNING_SECRET: settings.signingSecret,
      },
    },
  );
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("READY "));
      if (line) done((JSON.parse(line.slice("READY ".length)) as { url: string }).url);
    });
    child.once("exit", (code) => fail(new Error(`feed peer exited with ${code}`)));
  });
  return { url, child };
}

/** The peer's CPU milliseconds so far, as the peer process itself reports them. */
function peerCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    child.once("message", (message: { cpuMs: number }) => done(message.cpuMs));
    child.send("cpu");
  });
}

async function withPeerCpu<T extends Summary>(
  child: ChildProcess,
  phase: () => Promise<T>,
): Promise<T & { cpu_ms_per_request?: number }> {
  const before = await peerCpuMs(child);
  const summary = await phase();
  const after = await peerCpuMs(child);
  if (summary.requests === 0) return summary;
  return { ...summary, cpu_ms_per_request: round((after - before) / summary.requests) };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The edge's three warm-user feed phases, against the peer. */
export async function runPeer(settings: PeerSettings): Promise<PeerFigures> {
  const { url, child } = await startPeer(settings);
  try {
    const users = await Promise.all(
      Array.from({ length: settings.warmUsers }, (_, u) =>
        warmUser(settings.signingSecret, settings.region, u),
      ),
    );
    const page = async (user: FeedUser, scheduled?: number) =>
      (await feedOnce(url, user, scheduled)).sample;
    // As the edge's first page per warm user: connections and JIT warm before anything is timed.
    await Promise.all(users.map((user) => page(user)));

    console.log("peer: feed, warm users, one request at a time…");
    const sequential = await withPeerCpu(child, () =>
      closedLoop(settings.seconds, 1, async () => [
        await page(users[Math.floor(Math.random() * users.length)]!),
      ]),
    );
    console.log("peer: feed, warm users, closed loop…");
    const closed = await withPeerCpu(child, () =>
      closedLoop(settings.seconds, settings.concurrency, async (worker) => {
        const pick =
          (worker + Math.floor(Math.random() * 1e6) * settings.concurrency) % users.length;
        return [await page(users[pick]!)];
      }),
    );
    console.log(`peer: feed, warm users, open loop at ${settings.rate} rps…`);
    let next = 0;
    const open = await withPeerCpu(child, () =>
      openLoop(settings.seconds, settings.rate, (_, scheduled) =>
        page(users[next++ % users.length]!, scheduled),
      ),
    );
    return {
      feed_warm_sequential: sequential,
      feed_warm_closed_loop: closed,
      feed_warm_open_loop: { target_rps: settings.rate, ...open },
    };
  } finally {
    const exited = new Promise((done) => child.once("exit", done));
    child.stdin?.end();
    await exited;
  }
}

/** edgefeed's figure over the peer's; null when either side lacks it. */
function ratio(edge: number | undefined, peer: number | undefined): number | null {
  return edge === undefined || peer === undefined || peer === 0 ? null : round(edge / peer);
}

function ratios(edge: EdgePhase, peer: Phase) {
  return {
    p50: ratio(edge.p50_ms, peer.p50_ms),
    p99: ratio(edge.p99_ms, peer.p99_ms),
    cpu_per_page: ratio(edge.edge_cpu_ms_per_request, peer.cpu_ms_per_request),
    rps: ratio(edge.rps, peer.rps),
  };
}

/** The peer's key in the results: its figures and edgefeed/peer per phase, also printed. */
export function peerResults(peer: PeerFigures, edge: EdgeFigures) {
  const phases = ["feed_warm_sequential", "feed_warm_closed_loop", "feed_warm_open_loop"] as const;
  const edgefeedOverPeer = Object.fromEntries(
    phases.map((phase) => [phase, ratios(edge[phase], peer[phase])]),
  );
  console.log(
    "\nwarm feed pages, edgefeed vs the plain-Node peer (p50/p95/p99 ms, rps, CPU ms/page)",
  );
  for (const phase of phases) {
    const row = (name: string, s: Summary, cpu: number | undefined) =>
      `  ${name.padEnd(5)} ${s.p50_ms}/${s.p95_ms}/${s.p99_ms} ms  ${s.rps} rps  ${cpu ?? "?"} ms CPU`;
    console.log(phase);
    console.log(row("edge", edge[phase], edge[phase].edge_cpu_ms_per_request));
    console.log(row("peer", peer[phase], peer[phase].cpu_ms_per_request));
    console.log(`  edgefeed/peer ${JSON.stringify(edgefeedOverPeer[phase])}`);
  }
  return {
    server: "bench/peers/plain-feed.server.ts: Hono on Node + ioredis, fyp:{user} by offset",
    ...peer,
    edgefeed_over_peer: edgefeedOverPeer,
  };
}
