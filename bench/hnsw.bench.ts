// edgefeed's WASM HNSW against hnswlib-node (native C++) on Fashion-MNIST, in one process and
// on the same parameters: the full set from the data directory, or the committed subset when it
// is absent (data-dir.config.ts). The machine's speed drifts by up to 1.7× over minutes, so
// libraries alternate within every repetition and ratios are medians of per-repetition ratios.
// A benchmark never fails on timing; it only reports.
//
// Env: HNSW_BENCH_N (base vectors, default 60000), HNSW_BENCH_QUERIES (default 1000),
// HNSW_BENCH_REPS (search repetitions, default 5), HNSW_BENCH_BUILD_REPS (default 1),
// HNSW_BENCH_EFS (default "16,32,64,128,256").

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import HnswLib from "hnswlib-node";
import { BruteForceIndex } from "../wasm/brute-force-index";
// tsx reads a bare "*.node" specifier as a native addon; the .js suffix resolves to the .ts file.
import { loadHnswModule } from "../wasm/hnsw.node.js";
import { HnswIndex } from "../wasm/hnsw-index";
import { recallAtK } from "../wasm/testing/recall";
import { fashionMnistOrSubset } from "./data-dir.config";
import { median, percentile } from "./stats";

const M = 16;
const EF_CONSTRUCTION = 200;
const SEED = 100;
const K = 10;

function envInt(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined ? fallback : Number.parseInt(value, 10);
}

const config = {
  n: envInt("HNSW_BENCH_N", 60_000),
  queries: envInt("HNSW_BENCH_QUERIES", 1000),
  reps: envInt("HNSW_BENCH_REPS", 5),
  buildReps: envInt("HNSW_BENCH_BUILD_REPS", 1),
  efs: (process.env.HNSW_BENCH_EFS ?? "16,32,64,128,256").split(",").map(Number),
  M,
  efConstruction: EF_CONSTRUCTION,
  k: K,
};

interface Contender {
  name: string;
  build(): void;
  setEf(ef: number): void;
  query(q: number): number[];
  memoryBytes(): number | undefined;
}

const { data, name: dataset } = fashionMnistOrSubset("bench:hnsw", config.queries);
const n = Math.min(config.n, data.baseCount);
const { dim } = data;
const baseRows = Array.from({ length: n }, (_, i) => data.base.subarray(i * dim, (i + 1) * dim));
const queryRows = Array.from({ length: data.queryCount }, (_, q) =>
  data.queries.subarray(q * dim, (q + 1) * dim),
);
// hnswlib-node takes plain arrays; converting outside the timed loops keeps the comparison fair.
const baseArrays = baseRows.map((row) => Array.from(row));
const queryArrays = queryRows.map((row) => Array.from(row));

function groundTruth(): (q: number) => ArrayLike<number> {
  const gk = data.k;
  if (n === data.baseCount && gk >= K) return (q) => data.neighbours.subarray(q * gk, q * gk + K);
  const exact = new BruteForceIndex({ dim, metric: "l2", capacity: n });
  exact.addMany(
    Uint32Array.from({ length: n }, (_, i) => i),
    data.base.subarray(0, n * dim),
  );
  const truth = queryRows.map((row) => exact.search(row, K).map((hit) => hit.label));
  return (q) => truth[q] as number[];
}

const wasmModule = loadHnswModule();
let wasmIndex: HnswIndex | undefined;
let wasmEf = 10;
const wasm: Contender = {
  name: "edgefeed-wasm",
  build() {
    const index = HnswIndex.create(wasmModule, {
      dim,
      metric: "l2",
      M,
      efConstruction: EF_CONSTRUCTION,
      capacity: n,
      seed: SEED,
    });
    for (let i = 0; i < n; i++) index.add(i, baseRows[i] as Float32Array);
    wasmIndex = index;
  },
  setEf(ef) {
    wasmEf = ef;
  },
  query(q) {
    return (wasmIndex as HnswIndex)
      .search(queryRows[q] as Float32Array, K, { ef: wasmEf })
      .map((hit) => hit.label);
  },
  memoryBytes: () => wasmIndex?.memoryBytes,
};

let nativeIndex: HnswLib.HierarchicalNSW | undefined;
const native: Contender = {
  name: "hnswlib-node",
  build() {
    const index = new HnswLib.HierarchicalNSW("l2", dim);
    index.initIndex(n, M, EF_CONSTRUCTION, SEED);
    for (let i = 0; i < n; i++) index.addPoint(baseArrays[i] as number[], i);
    nativeIndex = index;
  },
  setEf(ef) {
    (nativeIndex as HnswLib.HierarchicalNSW).setEf(ef);
  },
  query(q) {
    return (nativeIndex as HnswLib.HierarchicalNSW).searchKnn(queryArrays[q] as number[], K)
      .neighbors;
  },
  // hnswlib-node exposes no size; level 0 alone is n·(4 + 2M·4 + dim·4 + 8) bytes in hnswalg.h.
  memoryBytes: () => n * (4 + 2 * M * 4 + dim * 4 + 8),
};

const contenders = [wasm, native];
const truth = groundTruth();

console.log(
  `${dataset}: ${n} × ${dim} L2, ${data.queryCount} queries, M=${M}, ` +
    `efConstruction=${EF_CONSTRUCTION}, ${config.reps} reps, ${cpus()[0]?.model ?? "?"}`,
);

const buildMs: Record<string, number[]> = { [wasm.name]: [], [native.name]: [] };
for (let rep = 0; rep < config.buildReps; rep++) {
  const order = rep % 2 === 0 ? contenders : [...contenders].reverse();
  for (const c of order) {
    const start = performance.now();
    c.build();
    const elapsed = performance.now() - start;
    buildMs[c.name]?.push(elapsed);
    console.log(`build ${c.name}: ${(elapsed / 1000).toFixed(1)} s`);
  }
}

interface Sample {
  qps: number[];
  latenciesUs: number[];
  recall: number;
}
const samples = new Map<string, Sample>();
const key = (name: string, ef: number) => `${name}@${ef}`;

for (const c of contenders) {
  c.setEf(64);
  for (let q = 0; q < Math.min(100, data.queryCount); q++) c.query(q);
}

for (let rep = 0; rep < config.reps; rep++) {
  for (const ef of config.efs) {
    const order = (rep + ef) % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      c.setEf(ef);
      const found: number[][] = new Array(data.queryCount);
      const latencies: number[] = new Array(data.queryCount);
      const start = performance.now();
      for (let q = 0; q < data.queryCount; q++) {
        const t = performance.now();
        found[q] = c.query(q);
        latencies[q] = (performance.now() - t) * 1000;
      }
      const elapsed = performance.now() - start;
      const sample = samples.get(key(c.name, ef)) ?? {
        qps: [],
        latenciesUs: [],
        recall: recallAtK(found, truth, K),
      };
      sample.qps.push((data.queryCount * 1000) / elapsed);
      sample.latenciesUs.push(...latencies);
      samples.set(key(c.name, ef), sample);
    }
  }
}

const rows = config.efs.map((ef) => {
  const ours = samples.get(key(wasm.name, ef)) as Sample;
  const theirs = samples.get(key(native.name, ef)) as Sample;
  const ratios = ours.qps.map((qps, rep) => qps / (theirs.qps[rep] as number));
  const describe = (s: Sample) => ({
    recallAt10: s.recall,
    qpsMedian: median(s.qps),
    qpsPerRep: s.qps,
    latencyUs: {
      p50: percentile(s.latenciesUs, 50),
      p95: percentile(s.latenciesUs, 95),
      p99: percentile(s.latenciesUs, 99),
    },
  });
  return {
    ef,
    [wasm.name]: describe(ours),
    [native.name]: describe(theirs),
    qpsRatioMedian: median(ratios),
  };
});

const buildRatio = median(
  (buildMs[wasm.name] ?? []).map((ms, rep) => ms / (buildMs[native.name]?.[rep] ?? Number.NaN)),
);

console.log("\n ef | lib            | recall@10 |    QPS | p50 µs | p95 µs | p99 µs");
for (const row of rows) {
  for (const name of [wasm.name, native.name]) {
    const s = row[name] as {
      recallAt10: number;
      qpsMedian: number;
      latencyUs: { p50: number; p95: number; p99: number };
    };
    console.log(
      `${String(row.ef).padStart(3)} | ${name.padEnd(14)} | ${s.recallAt10.toFixed(4).padStart(9)} | ` +
        `${s.qpsMedian.toFixed(0).padStart(6)} | ${s.latencyUs.p50.toFixed(0).padStart(6)} | ` +
        `${s.latencyUs.p95.toFixed(0).padStart(6)} | ${s.latencyUs.p99.toFixed(0).padStart(6)}`,
    );
  }
  console.log(`    | wasm/native QPS ratio (median of reps): ${row.qpsRatioMedian.toFixed(2)}`);
}
console.log(
  `\nbuild: wasm ${(median(buildMs[wasm.name] ?? []) / 1000).toFixed(1)} s, ` +
    `native ${(median(buildMs[native.name] ?? []) / 1000).toFixed(1)} s, ` +
    `ratio ${buildRatio.toFixed(2)}`,
);
console.log(
  `memory: wasm ${((wasm.memoryBytes() ?? 0) / 2 ** 20).toFixed(0)} MiB (whole instance), ` +
    `native ≈ ${((native.memoryBytes() ?? 0) / 2 ** 20).toFixed(0)} MiB (level 0, computed)`,
);

const out = new URL("./results/", import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL("hnsw.json", out),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model,
      dataset,
      config: { ...config, n },
      buildMs,
      buildRatioMedian: buildRatio,
      memoryBytes: { [wasm.name]: wasm.memoryBytes(), [native.name]: native.memoryBytes() },
      results: rows,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwrote ${new URL("hnsw.json", out).pathname}`);
