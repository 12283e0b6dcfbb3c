import type { FeedItem, FeedPage } from "../../contracts/feed.schema";
import type { TokenSource } from "./session";

export class SessionExpiredError extends Error {
  override name = "SessionExpiredError";
}

/**
 * Pages of the user's feed in order. The cursor advances only after a page arrives, so a failed
 * request is retried with the same cursor and gets the same page back (the edge guarantees it).
 */
export class FeedClient {
  private cursor: string | null = null;
  private pending: Promise<FeedItem[]> | null = null;

  constructor(private readonly tokens: TokenSource) {}

  /** The cursor the next page will be asked with; null before the first page. */
  get nextCursor(): string | null {
    return this.cursor;
  }

  /** One page at a time: concurrent callers share the request in flight. */
  next(): Promise<FeedItem[]> {
    this.pending ??= this.fetchPage().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchPage(): Promise<FeedItem[]> {
    const query = this.cursor ? `?cursor=${encodeURIComponent(this.cursor)}` : "";
    const ask = (token: string) =>
      fetch(`/v1/feed${query}`, { headers: { authorization: `Bearer ${token}` } });
    let response = await ask(await this.tokens.token());
    // The access token lapsed in flight (or the clock is off): one refresh, then give up.
    if (response.status === 401) response = await ask(await this.tokens.renew());
    if (response.status === 401) throw new SessionExpiredError("session expired");
    if (!response.ok) throw new Error(`feed: ${response.status}`);
    const page = (await response.json()) as FeedPage;
    this.cursor = page.next_cursor;
    return page.items;
  }
}
