import { describe, expect, it } from "vitest";
import { CardCache, type VideoCard } from "./card-cache";

const card = (id: string): VideoCard => ({
  id,
  manifest_url: `/v1/videos/${id}/v1/master.m3u8`,
  poster_url: `/v1/videos/${id}/v1/poster.jpg`,
  duration_ms: 15_000,
  creator_id: "c",
  hashtags: [],
  audio_id: "a",
});

describe("CardCache", () => {
  it("answers within its time to live and forgets after it", () => {
    const cards = new CardCache(60_000, 10);
    cards.set(card("v1"), 1_000);
    expect(cards.get("v1", 60_999)?.id).toBe("v1");
    expect(cards.get("v1", 61_000)).toBeUndefined();
  });

  it("drops the least recently written card beyond its size", () => {
    const cards = new CardCache(60_000, 2);
    cards.set(card("a"), 0);
    cards.set(card("b"), 0);
    cards.set(card("a"), 1);
    cards.set(card("c"), 2);
    expect(cards.get("b", 3)).toBeUndefined();
    expect(cards.get("a", 3)?.id).toBe("a");
    expect(cards.get("c", 3)?.id).toBe("c");
  });
});
