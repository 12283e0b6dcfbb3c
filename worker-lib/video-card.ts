import type { Redis } from "@upstash/redis/cloudflare";
import type { FeedItem, FeedReason } from "../contracts/feed.schema";
import { CatalogKeys, MediaKeys } from "../contracts/keyspace";

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
  if (hash?.status !== "live") return null;
  const version = Number(hash.version);
  const duration = Number(hash.duration_ms);
  if (!Number.isInteger(version) || version < 1 || !Number.isFinite(duration)) return null;
  return {
    id: candidate.id,
    manifest_url: `/v1/${MediaKeys.master(candidate.id, version)}`,
    poster_url: `/v1/${MediaKeys.poster(candidate.id, version)}`,
    duration_ms: Math.max(0, Math.round(duration)),
    creator_id: String(hash.creator_id ?? ""),
    hashtags: stringArray(hash.hashtags),
    audio_id: String(hash.audio_id ?? ""),
    reason: candidate.reason,
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

/** Reads the candidates' cards in one pipeline and keeps the live ones, in order. */
export async function hydrateCandidates(
  redis: Redis,
  candidates: readonly Candidate[],
): Promise<FeedItem[]> {
  if (candidates.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const candidate of candidates) {
    pipeline.hmget(CatalogKeys.video(candidate.id), ...CARD_FIELDS);
  }
  const replies = await pipeline.exec<unknown[]>();
  return candidates.flatMap(
    (candidate, i) => cardFromHash(candidate, cardFields(replies[i] ?? null)) ?? [],
  );
}
