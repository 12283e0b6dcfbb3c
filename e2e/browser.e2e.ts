import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AppWindow } from "./app-handle";
import { collectErrors, DESKTOP, launch, PHONE, RESULTS, swipeUp } from "./browser";
import { eventsOf, percentile, videosWith } from "./event-stream";
import { openFeed as openFeedAt, playbackStarts, playsToEnd } from "./feed-page";

const edgeUrl = inject("edgeUrl");
const redisUrl = inject("redisUrl");
const region = inject("region");
const timings: Record<string, number[]> = {};
let browser: Browser;
// Each browser context is a new anonymous viewer: the edge mints its user id.
const openFeed = (context: BrowserContext, query = "") =>
  openFeedAt(context, `${edgeUrl}/?region=${region}${query}`);

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

/** Watches the first video and `swipes` more to their end; returns the ids in order. */
async function swipeThrough(context: BrowserContext, page: Page, swipes: number) {
  const watched: string[] = [];
  let ended = playsToEnd(page);
  watched.push(await playbackStarts(page));
  await ended;
  for (let i = 0; i < swipes; i++) {
    const expected = await page.evaluate(() => {
      const { view } = (window as AppWindow).edgefeed!;
      return view.items[view.index + 1]?.id;
    });
    expect(expected, `a video to swipe to after ${watched.length}`).toBeDefined();
    await swipeUp(context, page);
    await page.waitForFunction(
      (id) => (window as AppWindow).edgefeed?.view.current?.id === id,
      expected,
      { timeout: 5_000 },
    );
    ended = playsToEnd(page);
    expect(await playbackStarts(page)).toBe(expected);
    await ended;
    watched.push(expected!);
  }
  return watched;
}

async function drained(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as AppWindow).edgefeed?.queue.idle === true, null, {
    timeout: 10_000,
  });
}

type Item = { id: string; creator_id: string };

/** Feed pages for the page's user after the app's own cursor, asked the way the app asks. */
function pagesAfter(page: Page, count: number): Promise<Item[][]> {
  return page.evaluate(async (count) => {
    const app = (window as AppWindow).edgefeed!;
    let cursor = app.feed.nextCursor;
    const pages: Item[][] = [];
    for (let i = 0; i < count; i++) {
      const response = await fetch(`/v1/feed?cursor=${cursor}`, {
        headers: { authorization: `Bearer ${app.session.token}` },
      });
      if (!response.ok) throw new Error(`feed ${response.status}`);
      const body = (await response.json()) as { items: Item[]; next_cursor: string };
      pages.push(body.items);
      cursor = body.next_cursor;
    }
    return pages;
  }, count);
}

describe("viewer app at a phone viewport", () => {
  it("plays 10 swiped videos, records swipe-to-first-frame and logs exactly their events", async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors, userId } = await openFeed(context);
    await page.screenshot({ path: join(RESULTS, "feed-phone-first.png") });
    const watched = await swipeThrough(context, page, 10);
    expect(new Set(watched).size).toBe(11);
    await page.screenshot({ path: join(RESULTS, "feed-phone.png") });

    const swipes = await page.evaluate(() => (window as AppWindow).edgefeed!.swipes);
    expect(swipes.map((s) => s.video_id)).toEqual(watched.slice(1));
    for (const sample of swipes) expect(sample.ms).toBeGreaterThan(0);
    timings.acceptance_run = swipes.map((s) => s.ms);

    await drained(page);
    const events = await eventsOf(redisUrl, userId);
    const shown = new Set(watched);
    expect(videosWith(events, "impression")).toEqual(shown);
    expect(videosWith(events, "play")).toEqual(shown);
    expect(videosWith(events, "complete")).toEqual(shown);

    const [next = []] = await pagesAfter(page, 1);
    expect(next.length).toBeGreaterThan(0);
    expect(next.filter((item) => shown.has(item.id))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const prebuffer of [true, false]) {
    it(`measures swipe-to-first-frame over 20 swipes with pre-buffering ${prebuffer ? "on" : "off"}`, async () => {
      const context = await browser.newContext(PHONE);
      const query = prebuffer ? "" : "&prebuffer=0";
      const { page, errors } = await openFeed(context, query);
      await playbackStarts(page);
      for (let i = 0; i < 20; i++) {
        const before = await page.evaluate(() => (window as AppWindow).edgefeed!.view.index);
        await swipeUp(context, page);
        await page.waitForFunction(
          (index) => (window as AppWindow).edgefeed?.view.index === index + 1,
          before,
        );
        // Watched past 1 s: a hard skip would suppress the creator and thin out the catalog.
        await page.waitForFunction(
          () => ((window as AppWindow).edgefeed?.view.currentVideo?.currentTime ?? 0) > 1.1,
          null,
          { timeout: 15_000 },
        );
      }
      const swipes = await page.evaluate(() => (window as AppWindow).edgefeed!.swipes);
      expect(swipes).toHaveLength(20);
      expect(swipes.filter((s) => s.prebuffered).length).toBe(prebuffer ? 20 : 0);
      timings[`prebuffer_${prebuffer ? "on" : "off"}`] = swipes.map((s) => s.ms);
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it("drops a creator from the following pages after 'not interested'", async () => {
    const context = await browser.newContext(PHONE);
    const { page, errors, userId } = await openFeed(context);
    await playbackStarts(page);
    // Past the hard-skip threshold, so the suppression is the button's doing, not a skip's.
    await page.waitForTimeout(1_200);
    const creator = await page.evaluate(
      () => (window as AppWindow).edgefeed!.view.current!.creator_id,
    );
    await page.locator('[data-action="not_interested"]').click();
    const after = await page.evaluate(() => {
      const { view } = (window as AppWindow).edgefeed!;
      return view.items.slice(view.index).map((item) => item.creator_id);
    });
    expect(after).not.toContain(creator);
    await drained(page);
    const events = await eventsOf(redisUrl, userId);
    expect(events.some((s) => s.event.type === "not_interested")).toBe(true);
    const following = (await pagesAfter(page, 2)).flat();
    expect(following.length).toBeGreaterThan(0);
    expect(following.filter((item) => item.creator_id === creator)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("viewer app on a desktop", () => {
  it("moves with the arrow keys and the wheel, without console errors", async () => {
    const context = await browser.newContext(DESKTOP);
    const { page, errors } = await openFeed(context);
    await playbackStarts(page);
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction(() => (window as AppWindow).edgefeed?.view.index === 1);
    await page.mouse.move(640, 400);
    await page.mouse.wheel(0, 120);
    await page.waitForFunction(() => (window as AppWindow).edgefeed?.view.index === 2);
    await playbackStarts(page);
    await page.screenshot({ path: join(RESULTS, "feed-desktop.png") });
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("operators' dashboard", () => {
  it("is refused without the admin token", async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    expect((await page.goto(`${edgeUrl}/admin`))?.status()).toBe(401);
    expect((await page.request.get(`${edgeUrl}/admin/api/metrics`)).status()).toBe(401);
    expect((await page.request.get(`${edgeUrl}/admin/admin.js`)).status()).toBe(401);
    await context.close();
  });

  it("draws every chart with data after the feed tests", async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    const page = await context.newPage();
    // The operator's way in: the sign-in form (a 401 page), which POSTs the token and lands on the
    // dashboard; from there on the page must be free of errors.
    expect((await page.goto(`${edgeUrl}/admin`))?.status()).toBe(401);
    await page.locator('input[name="token"]').fill(inject("adminToken"));
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/admin" && r.status() === 200),
      page.locator("button").click(),
    ]);
    expect(response.request().method()).toBe("GET");
    expect(new URL(page.url()).search).toBe("");
    const errors = collectErrors(page);
    await page.goto(`${edgeUrl}/admin?window=15m`);
    // Edge counters reach Redis in 10 s flushes and the page refreshes every 10 s.
    await page.waitForFunction(
      () => {
        const charts = [...document.querySelectorAll<HTMLElement>("[data-chart]")];
        return charts.length === 9 && charts.every((c) => Number(c.dataset.points) > 0);
      },
      null,
      { timeout: 60_000, polling: 500 },
    );
    expect(await page.locator("#trending table tr").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(RESULTS, "dashboard.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });
});

afterAll(() => {
  const summary = Object.fromEntries(
    Object.entries(timings).map(([mode, ms]) => [
      mode,
      {
        swipes: ms.length,
        p50_ms: Math.round(percentile(ms, 0.5)),
        p95_ms: Math.round(percentile(ms, 0.95)),
        p99_ms: Math.round(percentile(ms, 0.99)),
        max_ms: Math.round(Math.max(...ms)),
      },
    ]),
  );
  writeFileSync(join(RESULTS, "swipe-to-first-frame.json"), JSON.stringify(summary, null, 2));
  console.log("swipe to first frame:", JSON.stringify(summary));
});
