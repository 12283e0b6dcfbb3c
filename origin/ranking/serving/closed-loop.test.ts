import { describe, expect, it } from "vitest";
import {
  emptyContext,
  syntheticCatalog,
  untrainedModels,
} from "../../../testing/origin/ranking/ranking.testing";
import { INTEREST_POINTS } from "../../features/video-metrics";
import type { Candidate, UserContext } from "../candidate.types";
import { DEFAULT_RANKING_CONFIG, type RankingConfig } from "../config/ranking.config";
import type { Placed } from "./rerank.policy";
import { freshRankerModels, type Outcome, TwoStageRanker } from "./two-stage.ranker";

const config: RankingConfig = {
  ...DEFAULT_RANKING_CONFIG,
  feedSize: 12,
  policy: { ...DEFAULT_RANKING_CONFIG.policy, freshEvery: 0 },
};

const share = (feed: readonly Placed[], creator: string) =>
  feed.filter((p) => p.candidate.creatorId === creator).length / feed.length;

/** The user likes and completes everything from A and skips everything from B within 1 s. */
function react(candidate: Candidate): Outcome {
  if (candidate.creatorId === "A") return { complete: 1, like: 1, skip: 0 };
  if (candidate.creatorId === "B") return { complete: 0, like: 0, skip: 1 };
  return { complete: 0, skip: 0 };
}

/** The feature processor's short-term interest update, with its own points per event type. */
function applyInterest(context: UserContext, feed: readonly Placed[]): UserContext {
  const interest = new Map(context.interest);
  const bump = (member: string, points: number) =>
    interest.set(member, (interest.get(member) ?? 0) + points);
  const history = [...context.history];
  const recentCreators = [...context.recentCreators];
  for (const { candidate } of feed) {
    const outcome = react(candidate);
    const points =
      outcome.like === 1
        ? (INTEREST_POINTS.like ?? 0) + (INTEREST_POINTS.complete ?? 0)
        : outcome.skip === 1
          ? (INTEREST_POINTS.skip ?? 0)
          : 0;
    if (points === 0) continue;
    bump(`c:${candidate.creatorId}`, points);
    bump(`s:${candidate.audioId}`, points);
    for (const tag of candidate.hashtags) bump(`h:${tag}`, points);
    if (outcome.complete === 1) {
      history.push(candidate.item);
      recentCreators.push(candidate.creatorId);
    }
  }
  return { ...context, interest, history, recentCreators: recentCreators.slice(-5) };
}

describe("closed loop: events → interest and online learning → next refresh", () => {
  it("raises the liked creator's share and lowers the skipped creator's within one refresh", () => {
    const catalog = syntheticCatalog(["A", "B", "C", "D"], 30);
    const { sequence, coVisitation } = untrainedModels(catalog.length);
    const ranker = new TwoStageRanker(freshRankerModels(sequence, coVisitation));
    const before = emptyContext("loop-user");
    const first = ranker.rank(before, catalog, config);
    const shown = new Set(first.map((p) => p.candidate.item));

    const state = ranker.state(before);
    for (const { candidate } of first) ranker.learn(state, candidate, react(candidate));
    const after = applyInterest(before, first);
    const unseen = catalog.filter((c) => !shown.has(c.item));
    const second = ranker.rank(after, unseen, config);

    expect(share(first, "A")).toBeGreaterThan(0);
    expect(share(first, "B")).toBeGreaterThan(0);
    expect(share(second, "A")).toBeGreaterThan(share(first, "A"));
    expect(share(second, "B")).toBeLessThan(share(first, "B"));
    for (let i = 2; i < second.length; i++) {
      const run = second.slice(i - 2, i + 1).map((p) => p.candidate.creatorId);
      expect(new Set(run).size, `positions ${i - 2}–${i}`).toBeGreaterThan(1);
    }
  });
});
