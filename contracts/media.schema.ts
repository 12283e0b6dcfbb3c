/**
 * What may be asked for under `/v1/videos/` (edge) and `/media/` (origin): exactly the object
 * keys of MediaKeys (./keyspace), matched whole. Anything else, including `..`, `%2e`, `%2f`, a
 * backslash or a doubled slash, fails the match, so no request can name an object outside a
 * video's prefix.
 */
const MEDIA_KEY =
  /^videos\/([A-Za-z0-9_-]{1,64})\/v([0-9]{1,6})\/(?:master\.m3u8|poster\.jpg|([0-9]{3,4}p)\/(?:index\.m3u8|[A-Za-z0-9_-]{1,64}\.(?:ts|m4s|mp4)))$/;

export type MediaKind = "playlist" | "segment" | "poster";

export interface MediaObject {
  key: string;
  videoId: string;
  version: number;
  kind: MediaKind;
  contentType: string;
}

const CONTENT_TYPES: Record<string, { kind: MediaKind; contentType: string }> = {
  m3u8: { kind: "playlist", contentType: "application/vnd.apple.mpegurl" },
  ts: { kind: "segment", contentType: "video/mp2t" },
  m4s: { kind: "segment", contentType: "video/iso.segment" },
  mp4: { kind: "segment", contentType: "video/mp4" },
  jpg: { kind: "poster", contentType: "image/jpeg" },
};

/** The media object a key names, or null when the key is not one MediaKeys can produce. */
export function parseMediaKey(key: string): MediaObject | null {
  const match = MEDIA_KEY.exec(key);
  if (!match) return null;
  const type = CONTENT_TYPES[key.slice(key.lastIndexOf(".") + 1)];
  if (!type) return null;
  return { key, videoId: match[1]!, version: Number(match[2]), ...type };
}

/**
 * Everything under a version prefix is immutable (a re-encode bumps the version), so playlists,
 * posters and segments alike may be cached for a year.
 */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** The URI of the `#EXT-X-STREAM-INF` with the smallest BANDWIDTH in a master playlist. */
export function lowestVariant(master: string): string | null {
  const lines = master.split(/\r?\n/).map((line) => line.trim());
  let best: { bandwidth: number; uri: string } | null = null;
  for (const [i, line] of lines.entries()) {
    const match = /^#EXT-X-STREAM-INF:.*?\bBANDWIDTH=(\d+)/.exec(line);
    if (!match) continue;
    const uri = lines.slice(i + 1).find((next) => next && !next.startsWith("#"));
    const bandwidth = Number(match[1]);
    if (uri && (!best || bandwidth < best.bandwidth)) best = { bandwidth, uri };
  }
  return best?.uri ?? null;
}
