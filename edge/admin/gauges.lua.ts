/**
 * Point-in-time gauges in one round trip. KEYS: features:positions, uploads, uploads:dead,
 * ev:0 … ev:P-1. ARGV: features group, transcode group, now (ms). Returns JSON:
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
