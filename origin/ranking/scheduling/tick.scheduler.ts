/**
 * The ranker's runner loop: one pass, then the next `periodMs` after it ends, so passes never
 * overlap however long one takes. A failed pass is logged and the loop goes on.
 */
export class TickScheduler {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly tick: () => Promise<void>,
    private readonly periodMs: number,
  ) {}

  /** Runs the first pass at once. */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Schedules no further pass and waits for the one running, if any. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.ticking;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error: unknown) => console.error("ranker: tick failed", error))
        .finally(() => this.schedule(this.periodMs));
    }, delay);
  }
}
