import type { FeedItem } from "../../contracts/feed.schema";
import type { Report } from "./event-queue";

/** A watch longer than this is reported as progress while it lasts, not only at the end. */
const PROGRESS_EVERY_MS = 5_000;
const REF_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The creator and sound of an event, when the page gave valid ones. */
export function refs(item: FeedItem): { creator_id?: string; audio_id?: string } {
  return {
    ...(REF_ID.test(item.creator_id) ? { creator_id: item.creator_id } : {}),
    ...(REF_ID.test(item.audio_id) ? { audio_id: item.audio_id } : {}),
  };
}

/**
 * The events of one view of one video: impression when shown, play at the first frame, progress
 * with the watch time not yet reported (the processor sums it), complete at the first end,
 * replay at each restart, and skip when left unfinished. A skip carries its watch time only
 * while no progress was reported, so hard-skip detection (< 1 s) sees the whole watch.
 */
export class ViewTracker {
  private watchedMs = 0;
  private reportedMs = 0;
  private lastTime = 0;
  private played = false;
  private completed = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly item: FeedItem,
    private readonly video: HTMLVideoElement,
    private readonly emit: (report: Report) => void,
  ) {}

  start(): void {
    this.emit({ type: "impression", ...this.base() });
    const on = (type: string, handler: () => void) =>
      this.video.addEventListener(type, handler, { signal: this.abort.signal });
    this.lastTime = this.video.currentTime;
    on("playing", () => {
      if (this.played) return;
      this.played = true;
      this.emit({ type: "play", ...this.base() });
    });
    on("timeupdate", () => this.advance(this.video.currentTime));
    on("ended", () => this.onEnded());
  }

  /** Ends the view; returns whether the video was watched to the end at least once. */
  end(): boolean {
    this.abort.abort();
    if (this.completed) {
      this.reportProgress();
    } else if (this.reportedMs === 0) {
      this.emit({ type: "skip", ...this.base(), watch_ms: Math.round(this.watchedMs) });
    } else {
      this.reportProgress();
      this.emit({ type: "skip", ...this.base() });
    }
    return this.completed;
  }

  private base() {
    return { video_id: this.item.id, ...refs(this.item) };
  }

  private advance(time: number): void {
    const delta = (time - this.lastTime) * 1000;
    // Only forward steps of normal playback count; a loop back to 0 or a seek does not.
    if (delta > 0 && delta < 2_000) this.watchedMs += delta;
    this.lastTime = time;
    if (this.watchedMs - this.reportedMs >= PROGRESS_EVERY_MS) this.reportProgress();
  }

  private onEnded(): void {
    this.advance(this.video.duration);
    this.reportProgress();
    if (!this.completed) {
      this.completed = true;
      this.emit({ type: "complete", ...this.base() });
    }
    // Short videos loop, as viewers expect; each restart after the end is a replay.
    this.lastTime = 0;
    this.video.currentTime = 0;
    this.video.play().catch(() => {});
    this.emit({ type: "replay", ...this.base() });
  }

  private reportProgress(): void {
    const watch = Math.round(this.watchedMs - this.reportedMs);
    if (watch <= 0) return;
    this.reportedMs += watch;
    const durationMs = this.item.duration_ms || Math.round(this.video.duration * 1000) || 0;
    this.emit({
      type: "progress",
      ...this.base(),
      watch_ms: Math.min(watch, 3_600_000),
      position_ms: Math.min(Math.round(this.video.currentTime * 1000), 3_600_000),
      duration_ms: Math.min(durationMs, 3_600_000),
    });
  }
}
