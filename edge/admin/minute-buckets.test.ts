import { describe, expect, it } from "vitest";
import { GaugeFields } from "../../contracts/gauges";
import { mergeMinutes } from "./minute-buckets";

describe("mergeMinutes", () => {
  it("adds counters and keeps the highest reading of a gauge", () => {
    expect(
      mergeMinutes([
        { "feed.pages": 4, [GaugeFields.lag(0)]: 3, [GaugeFields.transcodeQueue]: 9 },
        {},
        { "feed.pages": 6, "feed.fallback": 1, [GaugeFields.lag(0)]: 12 },
        { [GaugeFields.lag(0)]: 5 },
      ]),
    ).toEqual({
      "feed.pages": 10,
      "feed.fallback": 1,
      [GaugeFields.lag(0)]: 12,
      [GaugeFields.transcodeQueue]: 9,
    });
    expect(mergeMinutes([])).toEqual({});
  });
});
