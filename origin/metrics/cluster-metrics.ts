import cluster, { type Worker } from "node:cluster";
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from "prom-client";
import * as v from "valibot";

/**
 * `/metrics` of an api worker covers the whole process group. The worker that receives the
 * scrape sends its own registries to the primary, the primary collects every other worker's and
 * answers with prom-client's aggregate: in-process series (requests, ranking, memory) are
 * summed; series each worker reads from Redis say how they combine through their `aggregator`.
 * The scraping worker's registries come first, so `"first"` picks the values it has just read.
 */

type RegistryJson = MetricObjectWithValues<MetricValue<string>>[];

const registriesJson = v.array(v.custom<RegistryJson>((value) => Array.isArray(value)));
/** worker → primary: the whole group's text, please; `own` is the scraping worker's metrics. */
const AggregateRequest = v.object({
  type: v.literal("edgefeed:metrics:aggregate"),
  id: v.number(),
  own: registriesJson,
});
/** primary → worker: your metrics, please. */
const CollectRequest = v.object({ type: v.literal("edgefeed:metrics:collect"), id: v.number() });
/** worker → primary: the answer to a collect request. */
const Collected = v.object({
  type: v.literal("edgefeed:metrics:collected"),
  id: v.number(),
  metrics: v.optional(registriesJson),
  error: v.optional(v.string()),
});
/** primary → worker: the answer to an aggregate request. */
const Aggregated = v.object({
  type: v.literal("edgefeed:metrics:aggregated"),
  id: v.number(),
  text: v.optional(v.string()),
  error: v.optional(v.string()),
});

/** How long the primary waits for the other workers; a busy worker delays the scrape this much. */
const COLLECT_TIMEOUT_MS = 3_000;
/** How long a worker waits for the primary's aggregate. */
const AGGREGATE_TIMEOUT_MS = COLLECT_TIMEOUT_MS + 2_000;

interface Collection {
  receive(worker: number, message: v.InferOutput<typeof Collected>): void;
  forget(worker: number): void;
}

/**
 * On the primary: answers workers' requests for the whole group's metrics. Returns the function
 * that stops answering.
 */
export function serveClusterMetrics(): () => void {
  let nextId = 0;
  const collections = new Map<number, Collection>();

  function collect(workers: Worker[]): Promise<RegistryJson[]> {
    const id = nextId++;
    const pending = new Set(workers.map((worker) => worker.id));
    const gathered: RegistryJson[] = [];
    return new Promise((resolve, reject) => {
      const finish = (error?: Error) => {
        clearTimeout(timer);
        collections.delete(id);
        if (error) reject(error);
        else resolve(gathered);
      };
      const timer = setTimeout(() => {
        const missing = pending.size;
        finish(new Error(`${missing} of ${workers.length} other workers did not answer in time`));
      }, COLLECT_TIMEOUT_MS);
      collections.set(id, {
        receive(worker, message) {
          if (!pending.delete(worker)) return;
          if (message.error !== undefined || !message.metrics) {
            finish(new Error(`worker ${worker}: ${message.error ?? "no metrics"}`));
            return;
          }
          gathered.push(...message.metrics);
          if (pending.size === 0) finish();
        },
        // A worker that exits mid-scrape takes its series with it, as a restarted process would.
        forget(worker) {
          if (pending.delete(worker) && pending.size === 0) finish();
        },
      });
      for (const worker of workers) worker.send({ type: "edgefeed:metrics:collect", id });
      if (pending.size === 0) finish();
    });
  }

  async function answer(requester: Worker, request: v.InferOutput<typeof AggregateRequest>) {
    const others = Object.values(cluster.workers ?? {}).filter(
      (worker): worker is Worker =>
        worker !== undefined && worker !== requester && worker.isConnected(),
    );
    let reply: v.InferOutput<typeof Aggregated>;
    try {
      const metrics = [...request.own, ...(await collect(others))];
      const text = await AggregatorRegistry.aggregate(metrics).metrics();
      reply = { type: "edgefeed:metrics:aggregated", id: request.id, text };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      reply = { type: "edgefeed:metrics:aggregated", id: request.id, error: message };
    }
    if (requester.isConnected()) requester.send(reply);
  }

  const onMessage = (worker: Worker, message: unknown) => {
    const request = v.safeParse(AggregateRequest, message);
    if (request.success) {
      void answer(worker, request.output);
      return;
    }
    const collected = v.safeParse(Collected, message);
    if (collected.success)
      collections.get(collected.output.id)?.receive(worker.id, collected.output);
  };
  const onExit = (worker: Worker) => {
    for (const collection of collections.values()) collection.forget(worker.id);
  };
  cluster.on("message", onMessage);
  cluster.on("exit", onExit);
  return () => {
    cluster.off("message", onMessage);
    cluster.off("exit", onExit);
  };
}

/** This process's registries that a primary's collect request reports. */
const shared = new Set<Registry>();
const awaitingAggregate = new Map<number, (message: v.InferOutput<typeof Aggregated>) => void>();
let nextAggregateId = 0;
let listening = false;

function sendToPrimary(message: unknown): void {
  process.send?.(message);
}

function listenToPrimary(): void {
  if (listening) return;
  listening = true;
  process.on("message", (message: unknown) => {
    const collect = v.safeParse(CollectRequest, message);
    if (collect.success) {
      const { id } = collect.output;
      Promise.all([...shared].map((registry) => registry.getMetricsAsJSON())).then(
        (metrics) => sendToPrimary({ type: "edgefeed:metrics:collected", id, metrics }),
        (error: unknown) =>
          sendToPrimary({ type: "edgefeed:metrics:collected", id, error: String(error) }),
      );
      return;
    }
    const aggregated = v.safeParse(Aggregated, message);
    if (aggregated.success) awaitingAggregate.get(aggregated.output.id)?.(aggregated.output);
  });
}

/**
 * In an api worker: makes `registry` part of every scrape of the group and returns the scrape
 * that asks the primary for the whole group's text. Outside a cluster (one process, the tests)
 * it returns null and the registry is served as it is.
 */
export function shareWithCluster(registry: Registry): (() => Promise<string>) | null {
  if (!cluster.isWorker || !process.send) return null;
  shared.add(registry);
  listenToPrimary();
  return async function scrapeGroup(): Promise<string> {
    const own = await Promise.all(
      [registry, ...[...shared].filter((r) => r !== registry)].map((r) => r.getMetricsAsJSON()),
    );
    const id = nextAggregateId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        awaitingAggregate.delete(id);
        reject(new Error(`the primary did not answer within ${AGGREGATE_TIMEOUT_MS} ms`));
      }, AGGREGATE_TIMEOUT_MS);
      awaitingAggregate.set(id, (reply) => {
        clearTimeout(timer);
        awaitingAggregate.delete(id);
        if (reply.text !== undefined) resolve(reply.text);
        else reject(new Error(reply.error ?? "no metrics"));
      });
      sendToPrimary({ type: "edgefeed:metrics:aggregate", id, own });
    });
  };
}
