import { promisify } from "node:util";
import { gzip } from "node:zlib";
import {
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { Redis } from "ioredis";
import { STREAM_FIELD } from "../../contracts/event.schema";
import { archiveKeys, type FeatureKeys, LakeKeys } from "../../contracts/keyspace";

const gzipAsync = promisify(gzip);
const READ_CHUNK = 10_000;
/** Segments cover one minute of one partition: small enough to write often, big enough to scan. */
const SEGMENT_WINDOW_MS = 60_000;

export interface ArchiverOptions {
  redis: Redis;
  s3: S3Client;
  bucket: string;
  keys: FeatureKeys;
  partitions: number;
  prefix: string;
}

/**
 * Copies the event streams to the lake for offline training, one compressed segment per
 * partition and minute. Reads by id range from its own position, not through a consumer
 * group: a segment's content must be the same on every attempt. A minute is archived only once
 * the stream holds a later entry (ids only grow, so the minute is complete); the position moves
 * after the object exists, and an object found at the key is adopted, never rewritten.
 */
export class EventArchiver {
  constructor(private readonly options: ArchiverOptions) {}

  private get positionsKey(): string {
    return archiveKeys(this.options.prefix).positions();
  }

  /** Archives every complete minute of every partition; returns the keys written. */
  async archiveComplete(): Promise<string[]> {
    const written: string[] = [];
    for (let p = 0; p < this.options.partitions; p++) {
      const lock = archiveKeys(this.options.prefix).lock(p);
      // One archiver per partition at a time; the lock outlives any one segment upload.
      if ((await this.options.redis.set(lock, "1", "PX", 120_000, "NX")) !== "OK") continue;
      try {
        for (;;) {
          const key = await this.archiveNext(p);
          if (!key) break;
          written.push(key);
        }
      } finally {
        await this.options.redis.del(lock);
      }
    }
    return written;
  }

  private async archiveNext(p: number): Promise<string | null> {
    const { redis, keys } = this.options;
    const stream = keys.stream(p);
    const position = (await redis.hget(this.positionsKey, String(p))) ?? "0-0";
    const [next] = await redis.xrange(stream, `(${position}`, "+", "COUNT", 1);
    const [newest] = await redis.xrevrange(stream, "+", "-", "COUNT", 1);
    if (!next || !newest) return null;
    const windowStart =
      Math.floor(Number(next[0].split("-")[0]) / SEGMENT_WINDOW_MS) * SEGMENT_WINDOW_MS;
    const windowEnd = windowStart + SEGMENT_WINDOW_MS;
    if (Number(newest[0].split("-")[0]) < windowEnd) return null;
    const firstId = next[0];
    let lastId = firstId;
    const entries: { id: string; event: string | null }[] = [];
    let from = `(${position}`;
    for (;;) {
      const chunk = await redis.xrange(stream, from, `(${windowEnd}-0`, "COUNT", READ_CHUNK);
      for (const [id, fields] of chunk) {
        const at = fields.indexOf(STREAM_FIELD);
        entries.push({ id, event: at % 2 === 0 ? (fields[at + 1] ?? null) : null });
        lastId = id;
      }
      if (chunk.length < READ_CHUNK) break;
      from = `(${lastId}`;
    }
    const bots = await this.flaggedUsers(entries.map((entry) => userOf(entry.event)));
    const lines = entries.map(({ id, event }) =>
      JSON.stringify(bots.has(userOf(event)) ? { id, e: event, flagged: true } : { id, e: event }),
    );
    const key = LakeKeys.segment(p, windowStart, firstId, lastId);
    if (!(await this.exists(key))) await this.put(key, lines);
    await redis.hset(this.positionsKey, String(p), lastId);
    return key;
  }

  /**
   * Which of these users the features role has flagged as bots. Their events stay in the lake,
   * marked, so the flag can be reviewed or lifted; training skips them. A segment is archived a
   * minute after its window, by when a bot in it has usually been judged.
   */
  private async flaggedUsers(users: string[]): Promise<Set<string>> {
    const distinct = [...new Set(users.filter(Boolean))];
    if (distinct.length === 0) return new Set();
    const pipeline = this.options.redis.pipeline();
    for (const user of distinct) pipeline.exists(this.options.keys.spamUser(user));
    const results = (await pipeline.exec()) ?? [];
    return new Set(distinct.filter((_, i) => results[i]?.[1] === 1));
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.options.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound) return false;
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
        return false;
      throw error;
    }
  }

  private async put(key: string, lines: string[]): Promise<void> {
    const body = await gzipAsync(`${lines.join("\n")}\n`);
    try {
      await this.options.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: body,
          ContentType: "application/x-ndjson",
          ContentEncoding: "gzip",
          // R2 and S3 refuse to replace an existing object: two racing archivers write once.
          IfNoneMatch: "*",
        }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412) return;
      throw error;
    }
  }
}

/** The user of an archived stored event, or "" for an entry that is not one. */
function userOf(event: string | null): string {
  if (event === null) return "";
  try {
    const parsed = JSON.parse(event) as { user_id?: unknown };
    return typeof parsed.user_id === "string" ? parsed.user_id : "";
  } catch {
    return "";
  }
}
