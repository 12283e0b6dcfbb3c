import { WINDOWS } from "./feature-windows";
import { MILESTONES, VIDEO_COUNTERS } from "./video-metrics";

/**
 * Applies one partition batch's aggregate updates, advances the consumer's position and acks
 * the entries, all in one script: Redis runs it atomically, so a crash leaves either none or
 * all of it, and a replayed batch finds its position already passed and changes nothing.
 *
 * KEYS[1] = stream, KEYS[2] = partition lease, KEYS[3] = positions hash, KEYS[4] = notify.
 * ARGV[1] = group, ARGV[2] = lease token, ARGV[3] = partition, ARGV[4] = first id,
 * ARGV[5] = last id, ARGV[6] = the video features key of an empty id (`vf:` after the key
 * prefix; the script appends each video id), ARGV[7] = the batch's newest edge time (ms),
 * ARGV[8] = n, ARGV[9..8+n] = ids to ack, then the ops, flat.
 *
 * Returns OK; FENCED when another consumer owns the partition now; STALE when the batch
 * starts at or before the committed position; GAP when older entries are still pending
 * (another consumer's reads, not yet reclaimed), which would be skipped by the new position.
 *
 * Ops are flat in ARGV (decoding a JSON argument cost more than the writes, measured: 17 ms
 * for 6000 ops) and terse, since building and sending the arguments is most of what a commit
 * costs the processor:
 * - `w video creator start 2n (counter delta)*n` the deltas of a video's events whose edge time
 *   falls in bucket `start` of the first window: added to the video's all-time counters
 *   (crossing a view milestone puts one message on notify) and to the bucket of every window
 *   that holds `start`, unless that bucket was out of its window already at the batch's newest
 *   time; the buckets that age out are dropped;
 * - `t key seconds capSeconds cap 3n (capKey member delta)*n` trending points: each delta is one
 *   user's for one video, added to the bucket `key` only up to what is left of `cap` in the
 *   user's `capKey` for that video (which starts its own `capSeconds` window), then EXPIRE;
 * - `s key member` SADD; `f key value seconds` SET EX;
 * - `i key now tauMs ttl max m member1 delta1 ..` decayed interest (m counts the items after it);
 * - `r key windowMs max 2n (at video)*n` the short-term sequence;
 * - `g key max 2n (at creator)*n m creator*m` follows and unfollows.
 */
export const COMMIT_BATCH_LUA = `
local NAME = {${WINDOWS.map((w) => `'${w.name}'`).join(", ")}}
local SPAN = {${WINDOWS.map((w) => w.spanMs).join(", ")}}
local BUCKET = {${WINDOWS.map((w) => w.bucketMs).join(", ")}}
local COUNTERS = {${VIDEO_COUNTERS.map((c) => `'${c}'`).join(", ")}}
local MILESTONES = {${MILESTONES.join(", ")}}

-- Deletes window r's buckets that age out when its newest bucket moves from old to new.
local function dropBuckets(key, r, old, new)
  local fields = {}
  for start = old - SPAN[r] + BUCKET[r], math.min(old, new - SPAN[r]), BUCKET[r] do
    for _, counter in ipairs(COUNTERS) do
      fields[#fields + 1] = NAME[r] .. ':' .. string.format('%d', start) .. ':' .. counter
    end
  end
  if #fields > 0 then redis.call('HDEL', key, unpack(fields)) end
end

local function announceMilestones(video, creator, before, now)
  for _, threshold in ipairs(MILESTONES) do
    if before < threshold and now >= threshold then
      redis.call('XADD', KEYS[4], '*', 'type', 'milestone', 'video_id', video,
        'creator_id', creator, 'views', string.format('%d', threshold))
    end
  end
end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function isAfter(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am > bm or (am == bm and as > bs)
end

if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 'FENCED' end
local position = redis.call('HGET', KEYS[3], ARGV[3]) or '0-0'
if not isAfter(ARGV[4], position) then return 'STALE' end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '(' .. ARGV[4], 1) > 0 then return 'GAP' end

local ids = tonumber(ARGV[8])
local newestAt = tonumber(ARGV[7])
-- Per window, the newest bucket start already out of the window at the batch's newest time:
-- such a bucket would never be read.
local expired = {}
for r = 1, #NAME do expired[r] = newestAt - newestAt % BUCKET[r] - SPAN[r] end

local a = 9 + ids
while a <= #ARGV do
  local kind = ARGV[a]
  if kind == 'w' then
    local video, creator, finest = ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
    local key = ARGV[6] .. video
    local n = tonumber(ARGV[a + 4])
    local marks = redis.call('HGET', key, '@b')
    local newest = {}
    for r = 1, #NAME do newest[r] = 0 end
    if marks then
      local r = 1
      for mark in string.gmatch(marks, '%d+') do
        newest[r] = tonumber(mark)
        r = r + 1
      end
    end
    local moved = false
    local starts = {}
    for r = 1, #NAME do
      starts[r] = finest - finest % BUCKET[r]
      if starts[r] > expired[r] and starts[r] > newest[r] then
        if newest[r] > 0 then dropBuckets(key, r, newest[r], starts[r]) end
        newest[r] = starts[r]
        moved = true
      end
    end
    -- Field prefixes of the window buckets to add to. A late event for a bucket already out of
    -- its window is not written: nothing would ever delete it.
    local fields = {}
    for r = 1, #NAME do
      if starts[r] > expired[r] and starts[r] > newest[r] - SPAN[r] then
        fields[#fields + 1] = NAME[r] .. ':' .. string.format('%d', starts[r]) .. ':'
      end
    end
    for t = a + 5, a + 4 + n, 2 do
      local counter, delta = ARGV[t], ARGV[t + 1]
      local now = redis.call('HINCRBYFLOAT', key, counter, delta)
      if counter == 'views' then
        announceMilestones(video, creator, tonumber(now) - tonumber(delta), tonumber(now))
      end
      for _, field in ipairs(fields) do
        redis.call('HINCRBYFLOAT', key, field .. counter, delta)
      end
    end
    if moved then
      local marks = {}
      for r = 1, #NAME do marks[r] = string.format('%d', newest[r]) end
      redis.call('HSET', key, '@b', table.concat(marks, ','))
    end
    a = a + 5 + n
  elseif kind == 't' then
    local key, cap, n = ARGV[a + 1], tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    for t = a + 6, a + 5 + n, 3 do
      local used = tonumber(redis.call('GET', ARGV[t]) or '0')
      local allowed = math.min(tonumber(ARGV[t + 2]), cap - used)
      if allowed > 0 then
        redis.call('ZINCRBY', key, tostring(allowed), ARGV[t + 1])
        if used == 0 then
          redis.call('SET', ARGV[t], tostring(allowed), 'EX', ARGV[a + 3])
        else
          redis.call('INCRBYFLOAT', ARGV[t], tostring(allowed))
        end
      end
    end
    redis.call('EXPIRE', key, ARGV[a + 2])
    a = a + 6 + n
  elseif kind == 's' then
    redis.call('SADD', ARGV[a + 1], ARGV[a + 2])
    a = a + 3
  elseif kind == 'f' then
    redis.call('SET', ARGV[a + 1], ARGV[a + 2], 'EX', ARGV[a + 3])
    a = a + 4
  elseif kind == 'i' then
    -- Scores are kept in the frame of the set's '@at' member, rescaled to now only when a
    -- half-life has passed: the common case is one ZSCORE and the ZINCRBYs, no rewrite.
    local key, now, tau = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    local found = redis.call('ZSCORE', key, '@at')
    local at = tonumber(found or now)
    local scale = math.exp((now - at) / tau)
    if not found or scale > 2 then
      if found then
        redis.call('ZUNIONSTORE', key, 1, key, 'WEIGHTS', 1 / scale)
        redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[a + 5]) + 2))
      end
      redis.call('ZADD', key, now, '@at')
      scale = 1
    end
    local m = tonumber(ARGV[a + 6])
    for t = a + 7, a + 5 + m, 2 do
      redis.call('ZINCRBY', key, tonumber(ARGV[t + 1]) * scale, ARGV[t])
    end
    redis.call('EXPIRE', key, ARGV[a + 4])
    a = a + 7 + m
  elseif kind == 'r' then
    -- GT: a later engagement moves a video to the end, a late-arriving older one never moves
    -- it back. The window is measured from the set's newest member, not the batch's, so the
    -- set ends the same however a replay splits the stream into batches.
    local key, window, max = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    local n = tonumber(ARGV[a + 4])
    redis.call('ZADD', key, 'GT', unpack(ARGV, a + 5, a + 4 + n))
    redis.call('ZREMRANGEBYRANK', key, 0, -(max + 1))
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    redis.call('ZREMRANGEBYSCORE', key, '-inf',
      string.format('(%d', tonumber(newest[2]) - window))
    redis.call('PEXPIRE', key, window)
    a = a + 5 + n
  elseif kind == 'g' then
    local key, max, n = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    for t = a + 4, a + 3 + n, 2 do
      redis.call('ZADD', key, ARGV[t], ARGV[t + 1])
    end
    a = a + 4 + n
    local m = tonumber(ARGV[a])
    for t = a + 1, a + m do
      redis.call('ZREM', key, ARGV[t])
    end
    if n > 0 then redis.call('ZREMRANGEBYRANK', key, 0, -(max + 1)) end
    a = a + 1 + m
  else
    return redis.error_reply('commit-batch: unknown op ' .. tostring(kind))
  end
end

redis.call('HSET', KEYS[3], ARGV[3], ARGV[5])
for i = 9, 8 + ids, 500 do
  redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, math.min(i + 499, 8 + ids)))
end
return 'OK'
`;

export type CommitOutcome = "OK" | "FENCED" | "STALE" | "GAP";

/**
 * Appends ops as the script reads them to `flat`: strings, each list preceded by its length.
 * Appending in place saves copying thousands of arguments per batch.
 */
export function flattenOps(
  ops: readonly (string | number | readonly (string | number)[])[][],
  flat: string[] = [],
): string[] {
  for (const op of ops) {
    for (const part of op) {
      if (typeof part === "object") {
        flat.push(String(part.length));
        for (const item of part) flat.push(String(item));
      } else {
        flat.push(String(part));
      }
    }
  }
  return flat;
}
