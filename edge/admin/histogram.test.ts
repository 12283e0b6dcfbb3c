import { describe, expect, it } from "vitest";
import { quantile } from "./histogram";

describe("quantile", () => {
  const prefix = "feed.latency_ms.";
  it("interpolates inside the bucket holding the quantile", () => {
    // 100 observations: 50 in (0,5], 40 in (5,10], 10 in (10,20].
    const fields = { [`${prefix}le_5`]: 50, [`${prefix}le_10`]: 40, [`${prefix}le_20`]: 10 };
    expect(quantile(fields, prefix, 0.5)).toBe(5);
    expect(quantile(fields, prefix, 0.7)).toBe(7.5);
    expect(quantile(fields, prefix, 0.95)).toBe(15);
    expect(quantile(fields, prefix, 0.99)).toBeCloseTo(19);
  });

  it("reports the largest finite bound for the open bucket and null without data", () => {
    const fields = { [`${prefix}le_1000`]: 1, [`${prefix}le_inf`]: 9, other: 5 };
    expect(quantile(fields, prefix, 0.99)).toBe(1000);
    expect(quantile({ other: 3 }, prefix, 0.5)).toBeNull();
  });
});
