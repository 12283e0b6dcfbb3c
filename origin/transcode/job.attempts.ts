import type { TranscodeJob } from "../../contracts/upload.schema";
import { MediaRejection } from "../media-probe/media.probe";
import { deadLetter } from "./job.dead-letter";
import { transcodeOnce } from "./job.transcode";
import { sleep, type TranscodeContext } from "./transcode.context";

/**
 * Runs a job until it is settled: skipped when the catalog has no such video or it is already
 * settled; attempts counted in the catalog (a crashed attempt counts too), retried with doubling
 * backoff, rejected for good on a MediaRejection, dead-lettered after `maxAttempts`. A stop mid-
 * attempt gives the attempt back and leaves the job pending for the next worker.
 */
export async function transcodeWithRetries(
  ctx: TranscodeContext,
  job: TranscodeJob,
): Promise<void> {
  const { catalog, log, tag } = ctx;
  for (;;) {
    const entry = await catalog.get(job.video_id);
    if (!entry) {
      log(`${tag}: ${job.video_id} is not in the catalog; dropping the job`);
      return;
    }
    if (entry.status === "live" || entry.status === "rejected" || entry.status === "failed") {
      return;
    }
    const attempt = await catalog.countAttempt(job.video_id);
    if (attempt > ctx.maxAttempts) {
      await deadLetter(
        ctx,
        job,
        attempt - 1,
        entry.reason ?? "the worker stopped during every attempt",
      );
      return;
    }
    try {
      await transcodeOnce(ctx, job, attempt);
      return;
    } catch (error) {
      if (ctx.signal.aborted) {
        // Stopped, not failed: the job stays pending for the next worker at no cost.
        await catalog.countAttempt(job.video_id, -1).catch(() => {});
        throw error;
      }
      if (error instanceof MediaRejection) {
        await catalog.setStatus(job.video_id, "rejected", { reason: error.message });
        log(`${tag}: ${job.video_id} rejected: ${error.message}`);
        return;
      }
      const reason = error instanceof Error ? error.message : String(error);
      log(`${tag}: ${job.video_id} attempt ${attempt}/${ctx.maxAttempts} failed: ${reason}`);
      if (attempt >= ctx.maxAttempts) {
        await deadLetter(ctx, job, attempt, reason);
        return;
      }
      await catalog.setStatus(job.video_id, "processing", { reason: `retrying: ${reason}` });
      await sleep(ctx.backoffMs * 2 ** (attempt - 1), ctx.signal);
    }
  }
}
