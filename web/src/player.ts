import Hls from "hls.js";
import type { FeedItem } from "../../contracts/feed.schema";

/** Enough buffer for a short video and a swipe; more only costs bandwidth on videos skipped. */
const HLS_CONFIG = {
  maxBufferLength: 8,
  maxMaxBufferLength: 16,
  capLevelToPlayerSize: true,
  startFragPrefetch: true,
};

/**
 * One video element and its loader. hls.js wherever Media Source Extensions exist (it can be
 * told to buffer ahead and be torn down); the browser's own HLS where they don't (older iOS).
 */
export class Player {
  readonly video: HTMLVideoElement;
  private hls: Hls | null = null;
  private loading = false;

  constructor(readonly item: FeedItem) {
    this.video = document.createElement("video");
    this.video.poster = item.poster_url;
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.preload = "auto";
    this.video.setAttribute("aria-label", `video by @${item.creator_id}`);
  }

  /** Starts fetching the playlist and first segments; idempotent. */
  load(): void {
    if (this.loading) return;
    this.loading = true;
    if (Hls.isSupported()) {
      this.hls = new Hls(HLS_CONFIG);
      this.hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        // A fatal network error mid-swipe is usually transient; hls.js can resume from where it was.
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) this.hls?.startLoad();
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) this.hls?.recoverMediaError();
      });
      this.hls.loadSource(this.item.manifest_url);
      this.hls.attachMedia(this.video);
    } else {
      this.video.src = this.item.manifest_url;
    }
  }

  get loaded(): boolean {
    return this.loading;
  }

  /** Plays from where it is; a rejected play (autoplay policy, a pause racing it) is not an error. */
  play(): void {
    this.load();
    this.video.play().catch(() => {});
  }

  pause(): void {
    this.video.pause();
  }

  destroy(): void {
    this.hls?.destroy();
    this.hls = null;
    this.video.removeAttribute("src");
    this.video.load();
  }
}
