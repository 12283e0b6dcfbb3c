import type { Redis } from "@upstash/redis/cloudflare";
import type { ClientEvent } from "../../contracts/event.schema";
import type { SuppressRequest } from "../../contracts/feed.schema";
import { CatalogKeys } from "../../contracts/keyspace";

/**
 * The suppression a not_interested or hard skip asks for. The creator and sound come from the
 * event (the feed page told the client) or else from the catalog; a hard skip only drops the
 * creator, a not_interested drops the sound too.
 */
async function suppressionFor(redis: Redis, event: ClientEvent): Promise<SuppressRequest> {
  let { creator_id, audio_id } = event;
  if (creator_id === undefined) {
    const found = await redis.hmget<Record<string, unknown>>(
      CatalogKeys.video(event.video_id),
      "creator_id",
      "audio_id",
    );
    // The client deserializes numeric-looking strings into numbers; ids are strings.
    if (found?.creator_id != null) creator_id = String(found.creator_id);
    if (audio_id === undefined && found?.audio_id != null) audio_id = String(found.audio_id);
  }
  const suppression: SuppressRequest = { video_id: event.video_id };
  if (creator_id !== undefined) suppression.creator_id = creator_id;
  if (event.type === "not_interested" && audio_id !== undefined) suppression.audio_id = audio_id;
  return suppression;
}

/** Tells the user's UserFeed DO, before the 202, so the very next page already respects it. */
export async function suppressInFeed(
  env: Pick<Env, "USER_FEED">,
  redis: Redis,
  userId: string,
  events: readonly ClientEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const stub = env.USER_FEED.get(env.USER_FEED.idFromName(userId));
  for (const event of events) await stub.suppress(await suppressionFor(redis, event));
}
