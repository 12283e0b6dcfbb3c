import { type ClientEvent, MAX_EVENTS_PER_BATCH } from "../../contracts/event.schema";
import { EdgeError, type EventBatchResult } from "./edge.client";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as a viewer reports it; the batcher stamps id and time. */
export type Report = DistributiveOmit<ClientEvent, "id" | "ts">;

/** What the edge said about the events posted so far. */
export interface EventCounts {
  /** Events posted in a batch the edge answered with 202. */
  sent: number;
  accepted: number;
  duplicates: number;
  sampledOut: number;
  rejected: number;
  /** Batches refused as a whole (4xx other than 401/429), never retried. */
  refusedBatches: number;
  /** 429 answers, each followed by a wait of Retry-After. */
  rateLimited: number;
  /** Network failures and 5xx answers, each retried with backoff. */
  failures: number;
}

export const emptyCounts = (): EventCounts => ({
  sent: 0,
  accepted: 0,
  duplicates: 0,
  sampledOut: 0,
  rejected: 0,
  refusedBatches: 0,
  rateLimited: 0,
  failures: 0,
});

const MAX_BACKOFF_MS = 30_000;

export interface BatcherDeps {
  post: (events: ClientEvent[]) => Promise<EventBatchResult>;
  /** Called on 401: a new session; the batch is retried with it. */
  renewSession: () => Promise<void>;
  /** Client ids are `{prefix}.{n}`; unique per session, so a retried batch dedups at the edge. */
  idPrefix: string;
  counts: EventCounts;
  /** The first reasons the edge gave for rejected events, for the summary. */
  rejections: string[];
}

/**
 * The web app's event queue (web/src/event-queue.ts) without a browser: events batched up to 100,
 * posted by `flush()` (the viewer calls it every 400 ms), one batch in flight, 429 and 5xx retried
 * later with the batch kept in order, any other 4xx dropped as the app does.
 */
export class EventBatcher {
  private queue: ClientEvent[] = [];
  private seq = 0;
  private retryAt = 0;
  private backoffMs = 1_000;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly deps: BatcherDeps) {}

  push(report: Report): void {
    this.queue.push({
      ...report,
      id: `${this.deps.idPrefix}.${++this.seq}`,
      ts: Date.now(),
    } as ClientEvent);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Posts one batch unless one is in flight or a retry is not due; resolves when it is answered. */
  flush(now = Date.now()): Promise<void> {
    if (this.inFlight || this.queue.length === 0 || now < this.retryAt) {
      return this.inFlight ?? Promise.resolve();
    }
    this.inFlight = this.postBatch().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async postBatch(): Promise<void> {
    const batch = this.queue.splice(0, MAX_EVENTS_PER_BATCH);
    const { counts, rejections } = this.deps;
    try {
      const result = await this.deps.post(batch);
      counts.sent += batch.length;
      counts.accepted += result.accepted;
      counts.duplicates += result.duplicates;
      counts.sampledOut += result.sampled_out;
      counts.rejected += result.rejected.length;
      for (const r of result.rejected.slice(0, Math.max(0, 5 - rejections.length))) {
        rejections.push(`${batch[r.index]?.type ?? "?"}.${r.field}: ${r.reason}`);
      }
      this.backoffMs = 1_000;
    } catch (error) {
      const status = error instanceof EdgeError ? error.status : 0;
      if (status === 401) {
        this.queue.unshift(...batch);
        await this.deps.renewSession().catch(() => {
          counts.failures++;
          this.retryAt = Date.now() + this.backoffMs;
        });
      } else if (status === 429) {
        counts.rateLimited++;
        this.retryLater(batch, error instanceof EdgeError ? error.retryAfterMs : undefined);
      } else if (status === 0 || status >= 500) {
        counts.failures++;
        this.retryLater(batch);
      } else {
        counts.refusedBatches++;
      }
    }
  }

  private retryLater(batch: ClientEvent[], delayMs = this.backoffMs): void {
    this.queue.unshift(...batch);
    this.retryAt = Date.now() + delayMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }
}
