import { describe, expect, it } from "vitest";
import { emptyContext, syntheticCatalog } from "../../../testing/origin/ranking/ranking.testing";
import { DEFAULT_RANKING_CONFIG } from "../config/ranking.config";
import { CoVisitationIndex } from "../retrieval/co-visitation.index";
import { freshRankerModels, TwoStageRanker } from "../serving/two-stage.ranker";
import { CheckpointError, deserializeRanker, serializeRanker } from "./model.codec";
import { trainSequenceModel } from "./sequence.trainer";

function trainedRanker() {
  const sequences = Array.from({ length: 40 }, (_, u) =>
    Int32Array.from({ length: 6 }, (_, t) => (u + t * 3) % 20),
  );
  const sequence = trainSequenceModel(sequences, 20, {
    model: { dim: 8, window: 4, decay: 0.7 },
    epochs: 2,
    negatives: 4,
    learningRate: 0.1,
    l2: 0,
    noisePower: 0.75,
    seed: 3,
  });
  const coVisitation = new CoVisitationIndex();
  for (const seq of sequences) coVisitation.observeSequence(seq);
  const ranker = new TwoStageRanker(freshRankerModels(sequence, coVisitation));
  const catalog = syntheticCatalog(["A", "B"], 10);
  const state = ranker.state({ ...emptyContext("u"), history: [1, 4, 7] });
  for (const candidate of catalog) {
    ranker.learn(state, candidate, { complete: candidate.item % 3 === 0 ? 1 : 0, skip: 0 }, 2);
  }
  return { ranker, catalog };
}

describe("ranker checkpoint", () => {
  it("round-trips to identical bytes and identical rankings", () => {
    const { ranker, catalog } = trainedRanker();
    const bytes = serializeRanker(ranker.models);
    const restored = new TwoStageRanker(deserializeRanker(bytes));
    expect(serializeRanker(restored.models)).toEqual(bytes);
    const context = { ...emptyContext("u"), history: [2, 5] };
    const config = { ...DEFAULT_RANKING_CONFIG, feedSize: 10 };
    expect(restored.rank(context, catalog, config)).toEqual(ranker.rank(context, catalog, config));
  });

  it("is deterministic: the same seed and data give the same bytes", () => {
    expect(serializeRanker(trainedRanker().ranker.models)).toEqual(
      serializeRanker(trainedRanker().ranker.models),
    );
  });

  it("rejects a wrong magic, a future version, a truncation and trailing bytes", () => {
    const bytes = serializeRanker(trainedRanker().ranker.models);
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0;
    const future = bytes.slice();
    future[4] = 99;
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    for (const bad of [wrongMagic, future, bytes.subarray(0, bytes.length - 3), longer]) {
      expect(() => deserializeRanker(bad)).toThrow(CheckpointError);
    }
  });
});
