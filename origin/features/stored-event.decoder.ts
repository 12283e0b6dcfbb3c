import {
  type ClientEvent,
  EVENT_TYPES,
  type EventType,
  type StoredEvent,
} from "../../contracts/event.schema";

/*
 * StoredEventSchema (contracts/event.schema.ts), checked by hand. Every stream entry was
 * validated by the edge before it was written, so here validation only has to keep out what
 * no edge wrote. On the processor's hot path valibot's generic walk cost more than JSON.parse
 * itself (measured per entry: JSON.parse 1.1 µs, valibot 1.8 µs, these checks 0.4 µs). The
 * result must be the schema's, entry for entry: stored-event.decoder.test.ts runs both over
 * valid and broken entries and compares.
 */
const CLIENT_EVENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Video, creator, audio and user ids. */
const REF_ID = /^[A-Za-z0-9_-]{1,64}$/;
const REGION = /^[a-z]{2,8}(-[a-z0-9]{1,8})?$/;
const MAX_MILLIS = 3_600_000;
const MAX_SESSION_ID_LENGTH = 64;
const MIN_WEIGHT = 1;
const MAX_WEIGHT = 1_000;

const TYPES = new Set<unknown>(EVENT_TYPES);

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => typeof value === "object" && value !== null;
const matches = (value: unknown, pattern: RegExp): value is string =>
  typeof value === "string" && pattern.test(value);
// Number.isInteger is false for NaN and ±Infinity, which the schema's v.number() and
// v.integer() reject too.
const isEpochMillis = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0;
const isMillis = (value: unknown): value is number => isEpochMillis(value) && value <= MAX_MILLIS;
const isWeight = (value: unknown): value is number =>
  typeof value === "number" && value >= MIN_WEIGHT && value <= MAX_WEIGHT;
const isSessionId = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 1 && value.length <= MAX_SESSION_ID_LENGTH;

/**
 * The client event of one variant of ClientEventSchema, or null. Built afresh in the schema's
 * key order, so fields no schema knows are dropped as valibot drops them. An optional field is
 * checked when its key is present (the schema's `key in input`), whatever its value.
 */
function decodeEvent(raw: unknown): ClientEvent | null {
  if (!isFields(raw) || !TYPES.has(raw.type)) return null;
  const type = raw.type as EventType;
  const { id, video_id, ts } = raw;
  if (!matches(id, CLIENT_EVENT_ID) || !matches(video_id, REF_ID) || !isEpochMillis(ts)) {
    return null;
  }
  const event: Fields = { type, id, video_id, ts };
  const followsCreator = type === "follow" || type === "unfollow";
  if (followsCreator || "creator_id" in raw) {
    if (!matches(raw.creator_id, REF_ID)) return null;
    event.creator_id = raw.creator_id;
  }
  if ("audio_id" in raw) {
    if (!matches(raw.audio_id, REF_ID)) return null;
    event.audio_id = raw.audio_id;
  }
  if (type === "progress") {
    const { watch_ms, position_ms, duration_ms } = raw;
    if (!isMillis(watch_ms) || !isMillis(position_ms) || !isMillis(duration_ms)) return null;
    event.watch_ms = watch_ms;
    event.position_ms = position_ms;
    event.duration_ms = duration_ms;
  } else if (type === "skip" && "watch_ms" in raw) {
    if (!isMillis(raw.watch_ms)) return null;
    event.watch_ms = raw.watch_ms;
  }
  // Every field of the type's variant was checked above.
  return event as ClientEvent;
}

/** The StoredEvent a stream entry's JSON holds, exactly as StoredEventSchema parses it, or null. */
export function decodeStoredEvent(json: string): StoredEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isFields(raw)) return null;
  const event = decodeEvent(raw.event);
  const { user_id, session_id, region, received_at, weight } = raw;
  if (
    event === null ||
    !matches(user_id, REF_ID) ||
    !isSessionId(session_id) ||
    !matches(region, REGION) ||
    !isEpochMillis(received_at) ||
    !isWeight(weight)
  ) {
    return null;
  }
  return { event, user_id, session_id, region, received_at, weight };
}
