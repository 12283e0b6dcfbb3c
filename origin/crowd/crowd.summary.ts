import type { CrowdStats } from "./crowd.simulator";

/** Pages of a viewer's session grouped for the learning curve: first page, then later ones. */
export const PAGE_BUCKETS: readonly (readonly [number, number])[] = [
  [1, 1],
  [2, 3],
  [4, 6],
  [7, 12],
  [13, Number.POSITIVE_INFINITY],
];

export interface ShareBucket {
  label: string;
  from: number;
  to: number;
  /** Mean over viewers of each viewer's favourite-topic share on these pages; null: no pages yet. */
  share: number | null;
  viewers: number;
}

/**
 * The feed learning, in one number per bucket: for each viewer, the share of its favourite topic
 * among the videos on those pages of its session; averaged over the viewers that got that far.
 */
export function favouriteShareByPage(
  stats: CrowdStats,
  buckets: readonly (readonly [number, number])[] = PAGE_BUCKETS,
): ShareBucket[] {
  return buckets.map(([from, to]) => {
    const shares: number[] = [];
    for (const viewer of stats.viewers) {
      const pages = viewer.pages.filter((p) => p.page >= from && p.page <= to);
      const size = pages.reduce((sum, p) => sum + p.size, 0);
      if (size > 0) shares.push(pages.reduce((sum, p) => sum + p.favourite, 0) / size);
    }
    const label = from === to ? `p${from}` : Number.isFinite(to) ? `p${from}-${to}` : `p${from}+`;
    return {
      label,
      from,
      to,
      share: shares.length > 0 ? shares.reduce((a, b) => a + b, 0) / shares.length : null,
      viewers: shares.length,
    };
  });
}

const seconds = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
};

/** Two lines: traffic and what the edge said about it, then the favourite-topic share by page. */
export function formatSummary(stats: CrowdStats): string {
  const t = stats.totals;
  const e = t.events;
  const active = stats.viewers.filter((v) => !v.done).length;
  const traffic =
    `crowd ${seconds(stats.elapsedMs)}: ${active} watching (${stats.viewers.length} so far), ` +
    `${t.pages} pages, ${t.videos} videos (${t.repeats} repeats), ` +
    `${t.completes} completes, ${t.likes} likes, ${t.shares} shares, ${t.follows} follows, ` +
    `${t.skips} skips (${t.hardSkips} hard) · events ${e.sent} sent: ${e.accepted} accepted, ` +
    `${e.rejected} rejected, ${e.duplicates} duplicates, ${e.sampledOut} sampled out` +
    (e.rateLimited + e.failures + e.refusedBatches + t.feedErrors > 0
      ? ` · ${e.rateLimited} rate-limited, ${e.failures} failed, ${e.refusedBatches} refused batches, ${t.feedErrors} feed errors`
      : "");
  const curve = favouriteShareByPage(stats)
    .map((b) => `${b.label} ${b.share === null ? "–" : b.share.toFixed(2)}`)
    .join(" | ");
  const rejections = stats.viewers.flatMap((v) => v.rejections).slice(0, 3);
  return [
    traffic,
    `favourite-topic share by page of a session: ${curve}   (chance ${stats.chanceShare.toFixed(2)})`,
    ...(rejections.length > 0 ? [`rejected, e.g.: ${rejections.join("; ")}`] : []),
  ].join("\n");
}
