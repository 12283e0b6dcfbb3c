import * as v from "valibot";
import { describeIssue } from "../../contracts/error.schema";

export type EventsEnv = Pick<Env, "EVENTS_SAMPLE_RATE" | "EVENT_PARTITIONS" | "EVENTS_RATE_LIMIT">;

export interface EventsConfig {
  /** Share of low-value events kept; each kept one carries weight 1/rate. */
  sampleRate: number;
  /** P in `ev:{hash(user) mod P}`; must equal the origin's EVENT_PARTITIONS. */
  partitions: number;
  /** Batches per session per 10 s. */
  rateLimit: number;
}

const numberVar = v.pipe(v.string(), v.transform(Number), v.number());

const EventsEnvSchema = v.object({
  EVENTS_SAMPLE_RATE: v.pipe(numberVar, v.minValue(0.001), v.maxValue(1)),
  EVENT_PARTITIONS: v.pipe(numberVar, v.integer(), v.minValue(1), v.maxValue(1024)),
  EVENTS_RATE_LIMIT: v.pipe(numberVar, v.integer(), v.minValue(1)),
});

/** The events route's settings, from the Worker's vars (wrangler.toml). */
export function eventsConfigFromEnv(env: EventsEnv): EventsConfig {
  const parsed = v.safeParse(EventsEnvSchema, env);
  if (!parsed.success) throw new Error(`worker var ${describeIssue(parsed.issues)}`);
  return {
    sampleRate: parsed.output.EVENTS_SAMPLE_RATE,
    partitions: parsed.output.EVENT_PARTITIONS,
    rateLimit: parsed.output.EVENTS_RATE_LIMIT,
  };
}
