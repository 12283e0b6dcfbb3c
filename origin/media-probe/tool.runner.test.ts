import { describe, expect, it } from "vitest";
import { runTool } from "./tool.runner";

describe("runTool", () => {
  it("kills a tool that runs past its time limit and says so", async () => {
    const started = performance.now();
    const result = await runTool("sleep", ["30"], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    expect(result.code).not.toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("returns a tool's output when it finishes in time", async () => {
    const result = await runTool("ffprobe", ["-version"], { timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, timedOut: false });
    expect(result.stdout).toMatch(/^ffprobe version/);
  });
});
