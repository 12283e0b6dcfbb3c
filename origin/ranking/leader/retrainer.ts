import type { RankerServiceOptions } from "../config/ranker.options";
import type { ModelState } from "../model/model.state";
import { readArchiveSessions } from "./archive.sessions";

/** A reread is a full read, and a day adds a small share to a week of archive: once a day. */
const ARCHIVE_REREAD_MS = 24 * 3_600_000;

export type RetrainerOptions = Pick<
  RankerServiceOptions,
  "s3" | "bucket" | "archivePrefix" | "trainDays" | "trainEpochs"
>;

/**
 * The leader's retraining: the embeddings learn from the event archive's sessions (reread at most
 * every ARCHIVE_REREAD_MS) and the active users' histories, in a worker thread (ModelState.retrain).
 */
export class Retrainer {
  /** Sessions from the event archive, reread at most every ARCHIVE_REREAD_MS. */
  private archiveSessions: readonly Uint32Array[] = [];
  private nextArchiveRead = 0;

  constructor(
    private readonly options: RetrainerOptions,
    private readonly model: () => ModelState,
    /** The active users' histories (their last 50 engagements). */
    private readonly histories: () => number[][],
    /** False once the ranker is stopping: a retrain then would only be abandoned. */
    private readonly running: () => boolean,
  ) {}

  /** Trains on the archive's sessions and the active users' histories; true if swapped in. */
  async retrain(now: number): Promise<boolean> {
    if (this.options.trainDays > 0 && now >= this.nextArchiveRead) await this.readArchive(now);
    // Stopped while the archive was read: a retrain now would only be abandoned.
    if (!this.running()) return false;
    return this.model().retrain(
      [...this.archiveSessions, ...this.histories()],
      this.options.trainEpochs,
    );
  }

  /** Rereads the archive sessions; on failure the old ones stay and the next retrain retries. */
  private async readArchive(now: number): Promise<void> {
    try {
      const { catalog } = this.model();
      const { sessions, stats } = await readArchiveSessions({
        s3: this.options.s3,
        bucket: this.options.bucket,
        prefix: this.options.archivePrefix,
        days: this.options.trainDays,
        now,
        // Live videos, as in the live histories; items are never reused, so these stay valid.
        itemOf: (videoId) => {
          const item = catalog.lookup(videoId);
          return item !== undefined && catalog.get(item) ? item : undefined;
        },
      });
      this.archiveSessions = sessions;
      this.nextArchiveRead = now + ARCHIVE_REREAD_MS;
      console.log(
        `ranker: archive of ${this.options.trainDays} d: ${stats.read}/${stats.listed} segments read (${stats.unreadable} unreadable), ${stats.lines} lines (${stats.malformed} malformed), ${stats.engagements} engagements with known videos (${stats.unknownVideos} unknown) → ${stats.sessions} sessions of ${stats.items} videos in ${stats.seconds.toFixed(1)} s`,
      );
    } catch (error) {
      console.error(
        "ranker: reading the event archive failed; retraining on the sessions read before, if any",
        error,
      );
    }
  }
}
