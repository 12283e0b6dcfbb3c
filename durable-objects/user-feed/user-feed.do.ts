import { DurableObject } from "cloudflare:workers";
import * as v from "valibot";
import { type SuppressRequest, SuppressRequestSchema } from "../../contracts/feed.schema";
import { rawRedisFromEnv } from "../../worker-lib/redis.client";
import { FeedEngine, type PageRequest, type PageResult } from "./feed-engine";
import { rankAtOrigin } from "./origin-rank";

/**
 * UserFeed owns one user's feed state: the buffer of pre-ranked candidates, the pages handed out
 * (each cursor points after one), the seen-filter, suppressions and what is not yet in Redis
 * (impressions, the seen/suppressed mirror the origin's rails read). It must be the single writer
 * of that state so that two devices swiping at once can never be handed the same video twice,
 * and so that a retried cursor always replays the same page. State lives in this object's SQLite
 * storage and survives eviction. One object per user: `idFromName(userId)`.
 */
export class UserFeed extends DurableObject<Env> {
  private readonly engine: FeedEngine;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const userId = ctx.id.name;
    // The mirror's keys and the alarm's flush need the user; only idFromName gives it.
    if (userId === undefined) throw new Error("UserFeed must be addressed by idFromName(userId)");
    this.engine = new FeedEngine(ctx.storage, {
      userId,
      redis: rawRedisFromEnv(env),
      rank: (request) => rankAtOrigin(env, request),
    });
  }

  /** The page after `request.after` (replayed if already handed out) or `need-fallback`. */
  page(request: PageRequest): Promise<PageResult> {
    return this.engine.page(request);
  }

  /**
   * Skip this creator, sound and/or video on the following pages (30 days). Called by the
   * signal path on `not_interested` and hard skips.
   */
  suppress(request: SuppressRequest): void {
    this.engine.suppress(v.parse(SuppressRequestSchema, request));
  }

  /** Writes pending impressions and mirror changes to Redis now; returns how many impressions. */
  flush(): Promise<number> {
    return this.engine.flush();
  }

  override async alarm(): Promise<void> {
    await this.engine.flush();
  }
}
