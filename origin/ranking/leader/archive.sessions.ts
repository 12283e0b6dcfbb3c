import { pipeline, Readable } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { LakeKeys } from "../../../contracts/keyspace";
import { decodeStoredEvent } from "../../features/stored-event.decoder";
import { isRankerEngagement } from "../serving/user.signals";

/** Where the `archive` role writes event segments (LakeKeys, contracts/keyspace.ts). */
export const ARCHIVE_EVENTS_PREFIX = LakeKeys.events;
/** A pause this long ends a viewing session: the next watch starts another one. */
export const SESSION_GAP_MS = 30 * 60_000;

const DAY_MS = 86_400_000;

export interface ArchiveSessionsOptions {
  s3: S3Client;
  bucket: string;
  /** `lake/events/` in production; unique per test. */
  prefix: string;
  /** UTC days to read, back from `now`'s day (which counts as one). */
  days: number;
  /** The dense item of a video the model knows; undefined drops the event. */
  itemOf: (videoId: string) => number | undefined;
  now?: number;
  /** The newest sessions kept. */
  maxSessions?: number;
  /** Engagements kept in memory while reading; older segments stay unread once it is reached. */
  maxEvents?: number;
  /** Segments downloaded at once. */
  concurrency?: number;
}

export const DEFAULT_ARCHIVE_LIMITS = {
  maxSessions: 200_000,
  maxEvents: 2_000_000,
  concurrency: 4,
} as const;

export interface ArchiveReadStats {
  /** Segments listed for the days asked. */
  listed: number;
  /** Segments read to the end; those not read (the event cap was reached first) are neither. */
  read: number;
  /** Segments that failed to download or decompress: skipped whole. */
  unreadable: number;
  lines: number;
  /** Lines that are not an archived stored event. */
  malformed: number;
  /** Lines of users flagged as bots when archived: kept in the lake, never trained on. */
  flagged: number;
  /** Engagements with a video the model knows, as read (repeats included). */
  engagements: number;
  /** Engagements with a video the model does not know. */
  unknownVideos: number;
  sessions: number;
  items: number;
  seconds: number;
}

export interface ArchiveSessions {
  /** Dense items, oldest first within a session; the sessions newest first. */
  sessions: Uint32Array[];
  stats: ArchiveReadStats;
}

/**
 * Per-user viewing sessions from the event archive's last `days` UTC days, for retraining the
 * embeddings: engagements (isRankerEngagement) with known videos, ordered by the edge's clock and then
 * the stream id (one batch shares a receive time), split where the user paused more than 30
 * minutes, repeats of the same video in a row collapsed as the live history does, sessions
 * shorter than 2 dropped. Segments are read newest first, a few at a time, so memory stays
 * bounded by `maxEvents` and the newest behaviour is what is kept. A malformed line or an
 * unreadable segment is skipped and counted, never fatal; listing failures throw.
 */
export async function readArchiveSessions(
  options: ArchiveSessionsOptions,
): Promise<ArchiveSessions> {
  const started = performance.now();
  const maxEvents = options.maxEvents ?? DEFAULT_ARCHIVE_LIMITS.maxEvents;
  const concurrency = options.concurrency ?? DEFAULT_ARCHIVE_LIMITS.concurrency;
  const keys = await listSegments(options, archiveDates(options.now ?? Date.now(), options.days));
  const stats: ArchiveReadStats = {
    listed: keys.length,
    read: 0,
    unreadable: 0,
    lines: 0,
    malformed: 0,
    flagged: 0,
    engagements: 0,
    unknownVideos: 0,
    sessions: 0,
    items: 0,
    seconds: 0,
  };
  const byUser = new Map<string, number[]>();
  let kept = 0;
  let next = 0;
  const worker = async () => {
    while (next < keys.length && kept < maxEvents) {
      const key = keys[next++] as string;
      try {
        const segment = await readSegment(options, key);
        stats.read++;
        stats.lines += segment.lines;
        stats.malformed += segment.malformed;
        stats.flagged += segment.flagged;
        stats.unknownVideos += segment.unknownVideos;
        stats.engagements += segment.engagements.length;
        kept += segment.engagements.length;
        for (const { user, at, idMs, idSeq, item } of segment.engagements) {
          const log = byUser.get(user) ?? [];
          log.push(at, idMs, idSeq, item);
          byUser.set(user, log);
        }
      } catch {
        stats.unreadable++;
      }
      await yieldToEventLoop();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const sessions = await sessionsOf(
    byUser,
    options.maxSessions ?? DEFAULT_ARCHIVE_LIMITS.maxSessions,
  );
  stats.sessions = sessions.length;
  stats.items = sessions.reduce((sum, s) => sum + s.length, 0);
  stats.seconds = (performance.now() - started) / 1000;
  return { sessions, stats };
}

/** `YYYY-MM-DD` of `now`'s UTC day and the `days − 1` before it. */
function archiveDates(now: number, days: number): string[] {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  return Array.from({ length: days }, (_, d) =>
    new Date(today - d * DAY_MS).toISOString().slice(0, 10),
  );
}

/** Segment keys of the given days, newest window first (the key's file name starts with it). */
async function listSegments(options: ArchiveSessionsOptions, dates: string[]): Promise<string[]> {
  const found: { key: string; windowStart: number }[] = [];
  for (const date of dates) {
    let token: string | undefined;
    do {
      const page = await options.s3.send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          Prefix: options.prefix + LakeKeys.day(date),
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const windowStart = Number.parseInt(object.Key.slice(object.Key.lastIndexOf("/") + 1), 10);
        found.push({
          key: object.Key,
          windowStart: Number.isFinite(windowStart) ? windowStart : 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  return found.sort((a, b) => b.windowStart - a.windowStart).map((f) => f.key);
}

interface Engagement {
  user: string;
  /** The edge's receive time. */
  at: number;
  /** The stream id `idMs-idSeq`: the order within one receive time. */
  idMs: number;
  idSeq: number;
  item: number;
}

interface SegmentContent {
  lines: number;
  malformed: number;
  flagged: number;
  unknownVideos: number;
  engagements: Engagement[];
}

/**
 * One segment's engagements, returned only once the whole segment was read: a segment that
 * fails halfway adds nothing, rather than half of itself.
 */
async function readSegment(options: ArchiveSessionsOptions, key: string): Promise<SegmentContent> {
  const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
  const body = object.Body;
  if (!(body instanceof Readable)) throw new Error(`${key}: no body stream`);
  const content: SegmentContent = {
    lines: 0,
    malformed: 0,
    flagged: 0,
    unknownVideos: 0,
    engagements: [],
  };
  try {
    for await (const line of linesOf(body)) {
      if (line.length === 0) continue;
      content.lines++;
      const decoded = decodeLine(line);
      if (!decoded) {
        content.malformed++;
        continue;
      }
      if (decoded.flagged) {
        content.flagged++;
        continue;
      }
      if (!decoded.engaged) continue;
      const item = options.itemOf(decoded.videoId);
      if (item === undefined) content.unknownVideos++;
      else content.engagements.push({ ...decoded.engagement, item });
    }
  } finally {
    body.destroy();
  }
  return content;
}

/** The segment's lines, gunzipped as they arrive. */
async function* linesOf(body: Readable): AsyncGenerator<string> {
  let carry = "";
  for await (const chunk of textOf(body)) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    yield* lines;
  }
  if (carry.length > 0) yield carry;
}

async function* textOf(body: Readable): AsyncGenerator<string> {
  const chunks: AsyncIterator<Buffer> = body[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return;
  const all = Readable.from(
    (async function* () {
      yield first.value;
      for (let chunk = await chunks.next(); !chunk.done; chunk = await chunks.next()) {
        yield chunk.value;
      }
    })(),
  );
  // Segments are stored gzip with Content-Encoding: gzip, which a store may decode on the way
  // out (R2 has been seen to): the gzip magic, not the header, says whether to gunzip.
  const gzipped = first.value[0] === 0x1f && first.value[1] === 0x8b;
  const text = gzipped ? pipeline(all, createGunzip(), () => undefined) : all;
  text.setEncoding("utf8");
  for await (const chunk of text) yield chunk as string;
}

type DecodedLine =
  | { flagged: true }
  | { flagged: false; engaged: false }
  | { flagged: false; engaged: true; videoId: string; engagement: Omit<Engagement, "item"> };

/**
 * An archived line `{"id": stream id, "e": stored event JSON, "flagged"?: true}`
 * (event-archiver.ts), or null.
 */
function decodeLine(line: string): DecodedLine | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const { id, e, flagged } = raw as Record<string, unknown>;
  if (typeof id !== "string" || typeof e !== "string") return null;
  if (flagged === true) return { flagged: true };
  const idParts = /^(\d+)-(\d+)$/.exec(id);
  const stored = decodeStoredEvent(e);
  if (!idParts || !stored) return null;
  if (!isRankerEngagement(stored.event.type)) return { flagged: false, engaged: false };
  return {
    flagged: false,
    engaged: true,
    videoId: stored.event.video_id,
    engagement: {
      user: stored.user_id,
      at: stored.received_at,
      idMs: Number(idParts[1]),
      idSeq: Number(idParts[2]),
    },
  };
}

/** Engagements are kept per user as flat quadruples `[at, idMs, idSeq, item]`. */
const STRIDE = 4;
/** Engagements ordered between two turns of the event loop. */
const EVENTS_PER_TURN = 50_000;

/** Each user's sessions, then the newest `maxSessions` of all (by their last engagement). */
async function sessionsOf(
  byUser: Map<string, number[]>,
  maxSessions: number,
): Promise<Uint32Array[]> {
  const sessions: { end: number; items: Uint32Array }[] = [];
  let sinceYield = 0;
  for (const log of byUser.values()) {
    for (const session of splitSessions(log)) sessions.push(session);
    sinceYield += log.length / STRIDE;
    if (sinceYield >= EVENTS_PER_TURN) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return sessions
    .sort((a, b) => b.end - a.end)
    .slice(0, maxSessions)
    .map((s) => s.items);
}

function splitSessions(log: readonly number[]): { end: number; items: Uint32Array }[] {
  const field = (e: number, f: number) => log[e * STRIDE + f] as number;
  const order = Array.from({ length: log.length / STRIDE }, (_, e) => e).sort(
    (a, b) => field(a, 0) - field(b, 0) || field(a, 1) - field(b, 1) || field(a, 2) - field(b, 2),
  );
  const sessions: { end: number; items: Uint32Array }[] = [];
  let items: number[] = [];
  let last: number | undefined;
  const close = () => {
    if (items.length >= 2 && last !== undefined) {
      sessions.push({ end: field(last, 0), items: Uint32Array.from(items) });
    }
    items = [];
  };
  for (const e of order) {
    if (last !== undefined && field(e, 0) - field(last, 0) > SESSION_GAP_MS) close();
    const item = field(e, 3);
    // Also drops an entry archived twice: sorted by stream id, its copies are neighbours.
    if (items[items.length - 1] !== item) items.push(item);
    last = e;
  }
  close();
  return sessions;
}
