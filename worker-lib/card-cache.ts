import type { FeedItem } from "../contracts/feed.schema";

/** A card without the rail that proposed it: what is the same for every user. */
export type VideoCard = Omit<FeedItem, "reason">;

/**
 * A minute is what the serve path already tolerates for a card: the fallback set is reused for
 * 30 s and a UserFeed buffer holds cards up to 15 min, so a taken-down video leaves new
 * hydrations within this, and its buffered copies as before.
 */
export const CARD_TTL_MS = 60_000;
/** ~300 bytes a card: at most a few MB of the isolate's 128 MB. */
const CARD_CACHE_MAX = 10_000;

/**
 * Cards of live videos, shared by every request and object of the isolate. A refill hydrates 24
 * candidates; most are videos some other user of the isolate was handed within the minute, so
 * without this each refill cost a second Redis round trip for cards the isolate already had.
 * Only live cards are kept: a video still processing may go live at any moment.
 */
export class CardCache {
  private readonly cards = new Map<string, { card: VideoCard; at: number }>();

  constructor(
    private readonly ttlMs = CARD_TTL_MS,
    private readonly max = CARD_CACHE_MAX,
  ) {}

  get(id: string, now: number): VideoCard | undefined {
    const entry = this.cards.get(id);
    if (!entry) return undefined;
    if (now - entry.at < this.ttlMs) return entry.card;
    this.cards.delete(id);
    return undefined;
  }

  set(card: VideoCard, now: number): void {
    this.cards.delete(card.id);
    this.cards.set(card.id, { card, at: now });
    // A Map iterates in insertion order, so the first key is the least recently written.
    if (this.cards.size > this.max) {
      const oldest = this.cards.keys().next().value;
      if (oldest !== undefined) this.cards.delete(oldest);
    }
  }
}

/** The isolate's cache, used by hydrateCandidates unless a caller passes its own. */
export const isolateCards = new CardCache();
