/** Fraction of the true k nearest found, averaged over queries (ann-benchmarks' recall@k). */
export function recallAtK(
  found: readonly (readonly number[])[],
  truth: (q: number) => ArrayLike<number>,
  k: number,
): number {
  let hits = 0;
  for (let q = 0; q < found.length; q++) {
    const expected = truth(q);
    const wanted = new Set<number>();
    for (let i = 0; i < k; i++) wanted.add(expected[i] as number);
    for (const label of (found[q] as readonly number[]).slice(0, k)) if (wanted.has(label)) hits++;
  }
  return hits / (found.length * k);
}
