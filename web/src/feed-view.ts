import type { FeedItem } from "../../contracts/feed.schema";
import type { Report } from "./event-queue";
import { Player } from "./player";
import { ViewTracker } from "./view-tracker";

/** Videos buffered ahead of the current one. */
const PRELOAD_AHEAD = 2;
/** Ask for the next page while this many videos are still ahead, so a swipe never waits. */
const REFILL_AT = 4;
const SWIPE_MIN_PX = 50;
const WHEEL_COOLDOWN_MS = 450;

/** Time from a swipe to the first frame the next video presents. */
export interface SwipeSample {
  video_id: string;
  ms: number;
  prebuffered: boolean;
}

export interface FeedViewOptions {
  root: HTMLElement;
  emit: (report: Report) => void;
  more: () => Promise<FeedItem[]>;
  prebuffer: boolean;
  onChange: (item: FeedItem) => void;
}

interface Slot {
  card: HTMLElement;
  player: Player;
}

/**
 * The vertical pager: one full-screen card per video, moved by swipe, wheel or arrow keys. Only
 * the previous, current and next two cards exist in the DOM; the next two buffer while the
 * current one plays, and everything further away is torn down.
 */
export class FeedView {
  readonly items: FeedItem[] = [];
  readonly swipes: SwipeSample[] = [];
  index = -1;
  muted = true;
  private readonly track: HTMLElement;
  private readonly slots = new Map<string, Slot>();
  private tracker: ViewTracker | null = null;
  private lastWheel = 0;
  private refilling = false;

  constructor(private readonly options: FeedViewOptions) {
    this.track = document.createElement("div");
    this.track.className = "track";
    options.root.append(this.track);
    this.listen();
  }

  get current(): FeedItem | undefined {
    return this.items[this.index];
  }

  get currentVideo(): HTMLVideoElement | undefined {
    const item = this.current;
    return item ? this.slots.get(item.id)?.player.video : undefined;
  }

  /** Adds a page, skipping videos already in the list (a retried page may overlap). */
  append(items: readonly FeedItem[]): void {
    const known = new Set(this.items.map((item) => item.id));
    this.items.push(...items.filter((item) => !known.has(item.id)));
    if (this.index < 0 && this.items.length > 0) this.show(0, false);
    else this.render();
  }

  /** Drops every video after the current one for which `drop` is true. */
  removeAhead(drop: (item: FeedItem) => boolean): void {
    for (let i = this.items.length - 1; i > this.index; i--) {
      if (drop(this.items[i]!)) this.items.splice(i, 1);
    }
    this.render();
    void this.refill();
  }

  next(): void {
    if (this.index + 1 < this.items.length) this.show(this.index + 1, true);
    else void this.refill();
  }

  previous(): void {
    if (this.index > 0) this.show(this.index - 1, true);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    const video = this.currentVideo;
    if (video) video.muted = muted;
  }

  togglePause(): void {
    const video = this.currentVideo;
    if (!video) return;
    if (video.paused) video.play().catch(() => {});
    else video.pause();
  }

  /** Ends the current view (its skip or final progress) before the page goes away. */
  endView(): void {
    this.tracker?.end();
    this.tracker = null;
  }

  private show(index: number, swiped: boolean): void {
    const swipeAt = performance.now();
    this.endView();
    const previous = this.current;
    if (previous) this.slots.get(previous.id)?.player.pause();
    this.index = index;
    this.render();
    const item = this.items[index]!;
    const { player } = this.slot(item);
    const prebuffered = player.loaded;
    player.video.muted = this.muted;
    player.video.currentTime = 0;
    this.tracker = new ViewTracker(item, player.video, this.options.emit);
    this.tracker.start();
    if (swiped) this.measureFirstFrame(player.video, item.id, swipeAt, prebuffered);
    player.play();
    this.options.onChange(item);
    if (this.items.length - index <= REFILL_AT) void this.refill();
  }

  private measureFirstFrame(
    video: HTMLVideoElement,
    id: string,
    swipeAt: number,
    prebuffered: boolean,
  ): void {
    const record = () => {
      if (this.current?.id === id) {
        this.swipes.push({ video_id: id, ms: performance.now() - swipeAt, prebuffered });
      }
    };
    // Typed as always present, but Firefox lacks it.
    const frames: Partial<Pick<HTMLVideoElement, "requestVideoFrameCallback">> = video;
    if (frames.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(record);
    } else {
      // No frame callback (Firefox): the first time update after playing is the nearest signal.
      const onTime = () => {
        if (video.currentTime <= 0) return;
        video.removeEventListener("timeupdate", onTime);
        record();
      };
      video.addEventListener("timeupdate", onTime);
    }
  }

  private async refill(): Promise<void> {
    if (this.refilling) return;
    this.refilling = true;
    try {
      this.append(await this.options.more());
    } catch {
      // The next swipe or the next refill threshold tries again.
    } finally {
      this.refilling = false;
    }
  }

  private slot(item: FeedItem): Slot {
    let slot = this.slots.get(item.id);
    if (!slot) {
      const card = document.createElement("section");
      card.className = "card";
      card.dataset.videoId = item.id;
      const player = new Player(item);
      card.append(player.video);
      this.track.append(card);
      slot = { card, player };
      this.slots.set(item.id, slot);
    }
    return slot;
  }

  /** Keeps cards for index-1 … index+PRELOAD_AHEAD, in place; tears down the rest. */
  private render(): void {
    const keep = new Set<string>();
    for (let i = Math.max(0, this.index - 1); i <= this.index + PRELOAD_AHEAD; i++) {
      const item = this.items[i];
      if (!item) continue;
      keep.add(item.id);
      const { card, player } = this.slot(item);
      card.style.transform = `translateY(${i * 100}%)`;
      card.classList.toggle("current", i === this.index);
      if (i > this.index && this.options.prebuffer) player.load();
    }
    for (const [id, slot] of this.slots) {
      if (keep.has(id)) continue;
      slot.player.destroy();
      slot.card.remove();
      this.slots.delete(id);
    }
    this.track.style.transform = `translateY(${-Math.max(0, this.index) * 100}%)`;
  }

  private listen(): void {
    const root = this.options.root;
    let startY: number | null = null;
    root.addEventListener(
      "touchstart",
      (e) => {
        startY = e.touches[0]?.clientY ?? null;
        this.track.classList.add("dragging");
      },
      { passive: true },
    );
    root.addEventListener(
      "touchmove",
      (e) => {
        const y = e.touches[0]?.clientY;
        if (startY === null || y === undefined) return;
        e.preventDefault();
        this.track.style.transform = `translateY(calc(${-this.index * 100}% + ${y - startY}px))`;
      },
      { passive: false },
    );
    root.addEventListener("touchend", (e) => {
      this.track.classList.remove("dragging");
      const y = e.changedTouches[0]?.clientY;
      const dy = startY === null || y === undefined ? 0 : y - startY;
      startY = null;
      if (dy < -SWIPE_MIN_PX) this.next();
      else if (dy > SWIPE_MIN_PX) this.previous();
      else this.render();
    });
    root.addEventListener(
      "wheel",
      (e) => {
        e.preventDefault();
        const now = performance.now();
        if (Math.abs(e.deltaY) < 20 || now - this.lastWheel < WHEEL_COOLDOWN_MS) return;
        this.lastWheel = now;
        if (e.deltaY > 0) this.next();
        else this.previous();
      },
      { passive: false },
    );
    addEventListener("keydown", (e) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
      if (e.key === "ArrowDown" || e.key === "PageDown" || e.key === "j") this.next();
      else if (e.key === "ArrowUp" || e.key === "PageUp" || e.key === "k") this.previous();
      else if (e.key === " ") this.togglePause();
      else if (e.key === "m") this.setMuted(!this.muted);
      else return;
      e.preventDefault();
    });
  }
}
