import { Crowd } from "../crowd/crowd.simulator";
import { favouriteShareByPage } from "../crowd/crowd.summary";

const SUMMARY_EVERY_MS = 60_000;
/**
 * A viewer of the demo crowd leaves after this many pages and a new one comes: each topic has 20
 * videos, so a viewer the feed has learned has seen most of its favourite by page 6, and new
 * viewers keep the first-page share (the cold start) measured.
 */
const PAGES_PER_VIEWER = 6;

/**
 * The small crowd `npm run dev` starts once the edge is up: a few simulated viewers in this
 * process, so trending, co-engagement and the ranker's heads have traffic to learn from, and a
 * line a minute showing their feeds learning. Each viewer is a new anonymous user the edge mints,
 * so every run shows a cold start.
 */
export function startDevCrowd(edgeUrl: string, viewers: number): { stop(): Promise<void> } {
  const crowd = new Crowd({
    edgeUrl,
    viewers,
    pagesPerViewer: PAGES_PER_VIEWER,
    rampMs: 20_000,
    onError: (error, viewer) =>
      console.error(
        `[crowd] ${viewer.userId}: ${error instanceof Error ? error.message : String(error)}`,
      ),
  }).start();
  const timer = setInterval(() => {
    const stats = crowd.stats();
    const { events, pages } = stats.totals;
    const curve = favouriteShareByPage(stats)
      .filter((bucket) => bucket.share !== null)
      .map((bucket) => `${bucket.label} ${bucket.share?.toFixed(2)}`)
      .join(", ");
    console.log(
      `[crowd] ${pages} pages, ${events.accepted} events accepted (${events.rejected} rejected); ` +
        `favourite-topic share by page: ${curve || "no pages yet"} (chance ${stats.chanceShare.toFixed(2)})`,
    );
  }, SUMMARY_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await crowd.stop();
    },
  };
}

/** What the stack prints about the crowd once it is up. */
export function crowdHelp(edgeUrl: string, viewers: number): string[] {
  if (viewers === 0) {
    return ["  demo crowd            off (EDGEFEED_CROWD=0 or --no-crowd)"];
  }
  return [
    `  demo crowd            ${viewers} simulated viewers, each with a favourite topic; a [crowd] line`,
    "                        a minute shows their favourite's share rising from page 1 (turn off:",
    "                        npm run dev -- --no-crowd, or EDGEFEED_CROWD=0; the edge's request",
    "                        log is off while the crowd runs)",
    "  see the feed learn    open the viewer app, watch one topic's videos to the end and like",
    "                        them, swipe the rest away early; or run a crowd of your own:",
    `                        npm run crowd -- --viewers 4 --minutes 3 --edge ${edgeUrl}`,
  ];
}
