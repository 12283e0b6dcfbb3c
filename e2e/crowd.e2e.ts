import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { FeedItem } from "../contracts/feed.schema";
import { Crowd } from "../origin/crowd/crowd.simulator";
import { favouriteShareByPage, formatSummary } from "../origin/crowd/crowd.summary";
import type { AppWindow } from "./app-handle";
import { launch, PHONE, RESULTS, swipeUp } from "./browser";
import { openFeed, playbackStarts, playsToEnd } from "./feed-page";

const edgeUrl = inject("edgeUrl");
const region = inject("region");
const figures: Record<string, unknown> = {};
let browser: Browser;
let crowd: Crowd;

// Simulated viewers through the edge's public API the whole time, as on a live service: they
// fill trending and co-engagement and train the ranker's heads while the browser viewers watch.
beforeAll(async () => {
  browser = await launch();
  crowd = new Crowd({
    edgeUrl,
    viewers: 6,
    seed: "e2e",
    region,
    speed: 2,
    // A topic has about 19 videos: past page 6 a learned feed has run out of the favourite.
    pagesPerViewer: 6,
    rampMs: 3_000,
  }).start();
  const deadline = Date.now() + 60_000;
  while (crowd.stats().totals.pages < 12 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
  }
}, 90_000);

afterAll(async () => {
  await crowd?.stop();
  await browser?.close();
  writeFileSync(join(RESULTS, "crowd-learning.json"), JSON.stringify(figures, null, 2));
  console.log("crowd e2e:", JSON.stringify(figures));
});

/** Every feed page the app receives from now on, after `first`, in order. */
function recordPages(page: Page, first: FeedItem[]): FeedItem[][] {
  const pages: FeedItem[][] = [first];
  let received = 1;
  page.on("response", (response) => {
    if (new URL(response.url()).pathname !== "/v1/feed" || !response.ok()) return;
    const index = received++;
    void response.json().then((body: { items: FeedItem[] }) => {
      pages[index] = body.items;
    });
  });
  return pages;
}

/** The topic (first hashtag) with the fewest videos on `page`; the earliest shown on a tie. */
function leastShownTopic(page: readonly FeedItem[]): string {
  const counts = new Map<string, number>();
  for (const item of page) {
    const topic = item.hashtags[0];
    if (topic) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  }
  let best = "";
  for (const [topic, count] of counts) {
    if (!best || count < (counts.get(best) ?? 0)) best = topic;
  }
  return best;
}

const shareOf = (items: readonly FeedItem[] | undefined, topic: string) =>
  items && items.length > 0
    ? items.filter((i) => i.hashtags.includes(topic)).length / items.length
    : 0;

async function current(page: Page) {
  return page.evaluate(() => {
    const { view } = (window as AppWindow).edgefeed!;
    return { index: view.index, item: view.current!, ahead: view.items[view.index + 1]?.id };
  });
}

/** Swipes up and waits until the next video is the current one; returns its position. */
async function swipeToNext(context: BrowserContext, page: Page): Promise<number> {
  // Waits for the next page when the app is still fetching it; a 1-based answer stays truthy.
  const handle = await page.waitForFunction(
    () => {
      const { view } = (window as AppWindow).edgefeed!;
      return view.items[view.index + 1] ? view.index + 1 : null;
    },
    null,
    { timeout: 15_000 },
  );
  const to = (await handle.jsonValue()) as number;
  await swipeUp(context, page);
  await page.waitForFunction((i) => (window as AppWindow).edgefeed?.view.index === i, to, {
    timeout: 5_000,
  });
  return to;
}

describe("the feed learns from a viewer, with a crowd watching", () => {
  // Learning from three likes is not yet certain (closing note of stop 19: the next page met the
  // bar in 6 runs of 7): a retry is a new viewer in a new browser context, never the same one.
  it("after three pages of completing and liking one topic and skipping the rest, the next page served has at least twice that topic's first-page share", {
    retry: 2,
    timeout: 300_000,
  }, async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await openFeed(context, `${edgeUrl}/?region=${region}`);
    // The first page arrived before the listener could be attached: it is what the app shows.
    const first = (await page.evaluate(
      () => (window as AppWindow).edgefeed!.view.items,
    )) as unknown as FeedItem[];
    const pages = recordPages(page, first);
    // The viewer's pick: a topic the first page shows least (once, typically), as someone who
    // spots one video they like among strangers. A topic the first page already shows twice
    // would need half of page 4, six times chance with 12 topics, to count as learned.
    const topic = leastShownTopic(first);
    const watchedPages = 3;
    let liked = 0;
    let skipped = 0;
    for (;;) {
      const { index, item } = await current(page);
      const shownBefore = pages.slice(0, watchedPages).reduce((n, p) => n + (p?.length ?? 0), 0);
      if (pages[watchedPages - 1] && index >= shownBefore) break;
      if (item.hashtags.includes(topic)) {
        const ended = playsToEnd(page);
        await playbackStarts(page);
        await page.locator('[data-action="like"]').click();
        await ended;
        liked++;
      } else {
        // Swiped away as soon as it plays: a hard skip (< 1 s).
        await playbackStarts(page);
        skipped++;
      }
      await swipeToNext(context, page);
    }
    await page.waitForFunction(() => (window as AppWindow).edgefeed?.queue.idle === true);
    // The app asked for page 4 while page 3 played, before its likes were sent; the next page
    // the feed serves once all three pages' signals are in is the one that shows what it learned.
    const next = await page.evaluate(async () => {
      const app = (window as AppWindow).edgefeed!;
      const response = await fetch(`/v1/feed?cursor=${app.feed.nextCursor}`, {
        headers: { authorization: `Bearer ${app.session.token}` },
      });
      return ((await response.json()) as { items: FeedItem[] }).items;
    });
    const shares = [...pages, next].map((items) => Number(shareOf(items, topic).toFixed(3)));
    figures.learner = { topic, liked, skipped, shares, sizes: pages.map((p) => p?.length ?? 0) };
    console.log(`learner: topic #${topic}, share by page ${shares.join(" ")} (the last: next)`);
    const firstShare = shareOf(pages[0], topic);
    expect(firstShare).toBeGreaterThan(0);
    expect(next.length).toBeGreaterThanOrEqual(5);
    expect(shareOf(next, topic)).toBeGreaterThanOrEqual(2 * firstShare);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("plays 200 swiped videos without showing one twice", async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors } = await openFeed(context, `${edgeUrl}/?region=${region}`);
    const watched = [await playbackStarts(page)];
    for (let i = 0; i < 200; i++) {
      // Past 1 s, so the swipe is no hard skip (that would suppress the creator).
      await page.waitForFunction(
        () => ((window as AppWindow).edgefeed?.view.currentVideo?.currentTime ?? 0) > 1.1,
        null,
        { timeout: 15_000 },
      );
      await swipeToNext(context, page);
      watched.push((await current(page)).item.id);
    }
    const repeats = watched.length - new Set(watched).size;
    figures.swiper = { swipes: watched.length - 1, distinct: new Set(watched).size, repeats };
    expect(repeats).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  }, 600_000);

  it("the crowd's events all go through and its own feeds learn", async () => {
    await crowd.stop();
    const stats = crowd.stats();
    const curve = favouriteShareByPage(stats);
    figures.crowd = {
      summary: formatSummary(stats),
      curve: curve.map((b) => ({ pages: b.label, share: b.share, viewers: b.viewers })),
    };
    console.log(formatSummary(stats));
    const { events, feedErrors } = stats.totals;
    expect(events.sent).toBeGreaterThan(500);
    expect(events.rejected).toBe(0);
    expect(events.refusedBatches).toBe(0);
    expect(events.accepted + events.sampledOut + events.duplicates).toBe(events.sent);
    expect(feedErrors).toBe(0);
    const firstPage = curve[0]?.share ?? 0;
    const later = curve.find((b) => b.label === "p4-6")?.share ?? 0;
    expect(later).toBeGreaterThan(firstPage);
  });
});
