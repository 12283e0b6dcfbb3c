import { describe, expect, it } from "vitest";
import { trainSequenceModel } from "./sequence.trainer";

describe("trainSequenceModel", () => {
  it("learns which video follows the most recent one", () => {
    // 30 videos; every session walks forward through the catalog, so after v comes v+1.
    const sequences = Array.from({ length: 300 }, (_, u) =>
      Int32Array.from({ length: 5 }, (_, t) => (u + t) % 30),
    );
    const model = trainSequenceModel(sequences, 30, {
      model: { dim: 16, window: 3, decay: 0.5 },
      epochs: 10,
      negatives: 8,
      learningRate: 0.2,
      l2: 0,
      noisePower: 0.75,
      seed: 5,
    });
    let correct = 0;
    for (let v = 0; v < 30; v++) {
      const scores = model.scoreAll(model.userVector([(v + 29) % 30, v]));
      const best = scores.indexOf(Math.max(...scores));
      if (best === (v + 1) % 30) correct++;
    }
    expect(correct).toBeGreaterThanOrEqual(27);
  });
});
