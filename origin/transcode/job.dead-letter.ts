import type { TranscodeJob } from "../../contracts/upload.schema";
import type { TranscodeContext } from "./transcode.context";

/**
 * Gives a job up: appends it to the dead-letter stream with its last error, marks the video failed
 * and frees its digest, so the same file uploaded again makes a new video instead of this one.
 */
export async function deadLetter(
  ctx: TranscodeContext,
  job: TranscodeJob,
  attempts: number,
  reason: string,
): Promise<void> {
  const { redis, catalog } = ctx;
  await redis.xadd(
    ctx.deadLetterStream,
    "*",
    "video_id",
    job.video_id,
    "original_key",
    job.original_key,
    "attempts",
    String(attempts),
    "error",
    reason,
    "failed_at",
    new Date().toISOString(),
  );
  await catalog.setStatus(job.video_id, "failed", {
    reason: `transcoding failed after ${attempts} attempts: ${reason}`,
  });
  const entry = await catalog.get(job.video_id);
  if (entry?.sha256) await catalog.releaseDigest(entry.creator_id, entry.sha256, job.video_id);
  ctx.log(`${ctx.tag}: ${job.video_id} dead-lettered after ${attempts} attempts`);
}
