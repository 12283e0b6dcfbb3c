import type { Redis } from "ioredis";
import * as v from "valibot";
import { ConsumerGroups } from "../../contracts/keyspace";
import { type TranscodeJob, TranscodeJobSchema } from "../../contracts/upload.schema";
import { ensureConsumerGroup, readGroup } from "../streams/consumer-group";

export const TRANSCODE_GROUP = ConsumerGroups.transcoders;

export interface QueuedJob {
  /** The stream entry id, to XACK. */
  entryId: string;
  job: TranscodeJob;
}

export async function enqueueTranscode(
  redis: Redis,
  stream: string,
  job: TranscodeJob,
): Promise<string> {
  const id = await redis.xadd(
    stream,
    "*",
    "video_id",
    job.video_id,
    "original_key",
    job.original_key,
  );
  if (!id) throw new Error("XADD returned no id");
  return id;
}

/** Creates the consumer group from the stream's start (jobs queued before any worker count). */
export function ensureGroup(redis: Redis, stream: string, group = TRANSCODE_GROUP): Promise<void> {
  return ensureConsumerGroup(redis, stream, group);
}

/** Turns one raw stream entry `[id, [k, v, k, v…]]` into a job; undefined if malformed. */
export function parseEntry(
  raw: unknown,
): QueuedJob | { entryId: string; job?: undefined } | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== "string") return undefined;
  const [entryId, flat] = raw as [string, unknown];
  const fields: Record<string, unknown> = {};
  if (Array.isArray(flat)) {
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = flat[i + 1];
  }
  const parsed = v.safeParse(TranscodeJobSchema, fields);
  return parsed.success ? { entryId, job: parsed.output } : { entryId };
}

/**
 * Takes over one entry idle longer than `minIdleMs` in another consumer's pending list: the job
 * of a worker that crashed (its process gone, its heartbeat stopped).
 */
export async function autoclaimOne(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  minIdleMs: number,
): Promise<ReturnType<typeof parseEntry>> {
  const reply = await redis.call(
    "XAUTOCLAIM",
    stream,
    group,
    consumer,
    String(minIdleMs),
    "0-0",
    "COUNT",
    "1",
  );
  const entries = Array.isArray(reply) ? reply[1] : undefined;
  return Array.isArray(entries) ? parseEntry(entries[0]) : undefined;
}

export async function readNew(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  blockMs: number,
): Promise<ReturnType<typeof parseEntry>> {
  const reply = await readGroup(redis, { group, consumer, streams: [stream], count: 1, blockMs });
  // [[stream, [[id, fields]]]] or null on timeout.
  if (!reply) return undefined;
  const first = reply[0];
  const entries = Array.isArray(first) ? first[1] : undefined;
  return Array.isArray(entries) ? parseEntry(entries[0]) : undefined;
}

/** Resets the entry's idle time so other workers don't reclaim a job that is still running. */
export async function heartbeat(
  redis: Redis,
  stream: string,
  group: string,
  consumer: string,
  entryId: string,
): Promise<void> {
  await redis.call("XCLAIM", stream, group, consumer, "0", entryId, "JUSTID");
}
