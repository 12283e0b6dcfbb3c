import { Hono } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import { parseMediaKey } from "../../contracts/media.schema";
import { metrics } from "../../worker-lib/metrics";
import { jsonError } from "../http/errors";
import { mediaResponse } from "./media-response";
import { loadMedia, MediaUnavailableError } from "./media-store";

/**
 * `GET /v1/videos/{id}/v{n}/...`: playlists, segments and posters, public (no session): the
 * keys are unguessable only by id, and media must load in players that cannot add headers.
 * The path is matched as sent (percent-encoding intact) against the exact key grammar.
 */
export const mediaRoute = new Hono<{ Bindings: Env }>().get("/v1/videos/*", async (c) => {
  const url = new URL(c.req.url);
  const media = parseMediaKey(url.pathname.slice("/v1/".length));
  if (!media) {
    return jsonError(
      c,
      400,
      ErrorCode.MediaBadPath,
      "path: must be videos/{id}/v{n}/master.m3u8, poster.jpg, {rendition}/index.m3u8 or a segment",
    );
  }
  let hit: Awaited<ReturnType<typeof loadMedia>>;
  try {
    hit = await loadMedia(c.env, media, url.origin, (work) => c.executionCtx.waitUntil(work));
  } catch (error) {
    if (!(error instanceof MediaUnavailableError)) throw error;
    return jsonError(c, 502, ErrorCode.MediaUnavailable, `media: origin unavailable`);
  }
  if (!hit) return jsonError(c, 404, ErrorCode.MediaNotFound, `path: no object ${media.key}`);
  metrics.count(`media.${media.kind}.${hit.tier}`);
  return mediaResponse(c.req.raw, hit);
});
