import { IndexError } from "./errors";
import type { Metric } from "./knn-index";

const METRIC_IDS: Record<Metric, number> = { l2: 0, ip: 1, cosine: 2 };
const METRICS: readonly Metric[] = ["l2", "ip", "cosine"];

export function metricId(metric: Metric): number {
  const id = METRIC_IDS[metric];
  if (id === undefined) throw new IndexError("INDEX.INVALID_ARGUMENT", `unknown metric ${metric}`);
  return id;
}

export function metricFromId(id: number): Metric {
  const metric = METRICS[id];
  if (metric === undefined) throw new IndexError("INDEX.SNAPSHOT_CORRUPT", `unknown metric ${id}`);
  return metric;
}

export function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > 0xffffffff) {
    throw new IndexError("INDEX.INVALID_ARGUMENT", "labels are integers in [0, 2^32)");
  }
}

export function checkPositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new IndexError("INDEX.INVALID_ARGUMENT", `${name} must be an integer in [1, ${max}]`);
  }
}

export function checkVector(vector: ArrayLike<number>, dim: number, what = "vector"): void {
  if (vector.length !== dim) {
    throw new IndexError(
      "INDEX.DIMENSION_MISMATCH",
      `${what} has ${vector.length} values, the index has dim ${dim}`,
    );
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(vector[i])) {
      throw new IndexError("INDEX.NON_FINITE_VALUE", `${what} has a NaN or infinite value at ${i}`);
    }
  }
}

export function checkBatch(labels: ArrayLike<number>, vectors: Float32Array, dim: number): void {
  if (vectors.length !== labels.length * dim) {
    throw new IndexError(
      "INDEX.DIMENSION_MISMATCH",
      `${labels.length} labels need ${labels.length * dim} values, got ${vectors.length}`,
    );
  }
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    checkLabel(label);
    if (seen.has(label)) {
      throw new IndexError("INDEX.DUPLICATE_LABEL", `label ${label} appears twice in the batch`);
    }
    seen.add(label);
    checkVector(vectors.subarray(i * dim, (i + 1) * dim), dim, `vector ${i}`);
  }
}
