import { parseArgs } from "node:util";
import { Crowd } from "./crowd.simulator";
import { formatSummary } from "./crowd.summary";

const USAGE = `usage: npm run crowd -- [--viewers N] [--minutes M] [--edge URL] [--seed S]
                       [--speed X] [--every SECONDS] [--pages-per-viewer P]

Simulated viewers against a running edge (npm run dev): each signs in, pages through
GET /v1/feed and posts its watch, like, share, follow and skip events to POST /v1/events,
by its own seeded taste. Prints a summary every --every seconds; the favourite-topic share
rising from the first page to later ones is the feed learning.

  --viewers N           viewers at once (8)
  --minutes M           how long to run (5)
  --edge URL            the edge (http://127.0.0.1:8787)
  --seed S              tastes and reactions (1); same seed, same crowd
  --speed X             simulated time per real time (1)
  --every SECONDS       summary period (15)
  --pages-per-viewer P  a viewer leaves after P pages and a new one comes (unlimited)`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      viewers: { type: "string" },
      minutes: { type: "string" },
      edge: { type: "string" },
      seed: { type: "string" },
      speed: { type: "string" },
      every: { type: "string" },
      "pages-per-viewer": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const viewers = Math.round(positive("viewers", values.viewers, 8));
  const minutes = positive("minutes", values.minutes, 5);
  const seed = values.seed ?? "1";
  const edgeUrl = values.edge ?? "http://127.0.0.1:8787";
  const crowd = new Crowd({
    edgeUrl,
    viewers,
    seed,
    speed: positive("speed", values.speed, 1),
    ...(values["pages-per-viewer"]
      ? { pagesPerViewer: Math.round(positive("pages-per-viewer", values["pages-per-viewer"], 1)) }
      : {}),
    rampMs: 5_000,
    onError: (error, viewer) =>
      console.error(`${viewer.userId}: ${error instanceof Error ? error.message : error}`),
  });
  console.log(`crowd: ${viewers} viewers against ${edgeUrl} for ${minutes} min (seed ${seed})`);
  crowd.start();
  const timer = setInterval(
    () => console.log(`${formatSummary(crowd.stats())}\n`),
    positive("every", values.every, 15) * 1000,
  );
  const finished = new Promise<void>((resolve) => {
    const end = setTimeout(resolve, minutes * 60_000);
    process.once("SIGINT", () => {
      clearTimeout(end);
      resolve();
    });
  });
  await finished;
  clearInterval(timer);
  await crowd.stop();
  console.log(`final:\n${formatSummary(crowd.stats())}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exit(1);
  },
);
