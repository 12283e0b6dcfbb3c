import type { ClientEvent } from "../../contracts/event.schema";
import { MAX_EVENTS_PER_BATCH } from "../../contracts/event.schema";
import type { TokenSource } from "./session";

const FLUSH_EVERY_MS = 400;
const MAX_BACKOFF_MS = 30_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as the app reports it; the queue stamps id and time. */
export type Report = DistributiveOmit<ClientEvent, "id" | "ts">;

/**
 * Batches events and posts them every 400 ms. Each event carries a client id made of this page
 * load's random prefix and a counter, so a batch retried after a lost response is deduplicated
 * at the edge instead of counted twice. On page hide the rest goes out in a keepalive request.
 */
export class EventQueue {
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private seq = 0;
  private queue: ClientEvent[] = [];
  private inFlight: ClientEvent[] = [];
  private retryAt = 0;
  private backoffMs = 1_000;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Events the edge acknowledged (202), for the app's debug panel and the browser tests. */
  sent = 0;

  constructor(private readonly tokens: TokenSource) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    const hide = () => this.flushOnHide();
    addEventListener("pagehide", hide);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") hide();
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  push(report: Report): void {
    this.queue.push({
      ...report,
      id: `${this.prefix}.${++this.seq}`,
      ts: Date.now(),
    } as ClientEvent);
  }

  /** True when nothing is queued or in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.inFlight.length === 0;
  }

  async flush(): Promise<void> {
    if (this.inFlight.length > 0 || this.queue.length === 0 || Date.now() < this.retryAt) return;
    this.inFlight = this.queue.splice(0, MAX_EVENTS_PER_BATCH);
    try {
      let response = await this.post(this.inFlight, false, await this.tokens.token());
      if (response.status === 401) {
        response = await this.post(this.inFlight, false, await this.tokens.renew());
      }
      if (response.status === 202) {
        this.sent += this.inFlight.length;
        this.backoffMs = 1_000;
      } else if (response.status === 429 || response.status >= 500) {
        const after = Number(response.headers.get("retry-after"));
        this.retryLater(Number.isFinite(after) && after > 0 ? after * 1000 : undefined);
        return;
      }
      // Any other 4xx is a batch the edge will never take; retrying would loop forever.
      this.inFlight = [];
    } catch {
      this.retryLater();
    }
  }

  private retryLater(delayMs = this.backoffMs): void {
    this.queue = [...this.inFlight, ...this.queue];
    this.inFlight = [];
    this.retryAt = Date.now() + delayMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  /**
   * `sendBeacon` cannot carry the Authorization header the edge requires; a keepalive fetch is
   * the same mechanism with headers: the browser finishes it after the page is gone.
   */
  private flushOnHide(): void {
    const events = [...this.inFlight, ...this.queue].slice(0, MAX_EVENTS_PER_BATCH);
    if (events.length === 0) return;
    this.queue = [];
    void this.post(events, true, this.tokens.current.token).catch(() => {});
  }

  private post(events: ClientEvent[], keepalive: boolean, token: string): Promise<Response> {
    return fetch("/v1/events", {
      method: "POST",
      keepalive,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ events }),
    });
  }
}
