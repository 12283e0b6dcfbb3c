import { describe, expect, it } from "vitest";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";
import { HnswIndex } from "../../../wasm/index";
import { SeededRandom } from "../model/seeded-random";
import { SequenceModel } from "../model/sequence.model";
import { annRail, indexSequenceModel } from "./ann.rail";

describe("annRail", () => {
  it("returns the videos with the highest next-video logits, minus the disallowed", () => {
    const rng = new SeededRandom(9);
    const model = SequenceModel.initialised(2_000, { dim: 16, window: 5, decay: 0.7 }, 2);
    for (let i = 0; i < model.output.length; i++) model.output[i] = rng.next() - 0.5;
    for (let i = 0; i < model.bias.length; i++) model.bias[i] = rng.next() - 0.5;
    for (let i = 0; i < model.input.length; i++) model.input[i] = rng.next() - 0.5;
    const index = HnswIndex.create(loadHnswModule(), {
      dim: 17,
      metric: "ip",
      capacity: model.itemCount,
    });
    indexSequenceModel(model, index);
    const allowed = (item: number) => item % 7 !== 0;
    let overlap = 0;
    for (let q = 0; q < 20; q++) {
      const user = model.userVector([rng.int(2_000), rng.int(2_000), rng.int(2_000)]);
      const found = annRail(index, user, 256)(20, allowed);
      expect(found.every(allowed)).toBe(true);
      const scores = model.scoreAll(user);
      const exact = [...scores.keys()]
        .filter(allowed)
        .sort((a, b) => (scores[b] as number) - (scores[a] as number))
        .slice(0, 20);
      overlap += found.filter((item) => exact.includes(item)).length;
    }
    expect(overlap / (20 * 20)).toBeGreaterThan(0.9);
  });
});
