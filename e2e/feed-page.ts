import type { BrowserContext, Page } from "playwright-core";
import type { AppWindow } from "./app-handle";
import { collectErrors } from "./browser";

/**
 * Opens the viewer app at `url` in a new page; resolves once its first feed page is shown, with
 * the user id the edge minted for the page's anonymous session.
 */
export async function openFeed(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(url);
  await page.waitForFunction(
    () => ((window as AppWindow).edgefeed?.view.items.length ?? 0) > 0,
    null,
    { timeout: 30_000 },
  );
  const userId = await page.evaluate(() => (window as AppWindow).edgefeed!.session.user_id);
  return { page, errors, userId };
}

/** Waits until the current video's currentTime moves past 0.25 s; returns its id. */
export async function playbackStarts(page: Page): Promise<string> {
  await page.waitForFunction(
    () => ((window as AppWindow).edgefeed?.view.currentVideo?.currentTime ?? 0) > 0.25,
    null,
    { timeout: 15_000 },
  );
  return page.evaluate(() => (window as AppWindow).edgefeed!.view.current!.id);
}

/** Resolves at the current video's first `ended` (the e2e catalog's clips are 3 s long). */
export function playsToEnd(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const video = (window as AppWindow).edgefeed!.view.currentVideo!;
        video.addEventListener("ended", () => resolve(), { once: true });
      }),
  );
}
