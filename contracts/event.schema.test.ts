import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  ClientEventSchema,
  EVENT_TYPES,
  isEngagement,
  isLowValue,
  isSuppressing,
  partitionOf,
} from "./event.schema";
import { hash32 } from "./hash";

describe("event contract", () => {
  it("spreads near-identical ids evenly, for sampling and for partitions", () => {
    let sampled = 0;
    const perPartition = new Array(8).fill(0);
    for (let i = 0; i < 20_000; i++) {
      if (hash32(`session-1:e${i}`) / 0x1_0000_0000 < 0.1) sampled++;
      perPartition[partitionOf(`user${i}`, 8)]++;
    }
    expect(sampled / 20_000).toBeGreaterThan(0.09);
    expect(sampled / 20_000).toBeLessThan(0.11);
    for (const count of perPartition) expect(Math.abs(count - 2_500)).toBeLessThan(250);
  });

  it("classifies sampled and suppressing events", () => {
    const parse = (event: Record<string, unknown>) =>
      v.parse(ClientEventSchema, { id: "e", video_id: "v", ts: 1, ...event });
    const progress = { type: "progress", position_ms: 1, duration_ms: 9 };
    expect(isLowValue(parse({ ...progress, watch_ms: 999 }))).toBe(true);
    expect(isLowValue(parse({ ...progress, watch_ms: 1000 }))).toBe(false);
    expect(isLowValue(parse({ type: "complete" }))).toBe(false);
    expect(isSuppressing(parse({ type: "skip", watch_ms: 200 }))).toBe(true);
    expect(isSuppressing(parse({ type: "skip", watch_ms: 5000 }))).toBe(false);
    expect(isSuppressing(parse({ type: "skip" }))).toBe(false);
    expect(isSuppressing(parse({ type: "not_interested" }))).toBe(true);
  });

  it("counts completes, replays, likes, shares, comments and follows as engagement, nothing else", () => {
    expect(EVENT_TYPES.filter(isEngagement)).toEqual([
      "complete",
      "replay",
      "like",
      "share",
      "follow",
      "comment",
    ]);
  });
});
