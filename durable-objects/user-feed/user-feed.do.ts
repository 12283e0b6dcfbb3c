import { DurableObject } from "cloudflare:workers";

/**
 * UserFeed owns one user's feed state: the buffer of pre-ranked candidates, per-session
 * cursors and the seen-filter. It must be the single writer of that state so that two devices
 * swiping at once can never be handed the same video twice, and so that a retried cursor
 * always replays the same page. State lives in this object's SQLite storage and survives
 * eviction. The feed logic itself is built by the serve-path issue.
 */
export class UserFeed extends DurableObject<Env> {}
