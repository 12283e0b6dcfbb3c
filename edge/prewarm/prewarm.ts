import type { FeedItem } from "../../contracts/feed.schema";
import { parseMediaKey } from "../../contracts/media.schema";
import { loadMedia, type MediaEnv, mediaCacheKey } from "../media/media-store";

/** The client swipes to these next; three covers a fast swiper's first seconds. */
export const PREWARM_VIDEOS = 3;

/**
 * Pulls the master playlist, the lowest rendition's playlist and its first segment of the first
 * videos of a page into the edge cache, so the player's first requests for them are cache hits.
 * Runs in waitUntil after the page is sent; a failure only costs the player a slower start.
 */
export async function prewarm(
  env: MediaEnv,
  items: readonly FeedItem[],
  cacheOrigin: string,
  now = Date.now(),
): Promise<void> {
  const due = items
    .slice(0, PREWARM_VIDEOS)
    .filter((item) => claim(`${cacheOrigin}${item.manifest_url}`, now));
  await Promise.allSettled(due.map((item) => prewarmVideo(env, item, cacheOrigin)));
}

/**
 * Manifests this isolate pre-warmed lately. Media keys are immutable, so one pre-warm per video
 * per few minutes is enough; without this every fallback page would re-check the same trending
 * videos (3 cache lookups each) on the thread that serves the next request.
 */
const recentlyWarmed = new Map<string, number>();
const RECENT_MS = 5 * 60_000;
const RECENT_MAX = 4096;

function claim(manifest: string, now: number): boolean {
  const last = recentlyWarmed.get(manifest);
  if (last !== undefined && now - last < RECENT_MS) return false;
  recentlyWarmed.delete(manifest);
  recentlyWarmed.set(manifest, now);
  if (recentlyWarmed.size > RECENT_MAX) {
    const oldest = recentlyWarmed.keys().next().value;
    if (oldest !== undefined) recentlyWarmed.delete(oldest);
  }
  return true;
}

async function prewarmVideo(env: MediaEnv, item: FeedItem, cacheOrigin: string): Promise<void> {
  const writes: Promise<unknown>[] = [];
  const defer = (work: Promise<unknown>) => writes.push(work);
  try {
    const masterKey = item.manifest_url.replace(/^\/v1\//, "");
    const master = await loadText(env, masterKey, cacheOrigin, defer);
    const variant = master === null ? null : lowestVariant(master);
    if (variant === null) return;
    const playlistKey = resolveKey(masterKey, variant);
    const playlist = await loadText(env, playlistKey, cacheOrigin, defer);
    const segment = playlist === null ? null : firstUri(playlist);
    if (segment === null) return;
    await warm(env, resolveKey(playlistKey, segment), cacheOrigin, defer);
  } finally {
    await Promise.allSettled(writes);
  }
}

async function loadText(
  env: MediaEnv,
  key: string,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<string | null> {
  const media = parseMediaKey(key);
  if (!media) return null;
  const hit = await loadMedia(env, media, cacheOrigin, defer);
  return hit ? new TextDecoder().decode(hit.body) : null;
}

/** Puts an object in the edge cache unless it is there already; a hit's body is never read. */
async function warm(
  env: MediaEnv,
  key: string,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<void> {
  const media = parseMediaKey(key);
  if (!media) return;
  const cached = await caches.default.match(mediaCacheKey(cacheOrigin, key));
  if (cached) {
    await cached.body?.cancel();
    return;
  }
  await loadMedia(env, media, cacheOrigin, defer);
}

/** The URI of the `#EXT-X-STREAM-INF` with the smallest BANDWIDTH in a master playlist. */
export function lowestVariant(master: string): string | null {
  const lines = master.split(/\r?\n/).map((line) => line.trim());
  let best: { bandwidth: number; uri: string } | null = null;
  for (const [i, line] of lines.entries()) {
    const match = /^#EXT-X-STREAM-INF:.*?\bBANDWIDTH=(\d+)/.exec(line);
    if (!match) continue;
    const uri = lines.slice(i + 1).find((next) => next && !next.startsWith("#"));
    const bandwidth = Number(match[1]);
    if (uri && (!best || bandwidth < best.bandwidth)) best = { bandwidth, uri };
  }
  return best?.uri ?? null;
}

function firstUri(playlist: string): string | null {
  return (
    playlist
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line && !line.startsWith("#")) ?? null
  );
}

/** A playlist URI resolved against the key of the playlist that names it (RFC 3986 §5.2). */
function resolveKey(baseKey: string, uri: string): string {
  return new URL(uri, `https://media.invalid/${baseKey}`).pathname.slice(1);
}
