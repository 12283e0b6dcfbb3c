import { describe, expect, it } from "vitest";
import { bucketOf, configFor, DEFAULT_RANKING_CONFIG, type Experiment } from "./ranking.config";

const experiment: Experiment = {
  name: "skip-weight-2025",
  arms: [
    { name: "heavy-skip", permille: 100, weights: { skip: 5 } },
    { name: "no-fresh", permille: 100, policy: { freshEvery: 0 } },
  ],
};

describe("A/B buckets", () => {
  it("puts a user in the same bucket and arm every time", () => {
    for (const user of ["u1", "u2", "alice", "8f3a"]) {
      expect(bucketOf(experiment.name, user)).toBe(bucketOf(experiment.name, user));
      expect(configFor(DEFAULT_RANKING_CONFIG, experiment, user)).toEqual(
        configFor(DEFAULT_RANKING_CONFIG, experiment, user),
      );
    }
  });

  it("splits users by the arms' shares and overrides only what an arm names", () => {
    const counts = new Map<string, number>();
    for (let u = 0; u < 20_000; u++) {
      const { config, arm } = configFor(DEFAULT_RANKING_CONFIG, experiment, `user-${u}`);
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
      if (arm === "heavy-skip") {
        expect(config.weights.skip).toBe(5);
        expect(config.weights.like).toBe(DEFAULT_RANKING_CONFIG.weights.like);
      }
      if (arm === "control") expect(config).toBe(DEFAULT_RANKING_CONFIG);
    }
    expect((counts.get("heavy-skip") ?? 0) / 20_000).toBeCloseTo(0.1, 1);
    expect((counts.get("no-fresh") ?? 0) / 20_000).toBeCloseTo(0.1, 1);
    expect((counts.get("control") ?? 0) / 20_000).toBeCloseTo(0.8, 1);
  });

  it("splits independently per experiment", () => {
    let same = 0;
    for (let u = 0; u < 1000; u++) {
      if (bucketOf("exp-a", `u${u}`) === bucketOf("exp-b", `u${u}`)) same++;
    }
    expect(same).toBeLessThan(20);
  });
});
