import type { Redis } from "ioredis";
import type { TranscodeContext } from "./transcode.context";
import {
  autoclaimOne,
  heartbeat,
  type QueuedJob,
  readNew,
  TRANSCODE_GROUP,
} from "./transcode.queue";

/**
 * The next entry for this worker: first a job a dead worker left pending past `claimIdleMs`, else
 * a new one, waiting up to `blockMs` on the blocking connection. Undefined when none came.
 */
export async function claimNext(
  ctx: TranscodeContext,
  blocking: Redis,
  blockMs: number,
): ReturnType<typeof readNew> {
  return (
    (await autoclaimOne(ctx.redis, ctx.stream, TRANSCODE_GROUP, ctx.consumer, ctx.claimIdleMs)) ??
    (await readNew(blocking, ctx.stream, TRANSCODE_GROUP, ctx.consumer, blockMs))
  );
}

/**
 * Runs a claimed job and acknowledges it once it is settled (live, rejected, dead-lettered). While
 * it runs, a heartbeat resets its idle time so no other worker takes it over.
 */
export async function runClaimed(
  ctx: TranscodeContext,
  { entryId, job }: QueuedJob,
  run: (job: QueuedJob["job"]) => Promise<void>,
): Promise<void> {
  const beat = setInterval(
    () => {
      heartbeat(ctx.redis, ctx.stream, TRANSCODE_GROUP, ctx.consumer, entryId).catch(() => {});
    },
    Math.max(250, Math.floor(ctx.claimIdleMs / 3)),
  );
  try {
    await run(job);
    await ctx.redis.xack(ctx.stream, TRANSCODE_GROUP, entryId);
  } finally {
    clearInterval(beat);
  }
}

/** Acknowledges a malformed entry: no attempt can make it a job. */
export async function dropMalformed(ctx: TranscodeContext, entryId: string): Promise<void> {
  await ctx.redis.xack(ctx.stream, TRANSCODE_GROUP, entryId);
}
