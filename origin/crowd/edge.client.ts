import * as v from "valibot";
import { type ClientEvent, EventBatchResponseSchema } from "../../contracts/event.schema";
import { type FeedPage, FeedPageSchema } from "../../contracts/feed.schema";
import { type SessionResponse, SessionResponseSchema } from "../../contracts/session.schema";

/** A request the edge answered with something other than success, or that never got an answer. */
export class EdgeError extends Error {
  override name = "EdgeError";
  constructor(
    readonly status: number,
    message: string,
    /** From Retry-After on a 429, ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type EventBatchResult = v.InferOutput<typeof EventBatchResponseSchema>;

/**
 * The public routes a viewer app uses, as the web app calls them (web/src/): an anonymous session
 * and its refresh, feed pages with the cursor, and batched events with the session's bearer token. Answers are
 * checked against the wire schemas, so a changed contract fails loudly here.
 */
export class EdgeClient {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** A new anonymous viewer: the edge mints the user id. */
  async createSession(region: string): Promise<SessionResponse> {
    const response = await this.request("/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ region }),
    });
    return this.parse(response, 201, SessionResponseSchema);
  }

  /** The same viewer's next session, from the last one's single-use refresh token. */
  async refreshSession(refreshToken: string): Promise<SessionResponse> {
    const response = await this.request("/v1/sessions/refresh", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    return this.parse(response, 200, SessionResponseSchema);
  }

  async feedPage(token: string, cursor: string | null, limit?: number): Promise<FeedPage> {
    const query = new URLSearchParams();
    if (cursor) query.set("cursor", cursor);
    if (limit !== undefined) query.set("limit", String(limit));
    const search = query.size > 0 ? `?${query}` : "";
    const response = await this.request(`/v1/feed${search}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return this.parse(response, 200, FeedPageSchema);
  }

  async postEvents(token: string, events: readonly ClientEvent[]): Promise<EventBatchResult> {
    const response = await this.request("/v1/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ events }),
    });
    return this.parse(response, 202, EventBatchResponseSchema);
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, init);
    } catch (error) {
      throw new EdgeError(0, `${path}: ${error instanceof Error ? error.message : error}`);
    }
  }

  private async parse<T extends v.GenericSchema>(
    response: Response,
    expected: number,
    schema: T,
  ): Promise<v.InferOutput<T>> {
    const text = await response.text();
    const path = new URL(response.url || this.baseUrl).pathname;
    if (response.status !== expected) {
      const after = Number(response.headers.get("retry-after"));
      throw new EdgeError(
        response.status,
        `${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
        Number.isFinite(after) && after > 0 ? after * 1000 : undefined,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EdgeError(response.status, `${path}: not JSON`);
    }
    const parsed = v.safeParse(schema, body);
    if (!parsed.success) throw new EdgeError(response.status, `${path}: unexpected answer`);
    return parsed.output;
  }
}
