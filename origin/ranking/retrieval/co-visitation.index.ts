/**
 * Item-to-item co-engagement counts learned online: every watch adds weight between the new video
 * and the few videos watched just before it, more for the forward direction (what people watch
 * next) and less the further apart they were. This is the sequential neighbourhood model of
 * session kNN (Ludewig & Jannach 2018, "SR"/"V-SKNN"), which their study found as accurate as
 * GRU4Rec on short sessions; here it feeds the `related` rail and a ranking feature.
 */
export interface CoVisitationOptions {
  /** How many earlier videos in the same history a new watch is paired with. */
  window: number;
  /** Weight of "b was watched after a" (for a → b) relative to the reverse direction. */
  forward: number;
  backward: number;
  /** Popularity shrinkage in the cosine denominator: rare targets don't win on one co-watch. */
  shrink: number;
}

export const DEFAULT_CO_VISITATION: CoVisitationOptions = {
  window: 5,
  forward: 1,
  backward: 0.5,
  shrink: 5,
};

export class CoVisitationIndex {
  readonly options: CoVisitationOptions;
  /** Per item, its neighbours and their accumulated weights. */
  readonly neighbours = new Map<number, Map<number, number>>();
  /** Per item, how many times it was watched. */
  readonly counts = new Map<number, number>();

  constructor(options: CoVisitationOptions = DEFAULT_CO_VISITATION) {
    this.options = options;
  }

  /** One watch of `item` after `history` (oldest first, `item` not yet in it). */
  observe(history: ArrayLike<number>, item: number): void {
    const { window, forward, backward } = this.options;
    this.counts.set(item, (this.counts.get(item) ?? 0) + 1);
    const start = Math.max(0, history.length - window);
    for (let k = history.length - 1; k >= start; k--) {
      const earlier = history[k] as number;
      if (earlier === item) continue;
      const distance = history.length - k;
      this.bump(earlier, item, forward / distance);
      this.bump(item, earlier, backward / distance);
    }
  }

  /** Replays one whole history in order. */
  observeSequence(sequence: ArrayLike<number>): void {
    const items = Array.from(sequence);
    for (let t = 0; t < items.length; t++) this.observe(items.slice(0, t), items[t] as number);
  }

  count(item: number): number {
    return this.counts.get(item) ?? 0;
  }

  /**
   * Adds Σ_k w_k · c(h_k → j) / √(n(h_k)·(n(j)+shrink)) into `out` for every neighbour j of the
   * newest `weights.length` history items; `weights` are newest first.
   */
  scoreHistory(
    history: ArrayLike<number>,
    weights: ArrayLike<number>,
    out: Map<number, number>,
  ): Map<number, number> {
    const used = Math.min(history.length, weights.length);
    for (let k = 0; k < used; k++) {
      const item = history[history.length - 1 - k] as number;
      const row = this.neighbours.get(item);
      if (!row) continue;
      const scale = (weights[k] as number) / Math.sqrt(this.count(item) || 1);
      for (const [other, weight] of row) {
        const s = (scale * weight) / Math.sqrt(this.count(other) + this.options.shrink);
        out.set(other, (out.get(other) ?? 0) + s);
      }
    }
    return out;
  }

  private bump(from: number, to: number, weight: number): void {
    let row = this.neighbours.get(from);
    if (!row) {
      row = new Map();
      this.neighbours.set(from, row);
    }
    row.set(to, (row.get(to) ?? 0) + weight);
  }
}
