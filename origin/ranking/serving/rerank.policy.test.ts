import { describe, expect, it } from "vitest";
import type { Candidate } from "../candidate.types";
import { DEFAULT_RANKING_CONFIG, type RerankPolicy } from "../config/ranking.config";
import { recencyBoost, rerank, type Scored } from "./rerank.policy";

const policy: RerankPolicy = {
  ...DEFAULT_RANKING_CONFIG.policy,
  freshEvery: 0,
  soundPenalty: 0,
  hashtagPenalty: 0,
};

function video(item: number, creatorId: string, extra: Partial<Candidate> = {}): Candidate {
  return { item, videoId: `v${item}`, rails: {}, creatorId, audioId: "", hashtags: [], ...extra };
}

const scored = (candidates: Candidate[]): Scored[] =>
  candidates.map((candidate, i) => ({ candidate, score: 100 - i }));

describe("rerank", () => {
  it("never places three videos from one creator in a row", () => {
    const input = scored([
      ...Array.from({ length: 8 }, (_, i) => video(i, "A")),
      video(8, "B"),
      video(9, "C"),
      video(10, "B"),
    ]);
    const placed = rerank(input, policy, 11);
    const creators = placed.map((p) => p.candidate.creatorId);
    for (let i = 2; i < creators.length; i++) {
      expect(new Set(creators.slice(i - 2, i + 1)).size).toBeGreaterThan(1);
    }
    expect(creators.slice(0, 3)).toEqual(["A", "A", "B"]);
  });

  it("stops early rather than break the creator rule", () => {
    const placed = rerank(scored([video(0, "A"), video(1, "A"), video(2, "A")]), policy, 3);
    expect(placed).toHaveLength(2);
  });

  it("reserves every Nth position for the best fresh, under-exposed video", () => {
    const old = Array.from({ length: 9 }, (_, i) => video(i, `old${i}`, { ageHours: 500 }));
    const fresh = [
      video(20, "f1", { ageHours: 2, exposures: 10 }),
      video(21, "f2", { ageHours: 3, exposures: 10 }),
      video(22, "f3", { ageHours: 1, exposures: 100_000 }),
    ];
    const placed = rerank(scored([...old, ...fresh]), { ...policy, freshEvery: 3 }, 9);
    expect(placed[2]?.candidate.item).toBe(20);
    expect(placed[5]?.candidate.item).toBe(21);
    expect(placed[2]?.fresh && placed[5]?.fresh).toBe(true);
    expect(placed.filter((p) => p.fresh)).toHaveLength(2);
  });

  it("boosts recent videos by α·exp(−age/24) for 48 hours only", () => {
    expect(recencyBoost(video(0, "a", { ageHours: 0 }), policy)).toBeCloseTo(policy.recencyAlpha);
    expect(recencyBoost(video(0, "a", { ageHours: 24 }), policy)).toBeCloseTo(
      policy.recencyAlpha / Math.E,
    );
    expect(recencyBoost(video(0, "a", { ageHours: 49 }), policy)).toBe(0);
    const placed = rerank(
      [
        { candidate: video(0, "a", { ageHours: 100 }), score: 1 },
        { candidate: video(1, "b", { ageHours: 1 }), score: 0.95 },
      ],
      { ...policy, recencyAlpha: 0.1 },
      2,
    );
    expect(placed[0]?.candidate.item).toBe(1);
  });

  it("spreads out videos sharing a sound", () => {
    const input = [
      { candidate: video(0, "a", { audioId: "s1" }), score: 1 },
      { candidate: video(1, "b", { audioId: "s1" }), score: 0.99 },
      { candidate: video(2, "c", { audioId: "s2" }), score: 0.98 },
    ];
    const placed = rerank(input, { ...policy, soundPenalty: 0.05 }, 3);
    expect(placed.map((p) => p.candidate.item)).toEqual([0, 2, 1]);
  });
});
