// Comparing QPS at equal recall. Libraries reach different recall at the same ef, so a same-ef
// ratio flatters whichever explores less. Two matchings are used:
//   "matched": the peer's ef whose recall is the closest at or above the target (the peer must
//              not be worse than the target, so this leans against the peer);
//   "interpolated": the peer's QPS at exactly the target recall, linear in log(QPS) between the
//              two sweep points that bracket it; none when the target is outside its sweep.
// Each is computed per repetition (runs of one repetition are seconds apart, so they share the
// machine's drift) and the median of the per-repetition ratios is reported.

import { median } from "../stats";

/** One library's sweep: ascending ef, recall at each, QPS per repetition at each. */
export interface Sweep {
  efs: readonly number[];
  recall: readonly number[];
  /** qps[efIndex][rep] */
  qps: readonly (readonly number[])[];
}

/** Index into the sweep of the ef with the smallest recall ≥ target (ties: the smaller ef). */
export function matchAtOrAbove(sweep: Sweep, target: number): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < sweep.efs.length; i++) {
    const r = sweep.recall[i] as number;
    if (r < target) continue;
    if (best === undefined || r < (sweep.recall[best] as number)) best = i;
  }
  return best;
}

/** QPS at exactly `target` recall in one repetition, or undefined outside the sweep's range. */
export function interpolatedQps(sweep: Sweep, target: number, rep: number): number | undefined {
  const points = sweep.efs
    .map((_, i) => ({ recall: sweep.recall[i] as number, qps: sweep.qps[i]?.[rep] as number }))
    .sort((a, b) => a.recall - b.recall || b.qps - a.qps);
  const first = points[0];
  if (first === undefined || target < first.recall) return undefined;
  for (let i = 0; i < points.length; i++) {
    const hi = points[i] as { recall: number; qps: number };
    if (hi.recall === target) return hi.qps;
    if (hi.recall < target) continue;
    const lo = points[i - 1] as { recall: number; qps: number };
    const t = (target - lo.recall) / (hi.recall - lo.recall);
    return Math.exp(Math.log(lo.qps) + t * (Math.log(hi.qps) - Math.log(lo.qps)));
  }
  return undefined;
}

/** QPS per repetition at the matched ef (closest recall ≥ target), or undefined if never reached. */
export function matchedQps(sweep: Sweep, target: number): readonly number[] | undefined {
  const at = matchAtOrAbove(sweep, target);
  return at === undefined ? undefined : sweep.qps[at];
}

export interface EqualRecall {
  target: number;
  /** The peer's ef chosen by "matched", its recall and the median ratio peer ÷ reference. */
  matchedEf: number | null;
  matchedRecall: number | null;
  matchedRatio: number | null;
  /** Median over repetitions of interpolated peer QPS ÷ reference QPS at the target. */
  interpolatedRatio: number | null;
}

/**
 * Peer ÷ reference QPS at the reference's recall `target`; `referenceQps[rep]` is the
 * reference's QPS in each repetition at that recall (a sweep point or an interpolation).
 */
export function compareAtRecall(
  peer: Sweep,
  target: number,
  referenceQps: readonly (number | undefined)[],
): EqualRecall {
  const at = matchAtOrAbove(peer, target);
  const ratios = (qpsOf: (rep: number) => number | undefined): number | null => {
    const values: number[] = [];
    referenceQps.forEach((ref, rep) => {
      const mine = qpsOf(rep);
      if (ref !== undefined && mine !== undefined) values.push(mine / ref);
    });
    return values.length === referenceQps.length && values.length > 0 ? median(values) : null;
  };
  return {
    target,
    matchedEf: at === undefined ? null : (peer.efs[at] as number),
    matchedRecall: at === undefined ? null : (peer.recall[at] as number),
    matchedRatio: at === undefined ? null : ratios((rep) => peer.qps[at]?.[rep]),
    interpolatedRatio: ratios((rep) => interpolatedQps(peer, target, rep)),
  };
}
