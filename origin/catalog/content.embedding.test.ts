import { describe, expect, it } from "vitest";
import {
  contentEmbedding,
  decodeEmbedding,
  EMBEDDING_DIM,
  encodeEmbedding,
} from "./content.embedding";

const base = {
  hashtags: ["cooking", "pasta"],
  audio_id: "song-1",
  creator_id: "chef",
  caption: "Fresh pasta in ten minutes",
  language: "en",
};

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe("content embedding", () => {
  it("is deterministic, unit length and survives the catalog encoding", () => {
    const a = contentEmbedding(base);
    expect(a).toHaveLength(EMBEDDING_DIM);
    expect(Array.from(contentEmbedding({ ...base }))).toEqual(Array.from(a));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
    expect(Array.from(decodeEmbedding(encodeEmbedding(a)))).toEqual(Array.from(a));
  });

  it("puts videos with shared hashtags and audio closer than unrelated ones", () => {
    const a = contentEmbedding(base);
    const similar = contentEmbedding({ ...base, creator_id: "other", caption: "Pasta night" });
    const unrelated = contentEmbedding({
      hashtags: ["skate", "street"],
      audio_id: "song-9",
      creator_id: "sk8",
      caption: "Kickflip down the stairs",
      language: "pt",
    });
    expect(dot(a, similar)).toBeGreaterThan(0.6);
    expect(dot(a, similar)).toBeGreaterThan(dot(a, unrelated) + 0.4);
  });

  it("ignores hashtag case and order", () => {
    const a = contentEmbedding(base);
    const b = contentEmbedding({ ...base, hashtags: ["PASTA", "Cooking"] });
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
