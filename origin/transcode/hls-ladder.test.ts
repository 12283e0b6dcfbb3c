import { describe, expect, it } from "vitest";
import {
  avc1Codec,
  ladderArgs,
  masterPlaylist,
  parseMediaPlaylist,
  planLadder,
} from "./hls-ladder";

describe("HLS ladder", () => {
  it("uses only rungs at or below the source, keeping orientation", () => {
    expect(
      planLadder({ width: 1920, height: 1080 }).map((r) => `${r.name}:${r.width}x${r.height}`),
    ).toEqual(["240p:426x240", "360p:640x360", "540p:960x540", "720p:1280x720"]);
    expect(planLadder({ width: 720, height: 1280 }).map((r) => `${r.width}x${r.height}`)).toEqual([
      "240x426",
      "360x640",
      "540x960",
      "720x1280",
    ]);
    expect(planLadder({ width: 480, height: 480 }).map((r) => r.name)).toEqual(["240p", "360p"]);
  });

  it("makes one rung at the source's size when it is below 240p", () => {
    expect(planLadder({ width: 320, height: 180 })).toEqual([
      { name: "180p", width: 320, height: 180, videoKbps: 400 },
    ]);
  });

  it("forces keyframes on the segment grid on every rung", () => {
    const args = ladderArgs({
      inputPath: "in.mp4",
      outputDir: "out",
      rungs: planLadder({ width: 640, height: 360 }),
      media: { durationMs: 5000, fps: 60, hasAudio: false },
    }).join(" ");
    expect(args).toContain("-force_key_frames expr:gte(t,n_forced*2)");
    expect(args).toContain("-sc_threshold 0 -g 60 -keyint_min 60");
    expect(args).toContain("fps=30,split=2");
    expect(args).toContain("anullsrc");
    expect(args).toContain("-var_stream_map v:0,a:0,name:240p v:1,a:1,name:360p");
  });

  it("writes a master with peak and average bandwidth, resolution and codecs", () => {
    const master = masterPlaylist([
      {
        name: "360p",
        width: 640,
        height: 360,
        bandwidth: 900_000,
        averageBandwidth: 800_000,
        codecs: "avc1.4d401e,mp4a.40.2",
        frameRate: 30,
        segments: [],
      },
      {
        name: "240p",
        width: 426,
        height: 240,
        bandwidth: 500_000,
        averageBandwidth: 450_000,
        codecs: "avc1.4d4015,mp4a.40.2",
        frameRate: 30,
        segments: [],
      },
    ]);
    expect(master).toBe(
      [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-STREAM-INF:BANDWIDTH=500000,AVERAGE-BANDWIDTH=450000,RESOLUTION=426x240,FRAME-RATE=30.000,CODECS="avc1.4d4015,mp4a.40.2"',
        "240p/index.m3u8",
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,AVERAGE-BANDWIDTH=800000,RESOLUTION=640x360,FRAME-RATE=30.000,CODECS="avc1.4d401e,mp4a.40.2"',
        "360p/index.m3u8",
        "",
      ].join("\n"),
    );
  });

  it("reads segment durations from a media playlist and names codecs per RFC 6381", () => {
    expect(
      parseMediaPlaylist(
        "#EXTM3U\n#EXTINF:2.000000,\nseg-00000.ts\n#EXTINF:1.5,\nseg-00001.ts\n#EXT-X-ENDLIST\n",
      ),
    ).toEqual([
      { uri: "seg-00000.ts", seconds: 2 },
      { uri: "seg-00001.ts", seconds: 1.5 },
    ]);
    expect(avc1Codec("High", 40)).toBe("avc1.640028");
    expect(avc1Codec("Main", 31)).toBe("avc1.4d401f");
  });
});
