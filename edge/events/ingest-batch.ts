import type { Redis } from "@upstash/redis/cloudflare";
import * as v from "valibot";
import {
  type ClientEvent,
  ClientEventSchema,
  isLowValue,
  isSuppressing,
  partitionOf,
  type RejectedEvent,
  type StoredEvent,
} from "../../contracts/event.schema";
import { hash32 } from "../../contracts/hash";
import { EventKeys } from "../../contracts/keyspace";
import { APPEND_EVENTS_LUA } from "./append-events.lua";

export interface EventSource {
  userId: string;
  region: string;
  sessionId: string;
}

export interface IngestOptions {
  sampleRate: number;
  partitions: number;
  /** Approximate MAXLEN of each partition: about an hour of peak traffic per partition. */
  maxLen?: number;
  /** How long a client event id is remembered; client retries give up well within it. */
  dedupeTtlSeconds?: number;
  now?: number;
  /** Prepended to the stream and dedupe keys; tests use it to share one Redis. */
  keyPrefix?: string;
}

export interface IngestResult {
  accepted: StoredEvent[];
  duplicates: number;
  sampledOut: number;
  rejected: RejectedEvent[];
  /** Accepted or sampled-out, not duplicate: the events the user's feed must respect now. */
  suppressing: ClientEvent[];
}

const DEFAULT_MAX_LEN = 1_000_000;
const DEFAULT_DEDUPE_TTL_S = 3_600;

function rejection(index: number, issues: readonly v.BaseIssue<unknown>[]): RejectedEvent {
  const issue = issues[0];
  return {
    index,
    field: (issue && v.getDotPath(issue)) || "",
    reason: issue?.message ?? "invalid event",
  };
}

// Decided by a hash of (user, event id), not by chance, so a retried event meets the same
// fate and the duplicate check stays meaningful.
function keptBySampling(source: EventSource, event: ClientEvent, rate: number): boolean {
  return hash32(`${source.userId}:${event.id}`) / 0x1_0000_0000 < rate;
}

/**
 * The signal path's edge half: validates each event on its own, sheds low-value events by
 * sampling, then drops retries and appends the rest to the user's partition in one round trip.
 */
export async function ingestBatch(
  redis: Redis,
  source: EventSource,
  events: readonly unknown[],
  options: IngestOptions,
): Promise<IngestResult> {
  const now = options.now ?? Date.now();
  const weight = 1 / options.sampleRate;
  const rejected: RejectedEvent[] = [];
  const kept: StoredEvent[] = [];
  const sampledOutEvents: ClientEvent[] = [];
  events.forEach((raw, index) => {
    const parsed = v.safeParse(ClientEventSchema, raw);
    if (!parsed.success) {
      rejected.push(rejection(index, parsed.issues));
      return;
    }
    const event = parsed.output;
    const lowValue = isLowValue(event);
    if (lowValue && !keptBySampling(source, event, options.sampleRate)) {
      sampledOutEvents.push(event);
      return;
    }
    kept.push({
      event,
      user_id: source.userId,
      session_id: source.sessionId,
      region: source.region,
      received_at: now,
      weight: lowValue ? weight : 1,
    });
  });
  const appended = kept.length === 0 ? [] : await append(redis, source, kept, options);
  const accepted = kept.filter((_, i) => appended[i] === 1);
  return {
    accepted,
    duplicates: kept.length - accepted.length,
    sampledOut: sampledOutEvents.length,
    rejected,
    suppressing: [...accepted.map((stored) => stored.event), ...sampledOutEvents].filter(
      isSuppressing,
    ),
  };
}

async function append(
  redis: Redis,
  source: EventSource,
  kept: StoredEvent[],
  options: IngestOptions,
): Promise<number[]> {
  const prefix = options.keyPrefix ?? "";
  const stream = prefix + EventKeys.stream(partitionOf(source.userId, options.partitions));
  const keys = [stream, ...kept.map((s) => prefix + EventKeys.dedupe(source.userId, s.event.id))];
  const args = [
    String(options.maxLen ?? DEFAULT_MAX_LEN),
    String(options.dedupeTtlSeconds ?? DEFAULT_DEDUPE_TTL_S),
    ...kept.map((stored) => JSON.stringify(stored)),
  ];
  return redis.createScript<number[]>(APPEND_EVENTS_LUA).exec(keys, args);
}
