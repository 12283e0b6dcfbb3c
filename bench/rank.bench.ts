import { mkdirSync, writeFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Candidate, Rail } from "../origin/ranking/candidate.types";
import { DEFAULT_RANKING_CONFIG } from "../origin/ranking/config/ranking.config";
import { retrainJob, runRetrainJob } from "../origin/ranking/leader/retrain.job";
import { buildBaseIndex } from "../origin/ranking/model/item.vectors";
import { decodeCheckpoint, encodeCheckpoint } from "../origin/ranking/model/model.checkpoint";
import { ModelState } from "../origin/ranking/model/model.state";
import { SeededRandom } from "../origin/ranking/model/seeded-random";
import { SequenceModel } from "../origin/ranking/model/sequence.model";
import { VideoCatalog } from "../origin/ranking/model/video.catalog";
import { annRail, indexSequenceModel } from "../origin/ranking/retrieval/ann.rail";
import { gatherCandidates, topScored } from "../origin/ranking/retrieval/candidate.rails";
import { CoVisitationIndex } from "../origin/ranking/retrieval/co-visitation.index";
import { freshRankerModels, TwoStageRanker } from "../origin/ranking/serving/two-stage.ranker";
import { loadHnswModule } from "../wasm/hnsw.node.js";
import { HnswIndex } from "../wasm/index";
import { median, percentile } from "./stats";

/**
 * `npx tsx bench/rank.bench.ts`: (1) latency of ranking 500 candidates through stage 1 and
 * stage 2 plus the re-ranking policy, one core; (2) precompute throughput, users/s, of the whole
 * refresh (rails incl. HNSW over the catalog, both stages) on a 100k-video catalog; (3) the model
 * artefacts: checkpoint size, base index load from its snapshot vs rebuild, and the worst stall
 * of the main thread's event loop while the embeddings retrain in a worker vs on the main thread.
 * Models are random but of production shape (64-d, 100k videos); timings do not depend on the
 * values.
 */
const CATALOG = Number(process.env.RANK_BENCH_CATALOG ?? 100_000);
const ITERATIONS = Number(process.env.RANK_BENCH_ITERATIONS ?? 2_000);
const USERS = Number(process.env.RANK_BENCH_USERS ?? 500);
const INDEX_REPS = Number(process.env.RANK_BENCH_INDEX_REPS ?? 3);
/** Retrain input: sessions of the ranker's history length (50), 2 epochs as the ranker runs. */
const SESSIONS = Number(process.env.RANK_BENCH_SESSIONS ?? 20_000);
const SESSION_LENGTH = 50;
const EPOCHS = 2;
const rng = new SeededRandom(42);
const log = (message: string) => console.log(`rank bench: ${message}`);

const sequence = SequenceModel.initialised(CATALOG, { dim: 64, window: 10, decay: 0.7 }, 1);
for (let i = 0; i < sequence.output.length; i++) sequence.output[i] = rng.next() - 0.5;
const coVisitation = new CoVisitationIndex();
for (let s = 0; s < 50_000; s++) {
  const start = rng.int(CATALOG);
  coVisitation.observeSequence(Array.from({ length: 8 }, () => (start + rng.int(500)) % CATALOG));
}
const ranker = new TwoStageRanker(freshRankerModels(sequence, coVisitation));
const creators = 5_000;
const meta = (item: number, rails: Partial<Record<Rail, number>>): Candidate => ({
  item,
  videoId: `v${item}`,
  rails,
  creatorId: `c${item % creators}`,
  audioId: `s${item % 997}`,
  hashtags: [`t${item % 101}`, `t${item % 53}`],
  ageHours: item % 200,
  exposures: item % 3000,
  engagementRate: 0.05,
  completionRate: 0.3,
});
const context = (user: number) => ({
  userId: `u${user}`,
  history: Array.from({ length: 20 }, () => rng.int(CATALOG)),
  interest: new Map([
    [`c:c${user % creators}`, 5],
    [`s:s${user % 997}`, 2],
    [`h:t${user % 101}`, -1],
  ]),
  recentCreators: [`c${user % creators}`],
});
const config = DEFAULT_RANKING_CONFIG;

// (1) 500 candidates through both stages.
const samples: number[] = [];
for (let i = 0; i < ITERATIONS + 200; i++) {
  const candidates = Array.from({ length: 500 }, (_, k) => meta(rng.int(CATALOG), { ann: k }));
  const ctx = context(i);
  const t0 = performance.now();
  ranker.rank(ctx, candidates, config);
  const ms = performance.now() - t0;
  if (i >= 200) samples.push(ms);
}
const latency = { p50: median(samples), p99: percentile(samples, 99), iterations: ITERATIONS };
log(
  `500 candidates, both stages: p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`,
);

// (2) whole refresh per user on the catalog.
const t0 = performance.now();
const index = HnswIndex.create(loadHnswModule(), {
  dim: 65,
  metric: "ip",
  M: 16,
  efConstruction: 100,
  capacity: CATALOG,
  seed: 100,
});
indexSequenceModel(sequence, index);
const buildSeconds = (performance.now() - t0) / 1000;
log(`HNSW over ${CATALOG} videos built in ${buildSeconds.toFixed(1)} s`);
const trending = Array.from({ length: 300 }, () => rng.int(CATALOG));
const fresh = Array.from({ length: 2000 }, () => rng.int(CATALOG));
const perUser: number[] = [];
const t1 = performance.now();
for (let u = 0; u < USERS; u++) {
  const start = performance.now();
  const ctx = context(u);
  const state = ranker.state(ctx);
  const seen = new Set(ctx.history);
  const merged = gatherCandidates(
    {
      ann: annRail(index, state.shortTerm, 256),
      related: (k, allowed) => topScored(state.related, k, allowed),
      social: (k, allowed) => fresh.slice(u % 1000, (u % 1000) + 3 * k).filter(allowed),
      trending: (k, allowed) => trending.filter(allowed).slice(0, k),
      exploration: (k, allowed) => fresh.filter(allowed).slice(0, k),
    },
    { seen: (i) => seen.has(i), suppressed: () => false },
  );
  ranker.rank(
    ctx,
    merged.map(({ item, rails }) => meta(item, rails)),
    config,
  );
  perUser.push(performance.now() - start);
}
const usersPerSecond = USERS / ((performance.now() - t1) / 1000);
const refresh = {
  usersPerSecond,
  p50: median(perUser),
  p99: percentile(perUser, 99),
  users: USERS,
};
log(
  `refresh on ${CATALOG} videos: ${usersPerSecond.toFixed(0)} users/s per core (p50 ${refresh.p50.toFixed(2)} ms, p99 ${refresh.p99.toFixed(2)} ms per user)`,
);

// (3) model artefacts on the same catalog: content vectors and the ranker's retrain input.
const module = loadHnswModule();
const catalog = new VideoCatalog();
for (let item = 0; item < CATALOG; item++) {
  const content = Float32Array.from({ length: 64 }, () => rng.next() - 0.5);
  catalog.set({
    videoId: `v${item}`,
    item: catalog.itemOf(`v${item}`),
    creatorId: `c${item % creators}`,
    audioId: `s${item % 997}`,
    hashtags: [`t${item % 101}`],
    createdAt: Date.now(),
    content,
  });
}
const state = new ModelState(module, catalog, freshRankerModels(sequence, coVisitation), 0);
const live = Uint32Array.from(catalog.live(), (m) => m.item);
const rebuildMs: number[] = [];
for (let r = 0; r < INDEX_REPS; r++) {
  const t = performance.now();
  buildBaseIndex(module, state.sequence, live);
  rebuildMs.push(performance.now() - t);
}
let t2 = performance.now();
const checkpointBytes = encodeCheckpoint(state.checkpoint());
const encodeMs = performance.now() - t2;
const snapshot = state.checkpoint().baseIndex?.serialize() ?? new Uint8Array(0);
const loadMs: number[] = [];
for (let r = 0; r < INDEX_REPS; r++) {
  const t = performance.now();
  HnswIndex.deserialize(module, snapshot);
  loadMs.push(performance.now() - t);
}
t2 = performance.now();
decodeCheckpoint(checkpointBytes, module);
const decodeMs = performance.now() - t2;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
log(
  `checkpoint of ${CATALOG} videos: ${mib(checkpointBytes.length)} MiB (index snapshot ${mib(snapshot.length)} MiB), encoded in ${encodeMs.toFixed(0)} ms, decoded (incl. index) in ${decodeMs.toFixed(0)} ms`,
);
const artefacts = {
  checkpointBytes: checkpointBytes.length,
  indexSnapshotBytes: snapshot.length,
  encodeMs,
  decodeMs,
  indexRebuildMs: { median: median(rebuildMs), samples: rebuildMs },
  indexLoadMs: { median: median(loadMs), samples: loadMs },
  rebuildOverLoad: median(rebuildMs) / median(loadMs),
};
log(
  `base index: rebuild ${(artefacts.indexRebuildMs.median / 1000).toFixed(1)} s vs load from snapshot ${artefacts.indexLoadMs.median.toFixed(0)} ms (median of ${INDEX_REPS}): ${artefacts.rebuildOverLoad.toFixed(0)}× faster`,
);

const sessions = Array.from({ length: SESSIONS }, () => {
  const start = rng.int(CATALOG);
  return Array.from({ length: SESSION_LENGTH }, () => (start + rng.int(2_000)) % CATALOG);
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Event-loop delay while `work` runs; the loop is idle otherwise, so the delay is its stall. */
async function stallDuring(work: () => Promise<unknown>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await sleep(100);
  const t = performance.now();
  await work();
  const wallMs = performance.now() - t;
  await sleep(100);
  delay.disable();
  return { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6, wallMs };
}
// The same work the worker does (train, blend, build the base), run synchronously here.
const onMainThread = await stallDuring(async () =>
  runRetrainJob(
    module,
    retrainJob(state.sequence, catalog.live(), state.models.coVisitation, sessions, EPOCHS),
  ),
);
const inWorker = await stallDuring(() => state.retrain(sessions, EPOCHS));
const stall = { inWorker, onMainThread, maxRatio: onMainThread.maxMs / inWorker.maxMs };
const describeStall = (s: typeof inWorker) =>
  `p99 ${s.p99Ms.toFixed(0)} ms, max ${s.maxMs.toFixed(0)} ms over ${(s.wallMs / 1000).toFixed(1)} s`;
log(`retrain of ${SESSIONS} sessions × ${SESSION_LENGTH}, ${EPOCHS} epochs, event-loop delay:`);
log(`  in a worker thread: ${describeStall(inWorker)}`);
log(`  on the main thread: ${describeStall(onMainThread)}`);
log(`  worst stall ${stall.maxRatio.toFixed(0)}× shorter in the worker`);

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/rank.json", import.meta.url),
  `${JSON.stringify({ catalog: CATALOG, latency500: latency, refresh, hnswBuildSeconds: buildSeconds, artefacts, retrainStall: stall }, null, 2)}\n`,
);
