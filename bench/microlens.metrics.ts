/** HR@k and NDCG@k under leave-one-out: one held-out item per user, so NDCG = 1/log2(rank+2). */
export class TopKMetrics {
  private hits = 0;
  private ndcg = 0;
  private users = 0;

  constructor(readonly k = 10) {}

  /** `rank` is 0-based among all candidate items; undefined when the item was not ranked. */
  add(rank: number | undefined): void {
    this.users++;
    if (rank === undefined || rank >= this.k) return;
    this.hits++;
    this.ndcg += 1 / Math.log2(rank + 2);
  }

  get result() {
    return { users: this.users, hr: this.hits / this.users, ndcg: this.ndcg / this.users };
  }
}

/**
 * The 0-based rank of `target` when every item is scored (full ranking, no sampled negatives),
 * skipping items in `excluded` (the user's training items). Ties count against the target unless
 * the tied item has a larger index, so a model gets no credit for a constant score.
 */
export function fullRank(scores: Float32Array, target: number, excluded: Uint8Array): number {
  const t = scores[target] as number;
  let rank = 0;
  for (let i = 0; i < scores.length; i++) {
    if (i === target || excluded[i]) continue;
    const s = scores[i] as number;
    if (s > t || (s === t && i < target)) rank++;
  }
  return rank;
}
