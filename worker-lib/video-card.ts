import type { Redis } from "@upstash/redis/cloudflare";
import type { FeedItem, FeedReason } from "../contracts/feed.schema";
import { CatalogKeys, MediaKeys } from "../contracts/keyspace";
import { type CardCache, isolateCards, type VideoCard } from "./card-cache";

export interface Candidate {
  id: string;
  reason: FeedReason;
}

/**
 * The feed item for a catalog hash, or null when the video is not live or the hash is missing.
 * The Upstash client JSON-decodes hash values, so numbers and arrays may arrive decoded or as text.
 */
export function cardFromHash(
  candidate: Candidate,
  hash: Record<string, unknown> | null,
): FeedItem | null {
  const card = videoCardFromHash(candidate.id, hash);
  return card ? { ...card, reason: candidate.reason } : null;
}

/** cardFromHash without the rail: what every user is handed for this video. */
function videoCardFromHash(id: string, hash: Record<string, unknown> | null): VideoCard | null {
  if (hash?.status !== "live") return null;
  const version = Number(hash.version);
  const duration = Number(hash.duration_ms);
  if (!Number.isInteger(version) || version < 1 || !Number.isFinite(duration)) return null;
  return {
    id,
    manifest_url: `/v1/${MediaKeys.master(id, version)}`,
    poster_url: `/v1/${MediaKeys.poster(id, version)}`,
    duration_ms: Math.max(0, Math.round(duration)),
    creator_id: String(hash.creator_id ?? ""),
    hashtags: stringArray(hash.hashtags),
    audio_id: String(hash.audio_id ?? ""),
  };
}

function stringArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}

/** The catalog fields a card is made of: HMGET reads only these, not the whole hash. */
const CARD_FIELDS = ["status", "version", "duration_ms", "creator_id", "hashtags", "audio_id"];

/**
 * HMGET's reply as a record: an array of values in field order from a client without automatic
 * deserialization (rawRedisFromEnv), an object (null when every field is missing) from one with.
 */
function cardFields(reply: unknown): Record<string, unknown> | null {
  if (!Array.isArray(reply))
    return typeof reply === "object" ? (reply as Record<string, unknown> | null) : null;
  return Object.fromEntries(CARD_FIELDS.map((field, i) => [field, reply[i]]));
}

/**
 * The candidates' cards, live ones only, in order: from the isolate's card cache, and the rest
 * read in one pipeline (no round trip when the cache has them all).
 */
export async function hydrateCandidates(
  redis: Redis,
  candidates: readonly Candidate[],
  cards: CardCache = isolateCards,
  now = Date.now(),
): Promise<FeedItem[]> {
  const missing = [...new Set(candidates.filter((c) => !cards.get(c.id, now)).map((c) => c.id))];
  if (missing.length > 0) {
    const pipeline = redis.pipeline();
    for (const id of missing) pipeline.hmget(CatalogKeys.video(id), ...CARD_FIELDS);
    const replies = await pipeline.exec<unknown[]>();
    missing.forEach((id, i) => {
      const card = videoCardFromHash(id, cardFields(replies[i] ?? null));
      if (card) cards.set(card, now);
    });
  }
  return candidates.flatMap((candidate) => {
    const card = cards.get(candidate.id, now);
    return card ? [{ ...card, reason: candidate.reason }] : [];
  });
}
