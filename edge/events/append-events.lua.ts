/**
 * Checks each event against the catalog and the user's like/follow state, drops retries, and
 * appends the rest in one atomic step: an event is never marked seen without being appended (a
 * retry after a failed append would otherwise be lost), and two sessions of one user racing a
 * like cannot both count it.
 *
 * KEYS[1] = `ev:{p}`, KEYS[2] = the user's liked videos, KEYS[3] = the user's followed creators,
 * then per event its dedupe key, its video's catalog entry (`video:{id}`) and the user's budget
 * for that video (`evbudget:{user}:{video}`).
 * ARGV[1] = approximate MAXLEN, ARGV[2] = dedupe TTL (s), ARGV[3] = duration slack (ms),
 * ARGV[4] = events per user per video per window, ARGV[5] = the window (s), then per
 * event: its state change (`like`, `unlike`, `follow`, `unfollow` or `-`), the liked video or
 * followed creator, the largest of its times (watch, position, duration; -1 when it has none)
 * and the stored event (JSON).
 *
 * Returns, per event, one of the APPEND_RESULT codes; for TOO_LONG the second value of the
 * event's pair is the bound it broke. Rejected events claim no dedupe key: a fixed retry counts.
 */
export const APPEND_EVENTS_LUA = `
local results = {}
local slack = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
for i = 1, (#KEYS - 3) / 3 do
  local dedupe = KEYS[1 + 3 * i]
  local spent = KEYS[3 + 3 * i]
  local a = 2 + 4 * i
  local status, duration = unpack(redis.call('HMGET', KEYS[2 + 3 * i], 'status', 'duration_ms'))
  local bound = (tonumber(duration) or 0) + slack
  local op, member = ARGV[a], ARGV[a + 1]
  local code = 1
  if status ~= 'live' then
    code = 3
  elseif tonumber(ARGV[a + 2]) > bound then
    code = 4
  elseif (tonumber(redis.call('GET', spent)) or 0) >= budget then
    code = 5
  elseif not redis.call('SET', dedupe, '1', 'NX', 'EX', ARGV[2]) then
    code = 0
  elseif op == 'like' then
    code = redis.call('SADD', KEYS[2], member) == 1 and 1 or 2
  elseif op == 'unlike' then
    code = redis.call('SREM', KEYS[2], member) == 1 and 1 or 2
  elseif op == 'follow' then
    code = redis.call('SADD', KEYS[3], member) == 1 and 1 or 2
  elseif op == 'unfollow' then
    code = redis.call('SREM', KEYS[3], member) == 1 and 1 or 2
  end
  if code == 1 then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[a + 3])
    if redis.call('INCR', spent) == 1 then redis.call('EXPIRE', spent, ARGV[5]) end
  end
  results[#results + 1] = code
  results[#results + 1] = bound
end
return results
`;

/** What the append script did with one event. */
export const APPEND_RESULT = {
  duplicate: 0,
  appended: 1,
  /** A like of a liked video, an unlike of one not liked, the same for follows: no change. */
  unchanged: 2,
  notLive: 3,
  tooLong: 4,
  /** The user spent their budget of events for this video in this window. */
  overBudget: 5,
} as const;
