import { Redis } from "ioredis";
import type { SamplerConfig } from "../config/config";
import { GaugeSampler, type GaugeSamplerOptions } from "./gauge-sampler";

/**
 * The `sampler` role: records the gauges (stream lag, feature staleness, transcode queue, dead
 * letters) every interval into the per-minute hashes the dashboard draws, whether or not anyone
 * has it open. A role of its own rather than a loop in `features` or `transcode`: those are what
 * the gauges watch, and a night when they crash or stall is the night the chart must show. It
 * holds one connection and runs one script per interval; run two for redundancy, the lease keeps
 * the writes to one per interval.
 */
export function startGaugeSampler(
  config: SamplerConfig & Pick<GaugeSamplerOptions, "deadLetterStream" | "now">,
  log: (line: string) => void = console.error,
): { stop(): Promise<void> } {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const sampler = new GaugeSampler(redis, config);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = sampler
      .sample()
      .catch((error: unknown) =>
        log(`sampler: reading failed, next in ${config.intervalMs} ms: ${error}`),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, config.intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      redis.disconnect();
    },
  };
}
