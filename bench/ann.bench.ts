// edgefeed's WASM HNSW against hnswlib-node (native C++), hnswlib-wasm (Emscripten, no SIMD) and
// usearch (native) in one process, on the same data and parameters (M=16, efConstruction=200):
// build time, and for each ef recall@10, single-thread QPS and latency percentiles; each peer's
// QPS ratio at equal recall (method in peers/equal-recall.ts) and memory per index.
//
// The benchmark machine's speed (2 shared vCPUs) drifts by up to 1.7× over minutes, so nothing
// is timed library after library: builds insert in chunks with the libraries taking turns
// (rotating who goes first), searches take turns every block of queries, and ratios are
// medians of per-repetition ratios. A benchmark never fails on timing; it only reports.
//
// Env (all optional):
//   ANN_BENCH_DATASETS    "fashion-mnist,gaussian-mixture" (either or both); Fashion-MNIST is
//                         read from EDGEFEED_DATA_DIR (default data/), or is the committed
//                         5,000-row subset when absent (see data-dir.config.ts)
//   ANN_BENCH_LIBS        "edgefeed-wasm,hnswlib-node,hnswlib-wasm,usearch"
//   ANN_BENCH_FMNIST_N    Fashion-MNIST base rows, default 60000 (fewer: truth is recomputed)
//   ANN_BENCH_GAUSSIAN_N  Gaussian-mixture base rows, default 100000
//   ANN_BENCH_QUERIES     queries per data set, default 1000
//   ANN_BENCH_REPS        search repetitions, default 5
//   ANN_BENCH_EFS         default "16,32,64,128,256"
//   ANN_BENCH_CHUNK       rows per build turn, default 2000
//   ANN_BENCH_BLOCK       queries per search turn, default 100
//   ANN_BENCH_TARGETS     fixed recall targets for the summary, default "0.9,0.95,0.99"

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { recallAtK } from "../wasm/testing/recall";
import { fashionMnistOrSubset } from "./data-dir.config";
import type { BuildParams, Contender, ContenderFactory, IndexMemory } from "./peers/contender";
import { type Dataset, fashionMnist, gaussianMixture } from "./peers/datasets";
import { createEdgefeed } from "./peers/edgefeed";
import {
  compareAtRecall,
  type EqualRecall,
  interpolatedQps,
  matchAtOrAbove,
  matchedQps,
  type Sweep,
} from "./peers/equal-recall";
import { createHnswlibNode } from "./peers/hnswlib-node";
import { createHnswlibWasm } from "./peers/hnswlib-wasm";
import { createUsearch } from "./peers/usearch";
import { median, percentile } from "./stats";

const K = 10;
const REFERENCE = "edgefeed-wasm";
const PARAMS = { M: 16, efConstruction: 200, seed: 100 };
// The issue's reference point: 100k × 64-d Gaussian mixture. 100 clusters with spread 0.5 keep
// every true neighbour inside its own cluster while the cluster itself stays full-dimensional.
const MIXTURE = { dim: 64, clusters: 100, spread: 0.5, seed: 100 };
// What the issue measured before it was written (hnswlib-node QPS, peers as a multiple of it).
const ISSUE_ANCHOR = { ef: 64, hnswlibNodeQps: 7350, usearch: 0.65, "hnswlib-wasm": 0.45 };

const FACTORIES: Record<string, ContenderFactory> = {
  "edgefeed-wasm": createEdgefeed,
  "hnswlib-node": createHnswlibNode,
  "hnswlib-wasm": createHnswlibWasm,
  usearch: createUsearch,
};

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : Number.parseInt(value, 10);
}

function envList(name: string, fallback: string): string[] {
  return (process.env[name] || fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const config = {
  datasets: envList("ANN_BENCH_DATASETS", "fashion-mnist,gaussian-mixture"),
  libs: envList("ANN_BENCH_LIBS", Object.keys(FACTORIES).join(",")),
  fashionMnistN: envInt("ANN_BENCH_FMNIST_N", 60_000),
  gaussianN: envInt("ANN_BENCH_GAUSSIAN_N", 100_000),
  queries: envInt("ANN_BENCH_QUERIES", 1000),
  reps: envInt("ANN_BENCH_REPS", 5),
  efs: envList("ANN_BENCH_EFS", "16,32,64,128,256")
    .map(Number)
    .sort((a, b) => a - b),
  chunk: envInt("ANN_BENCH_CHUNK", 2000),
  block: envInt("ANN_BENCH_BLOCK", 100),
  targets: envList("ANN_BENCH_TARGETS", "0.9,0.95,0.99").map(Number),
  k: K,
  ...PARAMS,
  mixture: MIXTURE,
};

for (const lib of config.libs) {
  if (!(lib in FACTORIES)) throw new Error(`ANN_BENCH_LIBS: unknown library ${lib}`);
}

// A full GC before every timed section, so one library's garbage is not collected on another's
// clock. tsx runs without --expose-gc, so the flag is set at run time and `gc` taken from a
// fresh context.
setFlagsFromString("--expose-gc");
const exposedGc: unknown = runInNewContext("gc");
const gc = typeof exposedGc === "function" ? (exposedGc as () => void) : () => {};

/** The libraries in an order rotated by `turn`, so nobody always runs first (or last). */
function rotate<T>(items: readonly T[], turn: number): T[] {
  const s = turn % items.length;
  return [...items.slice(s), ...items.slice(0, s)];
}

/** Wall-clock time, or CPU time of this process (what other load on the machine cannot steal). */
type Basis = "wall" | "cpu";

interface BuildResult {
  ms: number;
  cpuMs: number;
  /** Wall time of each turn (init is turn 0), for anyone who wants per-turn ratios. */
  turnMs: number[];
  /** Untimed work after the build (usearch: save + load per ef). */
  finishMs: number;
}

interface SearchResult {
  recall: number;
  /** QPS per repetition, on each basis. */
  qps: Record<Basis, number[]>;
  latenciesUs: Float64Array;
}

interface LibRow {
  recallAt10: number;
  qpsMedian: number;
  cpuQpsMedian: number;
  qpsPerRep: Record<Basis, number[]>;
  /** Wall clock per query, over all repetitions. */
  latencyUs: { p50: number; p95: number; p99: number };
}

interface AtTarget {
  matchedEf: number | null;
  matchedRecall: number | null;
  matchedQps: number | null;
  matchedRatio: number | null;
  interpolatedQps: number | null;
  interpolatedRatio: number | null;
}

/** Every ratio is this library ÷ edgefeed, the median of per-repetition ratios. */
interface Comparison {
  /** sameEf[efIndex][library] */
  sameEf: Record<string, number | null>[];
  /** For each ef of edgefeed's sweep: each peer at edgefeed's recall there. */
  equalRecall: { ef: number; recall: number; peers: Record<string, EqualRecall> }[];
  /** At fixed recall targets: each library's QPS both ways and its ratio to edgefeed's. */
  atTargets: { target: number; libs: Record<string, AtTarget> }[];
}

interface DatasetReport {
  name: string;
  description: string;
  n: number;
  dim: number;
  queries: number;
  reference: string;
  build: Record<string, BuildResult & { ratio: number; cpuRatio: number }>;
  memory: Record<string, IndexMemory>;
  sweep: { ef: number; libs: Record<string, LibRow> }[];
  compare: Record<Basis, Comparison>;
}

function loadDataset(name: string): Dataset {
  if (name === "fashion-mnist") {
    return fashionMnist(fashionMnistOrSubset("bench:ann", config.queries), config.fashionMnistN, K);
  }
  if (name === "gaussian-mixture") {
    return gaussianMixture({
      n: config.gaussianN,
      queries: config.queries,
      dim: MIXTURE.dim,
      clusters: MIXTURE.clusters,
      spread: MIXTURE.spread,
      seed: MIXTURE.seed,
      k: K,
    });
  }
  throw new Error(`ANN_BENCH_DATASETS: unknown data set ${name}`);
}

const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

function build(data: Dataset, contenders: Contender[]): Map<string, BuildResult> {
  const out = new Map<string, BuildResult>();
  for (const c of contenders) {
    out.set(c.name, {
      ms: 0,
      cpuMs: 0,
      turnMs: [],
      finishMs: 0,
    });
  }
  const timed = (c: Contender, work: () => void): void => {
    const result = out.get(c.name) as BuildResult;
    gc();
    const cpu = process.cpuUsage();
    const start = performance.now();
    work();
    const elapsed = performance.now() - start;
    result.cpuMs += cpuMsSince(cpu);
    result.ms += elapsed;
    result.turnMs.push(elapsed);
  };
  for (const c of rotate(contenders, 0)) timed(c, () => c.init());
  const turns = Math.ceil(data.n / config.chunk);
  let nextReport = 0.25;
  for (let turn = 0; turn < turns; turn++) {
    const from = turn * config.chunk;
    const to = Math.min(data.n, from + config.chunk);
    for (const c of rotate(contenders, turn + 1)) {
      c.prepare?.(from, to);
      timed(c, () => c.addRange(from, to));
    }
    if ((turn + 1) / turns >= nextReport) {
      const done = contenders.map(
        (c) => `${c.name} ${((out.get(c.name)?.ms ?? 0) / 1000).toFixed(1)} s`,
      );
      console.log(`  built ${to}/${data.n}: ${done.join(", ")}`);
      nextReport += 0.25;
    }
  }
  for (const c of contenders) {
    const start = performance.now();
    c.finishBuild?.(config.efs);
    (out.get(c.name) as BuildResult).finishMs = performance.now() - start;
  }
  return out;
}

function search(data: Dataset, contenders: Contender[]): Map<string, SearchResult> {
  const key = (name: string, ef: number) => `${name}@${ef}`;
  const out = new Map<string, SearchResult>();
  for (const c of contenders) {
    for (const ef of config.efs) {
      out.set(key(c.name, ef), {
        recall: Number.NaN,
        qps: { wall: [], cpu: [] },
        latenciesUs: new Float64Array(config.reps * data.queryCount),
      });
    }
  }
  // Warm-up: JIT, caches and (for usearch) the freshly loaded copies, at every ef.
  for (const c of contenders) {
    for (const ef of config.efs) {
      c.setEf(ef);
      for (let q = 0; q < Math.min(50, data.queryCount); q++) c.query(q, K);
    }
  }
  let turn = 0;
  for (let rep = 0; rep < config.reps; rep++) {
    for (const ef of config.efs) {
      const runs = contenders.map((c) => {
        c.setEf(ef);
        const result = out.get(key(c.name, ef)) as SearchResult;
        return {
          c,
          result,
          found: new Array<number[]>(data.queryCount),
          latencies: result.latenciesUs.subarray(rep * data.queryCount),
          wallMs: 0,
          cpuMs: 0,
        };
      });
      gc();
      // Libraries take turns every `block` queries, not every run: other load on this machine
      // comes in bursts of milliseconds, and fine turns spread a burst over all of them alike.
      for (let from = 0; from < data.queryCount; from += config.block) {
        const to = Math.min(data.queryCount, from + config.block);
        for (const run of rotate(runs, turn++)) {
          const { c, found, latencies } = run;
          const cpu = process.cpuUsage();
          const start = performance.now();
          for (let q = from; q < to; q++) {
            const t = performance.now();
            found[q] = c.query(q, K);
            latencies[q] = (performance.now() - t) * 1000;
          }
          run.wallMs += performance.now() - start;
          run.cpuMs += cpuMsSince(cpu);
        }
      }
      for (const { result, found, wallMs, cpuMs } of runs) {
        result.qps.wall.push((data.queryCount * 1000) / wallMs);
        result.qps.cpu.push((data.queryCount * 1000) / cpuMs);
        // Every library here searches deterministically, so one repetition's recall is the recall.
        if (rep === 0) result.recall = recallAtK(found, (q) => data.truth(q), K);
      }
    }
    console.log(`  search repetition ${rep + 1}/${config.reps} done`);
  }
  return out;
}

function ratioOfReps(mine: readonly number[], theirs: readonly number[]): number | null {
  const ratios = mine.map((v, rep) => v / (theirs[rep] as number));
  return ratios.length === 0 || ratios.some((r) => !Number.isFinite(r)) ? null : median(ratios);
}

function compare(
  searched: Map<string, SearchResult>,
  names: readonly string[],
  reference: string,
  basis: Basis,
): Comparison {
  const at = (name: string, ef: number) => searched.get(`${name}@${ef}`) as SearchResult;
  const sweepOf = (name: string): Sweep => ({
    efs: config.efs,
    recall: config.efs.map((ef) => at(name, ef).recall),
    qps: config.efs.map((ef) => at(name, ef).qps[basis]),
  });
  const sweeps = new Map(names.map((name) => [name, sweepOf(name)]));
  const ref = sweeps.get(reference) as Sweep;
  const peers = names.filter((n) => n !== reference);
  const sameEf = config.efs.map((_, i) => {
    const row: Record<string, number | null> = {};
    for (const name of peers) {
      row[name] = ratioOfReps(
        (sweeps.get(name) as Sweep).qps[i] as number[],
        ref.qps[i] as number[],
      );
    }
    return row;
  });
  const equalRecall = config.efs.map((ef, i) => {
    const target = ref.recall[i] as number;
    const peersAt: Record<string, EqualRecall> = {};
    for (const p of peers) {
      peersAt[p] = compareAtRecall(sweeps.get(p) as Sweep, target, ref.qps[i] as number[]);
    }
    return { ef, recall: target, peers: peersAt };
  });
  const reps = Array.from({ length: config.reps }, (_, rep) => rep);
  const defined = (values: (number | undefined)[]): values is number[] =>
    values.every((v) => v !== undefined);
  const atTargets = config.targets.map((target) => {
    const refInterp = reps.map((rep) => interpolatedQps(ref, target, rep));
    const refMatched = matchedQps(ref, target);
    const libs: Record<string, AtTarget> = {};
    for (const name of names) {
      const s = sweeps.get(name) as Sweep;
      const interp = reps.map((rep) => interpolatedQps(s, target, rep));
      const matched = matchedQps(s, target);
      const hit = matchAtOrAbove(s, target);
      libs[name] = {
        matchedEf: hit === undefined ? null : (s.efs[hit] as number),
        matchedRecall: hit === undefined ? null : (s.recall[hit] as number),
        matchedQps: matched === undefined ? null : median(matched),
        matchedRatio:
          matched === undefined || refMatched === undefined
            ? null
            : ratioOfReps(matched, refMatched),
        interpolatedQps: defined(interp) ? median(interp) : null,
        interpolatedRatio:
          defined(interp) && defined(refInterp) ? ratioOfReps(interp, refInterp) : null,
      };
    }
    return { target, libs };
  });
  return { sameEf, equalRecall, atTargets };
}

async function benchDataset(data: Dataset, params: BuildParams): Promise<DatasetReport> {
  console.log(`\n== ${data.description} ==`);
  const contenders: Contender[] = [];
  for (const lib of config.libs) {
    contenders.push(await (FACTORIES[lib] as ContenderFactory)(data, params));
  }
  const names = contenders.map((c) => c.name);
  const reference = names.includes(REFERENCE) ? REFERENCE : (names[0] as string);

  const built = build(data, contenders);
  const searched = search(data, contenders);
  const memory: DatasetReport["memory"] = {};
  for (const c of contenders) {
    gc();
    memory[c.name] = c.memory();
  }

  const refBuild = built.get(reference) as BuildResult;
  const buildReport: DatasetReport["build"] = {};
  for (const [name, b] of built) {
    // One build per library: its turns interleave with the others', so the ratio of totals
    // already compares like with like under drift.
    buildReport[name] = { ...b, ratio: b.ms / refBuild.ms, cpuRatio: b.cpuMs / refBuild.cpuMs };
  }

  const sweep = config.efs.map((ef) => {
    const libs: Record<string, LibRow> = {};
    for (const name of names) {
      const r = searched.get(`${name}@${ef}`) as SearchResult;
      const latencies = Array.from(r.latenciesUs);
      libs[name] = {
        recallAt10: r.recall,
        qpsMedian: median(r.qps.wall),
        cpuQpsMedian: median(r.qps.cpu),
        qpsPerRep: r.qps,
        latencyUs: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
        },
      };
    }
    return { ef, libs };
  });

  return {
    name: data.name,
    description: data.description,
    n: data.n,
    dim: data.dim,
    queries: data.queryCount,
    reference,
    build: buildReport,
    memory,
    sweep,
    compare: {
      wall: compare(searched, names, reference, "wall"),
      cpu: compare(searched, names, reference, "cpu"),
    },
  };
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? "—" : (bytes / 2 ** 20).toFixed(0);
const fixed = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits);

function printReport(r: DatasetReport): void {
  const names = Object.keys(r.build);
  const { reference } = r;
  const peers = names.filter((n) => n !== reference);
  const w = Math.max(...names.map((n) => n.length));
  const lib = (name: string) => name.padEnd(w);
  console.log(`\n${r.description}; M=${PARAMS.M}, efConstruction=${PARAMS.efConstruction}`);
  console.log(
    `\nbuild, single thread | ${"library".padEnd(w)} |   wall s | ÷ ref | CPU ÷ ref | ` +
      "WASM memory MiB | serialized MiB",
  );
  for (const name of names) {
    const b = r.build[name] as DatasetReport["build"][string];
    const m = r.memory[name] as DatasetReport["memory"][string];
    console.log(
      `${"".padEnd(20)} | ${lib(name)} | ${(b.ms / 1000).toFixed(1).padStart(8)} | ` +
        `${fixed(b.ratio, 2).padStart(5)} | ${fixed(b.cpuRatio, 2).padStart(9)} | ` +
        `${mib(m.wasmMemoryBytes).padStart(15)} | ${mib(m.serializedBytes).padStart(14)}`,
    );
  }
  console.log(
    `\n ef | ${"library".padEnd(w)} | recall@10 |    QPS | CPU QPS | p50 µs | p95 µs | p99 µs | ` +
      `÷ ${reference} same ef (wall / CPU)`,
  );
  r.sweep.forEach((row, i) => {
    for (const name of names) {
      const s = row.libs[name] as LibRow;
      const ratios =
        name === reference
          ? ""
          : `${fixed(r.compare.wall.sameEf[i]?.[name], 2)} / ${fixed(r.compare.cpu.sameEf[i]?.[name], 2)}`;
      console.log(
        `${String(row.ef).padStart(3)} | ${lib(name)} | ${s.recallAt10.toFixed(4).padStart(9)} | ` +
          `${s.qpsMedian.toFixed(0).padStart(6)} | ${s.cpuQpsMedian.toFixed(0).padStart(7)} | ` +
          `${s.latencyUs.p50.toFixed(0).padStart(6)} | ${s.latencyUs.p95.toFixed(0).padStart(6)} | ` +
          `${s.latencyUs.p99.toFixed(0).padStart(6)} | ${ratios}`,
      );
    }
  });
  console.log(
    `\nequal recall: peer QPS ÷ ${reference} QPS at ${reference}'s recall at each ef, wall / CPU ` +
      "(matched: the peer's ef with the closest recall ≥ it; interp: log-QPS interpolated)",
  );
  r.compare.wall.equalRecall.forEach((e, i) => {
    const cpu = r.compare.cpu.equalRecall[i] as Comparison["equalRecall"][number];
    console.log(`  ef ${String(e.ef).padStart(3)}, recall ${e.recall.toFixed(4)}:`);
    for (const p of peers) {
      const a = e.peers[p] as EqualRecall;
      const b = cpu.peers[p] as EqualRecall;
      const matched =
        a.matchedEf === null
          ? "never reached"
          : `ef ${a.matchedEf} ×${fixed(a.matchedRatio, 2)} / ×${fixed(b.matchedRatio, 2)}`;
      console.log(
        `    ${lib(p)} matched ${matched}; interp ×${fixed(a.interpolatedRatio, 2)} / ×${fixed(b.interpolatedRatio, 2)}`,
      );
    }
  });
  console.log(
    "\nat fixed recall: the ef with the closest recall ≥ target → wall QPS (÷ ref wall / CPU); " +
      "interpolated wall QPS (÷ ref wall / CPU)",
  );
  r.compare.wall.atTargets.forEach((t, i) => {
    const cpu = r.compare.cpu.atTargets[i] as Comparison["atTargets"][number];
    console.log(`  recall ${t.target.toFixed(2)}:`);
    for (const name of names) {
      const a = t.libs[name] as AtTarget;
      const b = cpu.libs[name] as AtTarget;
      const ratio = (x: number | null, y: number | null) =>
        name === reference ? "" : ` (×${fixed(x, 2)} / ×${fixed(y, 2)})`;
      const matched =
        a.matchedEf === null
          ? "never reached"
          : `ef ${a.matchedEf} (${fixed(a.matchedRecall, 4)}) → ${fixed(a.matchedQps, 0)}` +
            ratio(a.matchedRatio, b.matchedRatio);
      const interp =
        a.interpolatedQps === null
          ? "outside sweep"
          : `${fixed(a.interpolatedQps, 0)}${ratio(a.interpolatedRatio, b.interpolatedRatio)}`;
      console.log(`    ${lib(name)} ${matched}; interp ${interp}`);
    }
  });
}

/** The issue's anchor (Gaussian mixture, ef=64) next to what this run measured. */
function anchor(r: DatasetReport): Record<string, number | null> | undefined {
  const row = r.sweep.find((s) => s.ef === ISSUE_ANCHOR.ef);
  const native = row?.libs["hnswlib-node"];
  if (row === undefined || native === undefined) return undefined;
  const out: Record<string, number | null> = {
    hnswlibNodeQps: native.qpsMedian,
    hnswlibNodeRecall: native.recallAt10,
  };
  for (const [name, lib] of Object.entries(row.libs)) {
    if (name === "hnswlib-node") continue;
    out[`${name}÷hnswlib-node`] = ratioOfReps(lib.qpsPerRep.wall, native.qpsPerRep.wall);
    out[`${name}÷hnswlib-node (CPU)`] = ratioOfReps(lib.qpsPerRep.cpu, native.qpsPerRep.cpu);
  }
  console.log(
    `\nissue anchor (ef=${ISSUE_ANCHOR.ef}): hnswlib-node ${native.qpsMedian.toFixed(0)} QPS ` +
      `(issue: ${ISSUE_ANCHOR.hnswlibNodeQps}), recall ${native.recallAt10.toFixed(4)} (issue: 0.998); ` +
      Object.entries(out)
        .filter(([key]) => key.includes("÷") && !key.includes("CPU"))
        .map(([key, v]) => {
          const lib = key.split("÷")[0] as string;
          const issue =
            lib === "usearch" || lib === "hnswlib-wasm" ? ` (issue ×${ISSUE_ANCHOR[lib]})` : "";
          return `${key} ×${fixed(v, 2)} (CPU ×${fixed(out[`${key} (CPU)`], 2)})${issue}`;
        })
        .join(", "),
  );
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "ann-bench-"));
const reports: DatasetReport[] = [];
let issueAnchor: Record<string, number | null> | undefined;
console.log(
  `ann bench: ${config.libs.join(", ")}; efs ${config.efs.join(",")}; ${config.reps} reps; ` +
    `${cpus().length} × ${cpus()[0]?.model ?? "?"}; Node ${process.version}`,
);
try {
  for (const name of config.datasets) {
    const data = loadDataset(name);
    const report = await benchDataset(data, { ...PARAMS, tmpDir: tmp });
    reports.push(report);
    printReport(report);
    if (report.name === "gaussian-mixture") issueAnchor = anchor(report);
    // The next data set starts with this one's indexes (hundreds of MB each) released: native
    // finalizers run after the GC, on a later turn of the event loop, hence the pause.
    gc();
    await new Promise((resolve) => setTimeout(resolve, 500));
    gc();
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const out = new URL("./results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("ann.json", out),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      config,
      notes: {
        ratios:
          "peer ÷ edgefeed-wasm QPS; medians of per-repetition ratios; compare.wall uses wall-clock QPS, compare.cpu QPS per CPU-second of this process",
        equalRecall:
          "matched = peer ef with the closest recall ≥ edgefeed's; interpolated = peer QPS at exactly that recall, linear in log(QPS) between bracketing sweep points",
        build:
          "sum of this library's timed turns (index creation + chunks of inserts, libraries taking turns); ratio ÷ edgefeed-wasm",
        memory:
          "wasmMemoryBytes = the index's own WebAssembly memory (whole instance); serializedBytes = the library's own serialized form (the native libraries' measure: vectors + graph, without allocator slack or hnswlib's label map). RSS deltas are not used: in one process glibc reuses heap freed by data loading, so a native index's pages often do not show up as growth",
      },
      issueAnchor,
      datasets: reports,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${new URL("ann.json", out).pathname}`);
