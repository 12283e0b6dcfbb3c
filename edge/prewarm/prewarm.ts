import * as v from "valibot";
import { describeIssue } from "../../contracts/error.schema";
import { FEED_PAGE_MAX, type FeedItem } from "../../contracts/feed.schema";
import { lowestVariant, type MediaObject, parseMediaKey } from "../../contracts/media.schema";
import { edgeCacheEntry, loadMedia, type MediaEnv, mediaCacheKey } from "../media/media-store";

export type PrewarmEnv = MediaEnv & Pick<Env, "PREWARM_VIDEOS">;

const PrewarmEnvSchema = v.object({
  PREWARM_VIDEOS: v.pipe(
    v.string(),
    v.regex(/^[0-9]{1,2}$/, `must be an integer from 0 to ${FEED_PAGE_MAX}`),
    v.transform(Number),
    v.maxValue(FEED_PAGE_MAX, `must be an integer from 0 to ${FEED_PAGE_MAX}`),
  ),
});

/**
 * How many videos at the top of each page to pre-warm (the `PREWARM_VIDEOS` var; 0 turns
 * pre-warm off). More than a page holds would be meaningless, so it is refused like a typo.
 */
export function prewarmVideosFromEnv(env: Pick<Env, "PREWARM_VIDEOS">): number {
  const parsed = v.safeParse(PrewarmEnvSchema, env);
  if (!parsed.success) throw new Error(`worker var ${describeIssue(parsed.issues)}`);
  return parsed.output.PREWARM_VIDEOS;
}

/**
 * Pulls the master playlist, the lowest rendition's playlist and its first segment of the first
 * videos of a page into the edge cache, so the player's first requests for them are cache hits.
 * Runs in waitUntil after the page is sent; a failure only costs the player a slower start. The
 * var is read before that, synchronously, so a bad value fails the feed request loudly (as a bad
 * EVENTS_* var fails the events route) instead of turning pre-warm off unseen in waitUntil.
 */
export function prewarm(
  env: PrewarmEnv,
  items: readonly FeedItem[],
  cacheOrigin: string,
  now = Date.now(),
): Promise<void> {
  const due = items
    .slice(0, prewarmVideosFromEnv(env))
    .filter((item) => claim(`${cacheOrigin}${item.manifest_url}`, now));
  return Promise.allSettled(due.map((item) => prewarmVideo(env, item, cacheOrigin))).then(
    () => undefined,
  );
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

/**
 * One probe decides: a cached master playlist means the chain is warm, because a pre-warm writes
 * the master last. On a miss the three objects come straight from R2 with no per-object cache
 * lookups (immutable keys, so overwriting an entry a player wrote meanwhile is harmless): 1 lookup,
 * 3 reads and 3 writes instead of 3 lookups, 3 reads and 3 writes, and no body is copied twice.
 */
async function prewarmVideo(env: MediaEnv, item: FeedItem, cacheOrigin: string): Promise<void> {
  const master = parseMediaKey(item.manifest_url.replace(/^\/v1\//, ""));
  if (!master) return;
  const probe = await caches.default.match(mediaCacheKey(cacheOrigin, master.key));
  if (probe) {
    await probe.body?.cancel();
    return;
  }
  const writes: Promise<unknown>[] = [];
  const defer = (work: Promise<unknown>) => writes.push(work);
  let masterEntry: Response | null = null;
  try {
    const masterText = await readText(env, master, cacheOrigin, defer);
    const variant = masterText === null ? null : lowestVariant(masterText.text);
    const playlist = variant === null ? null : parseMediaKey(resolveKey(master.key, variant));
    if (!masterText || !playlist) return;
    masterEntry = masterText.entry;
    const playlistText = await readText(env, playlist, cacheOrigin, defer);
    if (playlistText?.entry) defer(put(cacheOrigin, playlist.key, playlistText.entry));
    const uri = playlistText === null ? null : firstUri(playlistText.text);
    const segment = uri === null ? null : parseMediaKey(resolveKey(playlist.key, uri));
    if (segment) await warmSegment(env, segment, cacheOrigin, defer);
  } finally {
    await Promise.allSettled(writes);
  }
  if (masterEntry) await put(cacheOrigin, master.key, masterEntry);
}

interface PlaylistRead {
  text: string;
  /** The cache entry to write, or null when loadMedia's origin pull already wrote it through. */
  entry: Response | null;
}

async function readText(
  env: MediaEnv,
  media: MediaObject,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<PlaylistRead | null> {
  const object = await env.VIDEOS.get(media.key);
  if (object) {
    const text = await object.text();
    const contentType = object.httpMetadata?.contentType ?? media.contentType;
    return { text, entry: edgeCacheEntry(text, contentType, object.httpEtag) };
  }
  const pulled = await loadMedia(env, media, cacheOrigin, defer);
  return pulled ? { text: new TextDecoder().decode(pulled.body), entry: null } : null;
}

/** The segment's R2 body goes into the cache as a stream, never read into this isolate. */
async function warmSegment(
  env: MediaEnv,
  media: MediaObject,
  cacheOrigin: string,
  defer: (work: Promise<unknown>) => void,
): Promise<void> {
  const object = await env.VIDEOS.get(media.key);
  if (!object) {
    await loadMedia(env, media, cacheOrigin, defer);
    return;
  }
  const contentType = object.httpMetadata?.contentType ?? media.contentType;
  defer(put(cacheOrigin, media.key, edgeCacheEntry(object.body, contentType, object.httpEtag)));
}

function put(cacheOrigin: string, key: string, entry: Response): Promise<void> {
  return caches.default.put(mediaCacheKey(cacheOrigin, key), entry);
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
