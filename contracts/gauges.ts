import * as v from "valibot";
import { ConsumerGroups } from "./keyspace";

/**
 * The operator gauges (stream lag, feature staleness, transcode queue and dead letters), spelled
 * once: the script that reads them, what it answers, and the fields of the per-minute hash
 * (EdgeKeys.metricsMinute) they are kept in. The origin's sampler role reads and writes them; the
 * edge's dashboard reads the fields back beside the counters the edge flushes there.
 */

/** Where the gauges are read from: the features role's keys (with its prefix) and the uploads'. */
export interface GaugeSources {
  /** Hash partition → last committed stream id (featureKeys(prefix).positions()). */
  positions: string;
  /** `ev:0` … `ev:P-1`, in partition order. */
  eventStreams: string[];
  /** The transcode jobs stream, read by ConsumerGroups.transcoders. */
  transcodeJobs: string;
  deadLetter: string;
}

/**
 * Point-in-time gauges in one round trip. KEYS: positions, transcode jobs, dead letters, the
 * event streams. ARGV: features group, transcode group, now (ms). Returns JSON:
 * `{lag: number[], staleness_ms: number[], transcode_queue, dead_lettered}`, -1 for a partition
 * with no stream or group yet. Lag counts undelivered + pending: what is not committed yet.
 */
export const GAUGES_LUA = `
local function group_info(stream, group)
  if redis.call('EXISTS', stream) == 0 then return nil end
  for _, flat in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local f = {}
    for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
    if f['name'] == group then return f end
  end
  return nil
end
local function backlog(f)
  local lag = f['lag']
  if type(lag) ~= 'number' then lag = 0 end
  return lag + f['pending']
end
local now = tonumber(ARGV[3])
local out = { lag = {}, staleness_ms = {}, transcode_queue = 0, dead_lettered = 0 }
for i = 4, #KEYS do
  local f = group_info(KEYS[i], ARGV[1])
  if f then
    out.lag[#out.lag + 1] = backlog(f)
    local pos = redis.call('HGET', KEYS[1], tostring(i - 4)) or '0-0'
    local first = redis.call('XRANGE', KEYS[i], '(' .. pos, '+', 'COUNT', 1)[1]
    local age = 0
    if first then age = math.max(0, now - tonumber(string.match(first[1], '^(%d+)'))) end
    out.staleness_ms[#out.staleness_ms + 1] = age
  else
    out.lag[#out.lag + 1] = -1
    out.staleness_ms[#out.staleness_ms + 1] = -1
  end
end
local jobs = group_info(KEYS[2], ARGV[2])
if jobs then out.transcode_queue = backlog(jobs) end
out.dead_lettered = redis.call('XLEN', KEYS[3])
return cjson.encode(out)
`;

/** The KEYS and ARGV of GAUGES_LUA for these sources at `now`. */
export function gaugeScriptCall(
  sources: GaugeSources,
  now: number,
): { keys: string[]; args: string[] } {
  return {
    keys: [sources.positions, sources.transcodeJobs, sources.deadLetter, ...sources.eventStreams],
    args: [ConsumerGroups.features, ConsumerGroups.transcoders, String(now)],
  };
}

const GaugesSchema = v.object({
  lag: v.array(v.number()),
  staleness_ms: v.array(v.number()),
  transcode_queue: v.number(),
  dead_lettered: v.number(),
});

export type Gauges = v.InferOutput<typeof GaugesSchema>;

/** GAUGES_LUA's reply, a JSON string. */
export function parseGauges(reply: unknown): Gauges {
  if (typeof reply !== "string") throw new TypeError("gauges: the script's reply is not JSON text");
  return v.parse(GaugesSchema, JSON.parse(reply));
}

const GAUGE = "gauge.";

/**
 * The gauge fields of a minute hash, each the minute's latest reading (the other fields are
 * counters, summed over the minute).
 */
export const GaugeFields = {
  /** Lag of the features group on `ev:{p}`; absent while the partition has no group. */
  lag: (partition: number) => `${GAUGE}lag.p${partition}`,
  /** Age of the oldest event no processor has committed, worst partition. */
  stalenessMs: `${GAUGE}staleness_ms`,
  transcodeQueue: `${GAUGE}transcode.queue`,
  deadLettered: `${GAUGE}transcode.dead`,
} as const;

export function isGaugeField(name: string): boolean {
  return name.startsWith(GAUGE);
}

/** What one reading writes into its minute's hash. */
export function gaugeFields(gauges: Gauges): Record<string, number> {
  const fields: Record<string, number> = {
    [GaugeFields.transcodeQueue]: gauges.transcode_queue,
    [GaugeFields.deadLettered]: gauges.dead_lettered,
    [GaugeFields.stalenessMs]: Math.max(0, ...gauges.staleness_ms),
  };
  gauges.lag.forEach((lag, p) => {
    if (lag >= 0) fields[GaugeFields.lag(p)] = lag;
  });
  return fields;
}
