import { describe, expect, it } from "vitest";
import { configFor, DEFAULT_RANKING_CONFIG } from "../ranking/config/ranking.config";
import { ConfigError, loadConfig, loadDevStackConfig, loadRankerConfig } from "./config";

const BASE_ENV = {
  UPSTASH_REDIS_REST_TOKEN: "token-123456",
  ORIGIN_SHARED_SECRET: "secret-123456",
  S3_ENDPOINT: "http://127.0.0.1:9000",
  S3_ACCESS_KEY_ID: "key",
  S3_SECRET_ACCESS_KEY: "secret",
};

const withExperiment = (experiment: unknown) =>
  loadConfig({
    ...BASE_ENV,
    RANKING_EXPERIMENT: typeof experiment === "string" ? experiment : JSON.stringify(experiment),
  });

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("no ConfigError");
}

describe("RANKING_EXPERIMENT", () => {
  it("is absent by default: everyone is control", () => {
    const config = loadConfig(BASE_ENV);
    expect(config.rankingExperiment).toBeUndefined();
    expect(config.rankModelSyncMs).toBe(10_000);
    expect(configFor(DEFAULT_RANKING_CONFIG, config.rankingExperiment, "anyone").arm).toBe(
      "control",
    );
  });

  it("parses arms with weight and policy overrides", () => {
    const experiment = {
      name: "fresh-2025",
      arms: [
        { name: "fresh2", permille: 300, policy: { freshEvery: 2 } },
        { name: "heavy-skip", permille: 200, weights: { skip: 5 } },
      ],
    };
    expect(withExperiment(experiment).rankingExperiment).toEqual(experiment);
  });

  it("names the bad field", () => {
    const arm = { name: "a", permille: 100 };
    const cases: [unknown, string][] = [
      ["{not json", "environment variable RANKING_EXPERIMENT: must be JSON"],
      [
        { name: "x", arms: [arm, { name: "b", permille: 1.5 }] },
        "environment variable RANKING_EXPERIMENT.arms[1].permille: must be an integer",
      ],
      [
        { name: "x", arms: [{ name: "no spaces", permille: 1 }] },
        "environment variable RANKING_EXPERIMENT.arms[0].name: must be an arm name",
      ],
      [
        { name: "x", arms: [arm, { name: "b", permille: 901 }] },
        "environment variable RANKING_EXPERIMENT.arms: permilles must sum to at most 1000",
      ],
      [
        { name: "x", arms: [arm, { ...arm }] },
        "environment variable RANKING_EXPERIMENT.arms: arm names must differ",
      ],
      [
        { name: "x", arms: [{ ...arm, name: "control" }] },
        "environment variable RANKING_EXPERIMENT.arms[0].name: control is reserved for unclaimed users",
      ],
      [
        { name: "x", arms: [{ ...arm, policy: { freshevery: 2 } }] },
        "environment variable RANKING_EXPERIMENT.arms[0].policy.freshevery: is not a known field",
      ],
      [
        { name: "x", arms: [{ ...arm, weights: { skip: -1 } }] },
        "environment variable RANKING_EXPERIMENT.arms[0].weights.skip: must be at least 0",
      ],
      [{ arms: [] }, "environment variable RANKING_EXPERIMENT.name: is required"],
      [
        { name: "x", arms: [{ name: "a" }] },
        "environment variable RANKING_EXPERIMENT.arms[0].permille: is required",
      ],
      ["3", "environment variable RANKING_EXPERIMENT: must be an object"],
    ];
    for (const [experiment, message] of cases) {
      expect(configError(() => withExperiment(experiment))).toBe(message);
    }
  });
});

describe("RANK_MODEL_SYNC_MS", () => {
  it("sets how often the api picks up new videos and checkpoints", () => {
    expect(loadConfig({ ...BASE_ENV, RANK_MODEL_SYNC_MS: "1000" }).rankModelSyncMs).toBe(1_000);
    expect(configError(() => loadConfig({ ...BASE_ENV, RANK_MODEL_SYNC_MS: "soon" }))).toMatch(
      /^environment variable RANK_MODEL_SYNC_MS: /,
    );
  });
});

describe("RANKER_TRAIN_DAYS", () => {
  it("trains on a week of the event archive by default; 0 turns it off", () => {
    expect(loadRankerConfig({}).trainDays).toBe(7);
    expect(loadRankerConfig({ RANKER_TRAIN_DAYS: "30" }).trainDays).toBe(30);
    expect(loadRankerConfig({ RANKER_TRAIN_DAYS: "0" }).trainDays).toBe(0);
  });

  it("names the variable and what it must be", () => {
    for (const bad of ["", "-1", "1.5", "seven"]) {
      expect(configError(() => loadRankerConfig({ RANKER_TRAIN_DAYS: bad }))).toBe(
        "environment variable RANKER_TRAIN_DAYS: must be a whole number of days (0 turns archive training off)",
      );
    }
    expect(configError(() => loadRankerConfig({ RANKER_TRAIN_DAYS: "91" }))).toBe(
      "environment variable RANKER_TRAIN_DAYS: must be at most 90",
    );
  });
});

describe("the local stack's demo settings", () => {
  it("seeds 240 videos and starts 8 simulated viewers unless told otherwise", () => {
    expect(loadDevStackConfig({})).toEqual({
      demoVideos: 240,
      crowdViewers: 8,
      originUrl: undefined,
    });
    expect(loadDevStackConfig({ EDGEFEED_DEMO_VIDEOS: "30", EDGEFEED_CROWD: "0" })).toMatchObject({
      demoVideos: 30,
      crowdViewers: 0,
    });
  });

  it("names the bad variable", () => {
    expect(configError(() => loadDevStackConfig({ EDGEFEED_CROWD: "many" }))).toBe(
      "environment variable EDGEFEED_CROWD: must be a whole number",
    );
  });
});
