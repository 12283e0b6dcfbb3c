import { describe, expect, it } from "vitest";
import { MediaKeys } from "./keyspace";
import { parseMediaKey } from "./media.schema";

describe("parseMediaKey", () => {
  it("accepts exactly the keys MediaKeys produces, with their content types", () => {
    expect(parseMediaKey(MediaKeys.master("abc", 3))).toEqual({
      key: "videos/abc/v3/master.m3u8",
      videoId: "abc",
      version: 3,
      kind: "playlist",
      contentType: "application/vnd.apple.mpegurl",
    });
    expect(parseMediaKey(MediaKeys.playlist("abc", 1, "240p"))?.kind).toBe("playlist");
    expect(parseMediaKey(MediaKeys.poster("abc", 1))?.contentType).toBe("image/jpeg");
    expect(parseMediaKey("videos/abc/v1/1080p/seg-00012.ts")?.contentType).toBe("video/mp2t");
    expect(parseMediaKey("videos/abc/v1/720p/init.mp4")?.contentType).toBe("video/mp4");
    expect(parseMediaKey("videos/abc/v1/720p/seg-1.m4s")?.kind).toBe("segment");
  });

  it("rejects anything that could name another object", () => {
    for (const key of [
      "videos/abc/v1/../../secret.ts",
      "videos/abc/v1/%2e%2e/master.m3u8",
      "videos/abc/v1/240p%2fseg.ts",
      "videos/abc/v1/240p\\seg.ts",
      "videos/abc/v1//master.m3u8",
      "videos/abc/master.m3u8",
      "videos/abc/v1/master.m3u8/",
      "videos/abc/v1/master.m3u8?x=1",
      "/videos/abc/v1/master.m3u8",
      "originals/abc.mp4",
      "videos/abc/v1/240p/seg.exe",
      "videos/abc/v1/notes.txt",
    ]) {
      expect(parseMediaKey(key), key).toBeNull();
    }
  });
});
