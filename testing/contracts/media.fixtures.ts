import { MediaKeys } from "../../contracts/keyspace";

/**
 * Small HLS objects that the test stack's global setup uploads to the S3 store (the origin's
 * side), so workerd tests can exercise the origin-pull tier they cannot write to themselves.
 * Bodies are text so both runtimes can build them without a file.
 */
export const ORIGIN_FIXTURE_VIDEO = "fixture-origin";

export function fixtureMaster(): string {
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    "#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=720x1280",
    "720p/index.m3u8",
    "#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=136x240",
    "240p/index.m3u8",
    "",
  ].join("\n");
}

export function fixturePlaylist(): string {
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    "#EXT-X-TARGETDURATION:2",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXTINF:2.0,",
    "seg-00000.ts",
    "#EXTINF:2.0,",
    "seg-00001.ts",
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
}

/** A segment body whose bytes say where they are, so Range slices are easy to check. */
export function fixtureSegment(name: string): string {
  return Array.from({ length: 64 }, (_, i) => `${name}:${String(i).padStart(4, "0")};`).join("");
}

export const MEDIA_FIXTURES: { key: string; body: string; contentType: string }[] = [
  {
    key: MediaKeys.master(ORIGIN_FIXTURE_VIDEO, 1),
    body: fixtureMaster(),
    contentType: "application/vnd.apple.mpegurl",
  },
  ...["240p", "720p"].flatMap((rendition) => [
    {
      key: MediaKeys.playlist(ORIGIN_FIXTURE_VIDEO, 1, rendition),
      body: fixturePlaylist(),
      contentType: "application/vnd.apple.mpegurl",
    },
    ...["seg-00000.ts", "seg-00001.ts"].map((segment) => ({
      key: `${MediaKeys.prefix(ORIGIN_FIXTURE_VIDEO, 1)}${rendition}/${segment}`,
      body: fixtureSegment(`${rendition}/${segment}`),
      contentType: "video/mp2t",
    })),
  ]),
  {
    key: MediaKeys.poster(ORIGIN_FIXTURE_VIDEO, 1),
    body: "poster-bytes",
    contentType: "image/jpeg",
  },
];
