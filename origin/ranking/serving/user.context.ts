import type { Redis } from "ioredis";
import { type RankerKeys, SeenKeys } from "../../../contracts/keyspace";
import { seenFilterFromMirror } from "../../../contracts/seen-filter";
import { RECENT_MAX_VIDEOS, RECENT_WINDOW_MS } from "../../features/feature-windows";
import type { VideoCatalog, VideoMeta } from "../model/video.catalog";
import type { FeedRequest } from "./feed.builder";

/**
 * The long-term history `ranker:history:{user}` (rankerKeys.longHistory): the event learner keeps
 * the newest 200 engagements there, each key expiring 30 days after the last; the context reads it.
 */
export const LONG_HISTORY_MAX = 200;
export const LONG_HISTORY_MS = 30 * 24 * 3_600_000;

/** The repetition penalty looks at the creators of this many most recent videos. */
const RECENT_CREATORS = 5;
/**
 * Follows read per ranking, newest first: the social rail takes its 150 videos round-robin over
 * creators, so follows beyond the newest few hundred would almost never place a video.
 */
const FOLLOWS_READ = 500;
/**
 * A returning user with nothing in the last 30 minutes starts from the tail of their long-term
 * history: personal at once, not a cold start.
 */
const RETURNING_SEQUENCE = 10;

/** One video of the short-term sequence: its dense item and when the user last engaged (ms). */
export interface ShortTermItem {
  item: number;
  at: number;
}

export interface Suppressions {
  creators: ReadonlySet<string>;
  sounds: ReadonlySet<string>;
  videos: ReadonlySet<string>;
}

/** Everything known about one user that decides which videos may reach them and how to rank. */
export interface UserFeedContext {
  /** The short-term sequence, oldest first, within the last RECENT_WINDOW_MS. */
  recent: readonly ShortTermItem[];
  /** Engagements over weeks (`ranker:history:{user}`), oldest first, as live items. */
  longTerm: readonly number[];
  /** The edge's seen-filter as mirrored: it answers exactly as the edge (false positives too). */
  seenVideo: (videoId: string) => boolean;
  /** Items known seen from elsewhere (the ranker's own events, a request's `exclude`). */
  seenItems: ReadonlySet<number>;
  suppressed: Suppressions;
  /** Followed creators, most recently followed first. */
  follows: ReadonlySet<string>;
  /** The region last stored for the user (`ranker:regions`), if any. */
  region: string | undefined;
}

/** What the ranker's own consumer of `ev:{p}` saw, possibly before the mirrors and the processor. */
export interface LiveSignals {
  recent(): Iterable<ShortTermItem>;
  readonly seen: ReadonlySet<number>;
  readonly suppressedCreators: ReadonlySet<string>;
  readonly suppressedSounds: ReadonlySet<string>;
  readonly follows: ReadonlySet<string>;
}

const SUPPRESSION_KINDS = {
  creator_id: "creators",
  audio_id: "sounds",
  video_id: "videos",
} as const;

/**
 * Reads one user's stored context in one round trip: the edge's seen and suppressed mirrors
 * (un-prefixed: the edge knows no prefix), the processor's short-term sequence and follows, and
 * the stored region. One MULTI, so the seen mirror's hash and its two generations come from the
 * same moment even while the edge rotates them. Recent videos the catalog does not hold live are
 * left out; without a catalog (no model loaded yet) the sequence is empty.
 */
export async function readUserContext(
  redis: Redis,
  keys: RankerKeys,
  userId: string,
  catalog: VideoCatalog | undefined,
  now = Date.now(),
): Promise<UserFeedContext> {
  const replies =
    (await redis
      .multi()
      .hgetall(SeenKeys.seen(userId))
      .getBuffer(SeenKeys.seenBits(userId, 0))
      .getBuffer(SeenKeys.seenBits(userId, 1))
      .hgetall(SeenKeys.suppressed(userId))
      .zrangebyscore(keys.features.recent(userId), now - RECENT_WINDOW_MS, "+inf", "WITHSCORES")
      .zrevrange(keys.features.follows(userId), 0, FOLLOWS_READ - 1)
      .hget(keys.regions(), userId)
      .zrange(keys.longHistory(userId), -LONG_HISTORY_MAX, -1)
      .exec()) ?? [];
  const [seen, newest, older, suppressed, recent, follows, region, long] = replies.map(
    ([error, value]) => {
      if (error) throw error;
      return value;
    },
  );
  const filter = seenFilterFromMirror(seen as Record<string, string> | null, [
    newest as Buffer | null,
    older as Buffer | null,
  ]);
  return {
    recent: catalog ? shortTermItems(catalog, (recent as string[] | null) ?? []) : [],
    longTerm: catalog ? liveItems(catalog, (long as string[] | null) ?? []) : [],
    seenVideo: (videoId) => filter.has(videoId, now),
    seenItems: new Set(),
    suppressed: activeSuppressions((suppressed as Record<string, string> | null) ?? {}, now),
    follows: new Set((follows as string[] | null) ?? []),
    region: (region as string | null) ?? undefined,
  };
}

/** `[id, ms, id, ms, …]`, oldest first, as live dense items; at most RECENT_MAX_VIDEOS, newest kept. */
function shortTermItems(catalog: VideoCatalog, flat: readonly string[]): ShortTermItem[] {
  const items: ShortTermItem[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const item = catalog.lookup(flat[i] as string);
    if (item !== undefined && catalog.get(item)) items.push({ item, at: Number(flat[i + 1]) });
  }
  return items.slice(-RECENT_MAX_VIDEOS);
}

function liveItems(catalog: VideoCatalog, ids: readonly string[]): number[] {
  return ids.flatMap((id) => {
    const item = catalog.lookup(id);
    return item !== undefined && catalog.get(item) ? [item] : [];
  });
}

/** `{kind}:{value}` → until (ms); suppressions that ran out and fields of unknown kinds are dropped. */
function activeSuppressions(fields: Record<string, string>, now: number): Suppressions {
  const found = {
    creators: new Set<string>(),
    sounds: new Set<string>(),
    videos: new Set<string>(),
  };
  for (const [field, until] of Object.entries(fields)) {
    const split = field.indexOf(":");
    const kind = field.slice(0, split);
    if (split < 1 || !Object.hasOwn(SUPPRESSION_KINDS, kind) || !(Number(until) > now)) continue;
    found[SUPPRESSION_KINDS[kind as keyof typeof SUPPRESSION_KINDS]].add(field.slice(split + 1));
  }
  return found;
}

/**
 * Adds what the ranker saw on the event stream: its watches join the sequence by time, its seen
 * set, suppressions and follows join Redis's. Either source may lag the other by a batch.
 */
export function withLiveSignals(
  context: UserFeedContext,
  live: LiveSignals,
  now = Date.now(),
): UserFeedContext {
  return {
    ...context,
    recent: mergeShortTerm([context.recent, live.recent()], now),
    longTerm: appendNew(
      context.longTerm,
      [...live.recent()].map((r) => r.item),
    ),
    seenItems: new Set([...context.seenItems, ...live.seen]),
    suppressed: {
      creators: new Set([...context.suppressed.creators, ...live.suppressedCreators]),
      sounds: new Set([...context.suppressed.sounds, ...live.suppressedSounds]),
      videos: context.suppressed.videos,
    },
    // Follows Redis does not have yet are the newest.
    follows: new Set([...live.follows, ...context.follows]),
  };
}

/**
 * Adds what a synchronous rank request brings: `recent` (the edge's newest watches, oldest first)
 * goes after the processor's sequence, and `exclude` counts as seen.
 */
export function withRequest(
  context: UserFeedContext,
  recent: readonly number[],
  exclude: readonly number[],
  now = Date.now(),
): UserFeedContext {
  return {
    ...context,
    recent: mergeShortTerm([context.recent, recent.map((item) => ({ item, at: now }))], now),
    seenItems: new Set([...context.seenItems, ...exclude]),
  };
}

/** `base` then the items of `newer` it lacks, in order: what the stream saw after Redis did. */
function appendNew(base: readonly number[], newer: readonly number[]): number[] {
  const known = new Set(base);
  return [...base, ...newer.filter((item) => !known.has(item))].slice(-LONG_HISTORY_MAX);
}

/**
 * One sequence from several: each item once, at its latest time (ties keep the later source's
 * order), within the window, oldest first, at most RECENT_MAX_VIDEOS.
 */
export function mergeShortTerm(
  sources: readonly Iterable<ShortTermItem>[],
  now = Date.now(),
): ShortTermItem[] {
  const latest = new Map<number, number>();
  for (const source of sources) {
    for (const { item, at } of source) {
      const known = latest.get(item);
      if (known !== undefined && known > at) continue;
      latest.delete(item);
      latest.set(item, at);
    }
  }
  return [...latest]
    .filter(([, at]) => at >= now - RECENT_WINDOW_MS)
    .map(([item, at]) => ({ item, at }))
    .sort((a, b) => a.at - b.at)
    .slice(-RECENT_MAX_VIDEOS);
}

/**
 * The context as buildFeed's request. Videos in the short-term sequence count as seen: the user
 * just watched them. The mirror is consulted once per item, since the ANN search asks repeatedly.
 */
export function feedRequestFor(
  catalog: VideoCatalog,
  userId: string,
  region: string,
  context: UserFeedContext,
): FeedRequest {
  const recent = context.recent.map((r) => r.item);
  const history = recent.length > 0 ? recent : context.longTerm.slice(-RETURNING_SEQUENCE);
  const watched = new Set(history);
  const mirrored = new Map<number, boolean>();
  const seen = (item: number) => {
    if (context.seenItems.has(item) || watched.has(item)) return true;
    let answer = mirrored.get(item);
    if (answer === undefined) {
      const meta = catalog.get(item);
      answer = meta !== undefined && context.seenVideo(meta.videoId);
      mirrored.set(item, answer);
    }
    return answer;
  };
  const suppressed = (item: number) => {
    const meta = catalog.get(item);
    return meta !== undefined && isSuppressed(context.suppressed, meta);
  };
  return {
    userId,
    region,
    history,
    longHistory: context.longTerm,
    recentCreators: recentCreatorsOf(catalog, history),
    seen,
    suppressed,
    follows: context.follows,
  };
}

/** The creators of the last few videos of a sequence, newest last: the repetition penalty's input. */
export function recentCreatorsOf(catalog: VideoCatalog, history: readonly number[]): string[] {
  return history.slice(-RECENT_CREATORS).flatMap((item) => catalog.get(item)?.creatorId ?? []);
}

/**
 * The same seen and suppressed checks by video id, for answers built without the model's rails
 * (regional trending); creators and sounds are known only for videos the catalog holds.
 */
export function hidesVideo(
  context: UserFeedContext,
  catalog: VideoCatalog | undefined,
): (videoId: string) => boolean {
  const watched = new Set(context.recent.map((r) => r.item));
  return (videoId) => {
    if (context.seenVideo(videoId) || context.suppressed.videos.has(videoId)) return true;
    const item = catalog?.lookup(videoId);
    if (item === undefined) return false;
    const meta = catalog?.get(item);
    return (
      context.seenItems.has(item) ||
      watched.has(item) ||
      (meta !== undefined && isSuppressed(context.suppressed, meta))
    );
  };
}

function isSuppressed(
  suppressed: Suppressions,
  meta: Pick<VideoMeta, "videoId" | "creatorId" | "audioId">,
): boolean {
  return (
    suppressed.videos.has(meta.videoId) ||
    suppressed.creators.has(meta.creatorId) ||
    (meta.audioId !== "" && suppressed.sounds.has(meta.audioId))
  );
}
