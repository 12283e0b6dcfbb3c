/**
 * Drops retried events and appends the rest in one atomic step, so an event is never marked
 * seen without being appended (a retry after a failed append would otherwise be lost).
 * KEYS[1] = `ev:{p}`, KEYS[2..n+1] = one dedupe key per event;
 * ARGV[1] = approximate MAXLEN, ARGV[2] = dedupe TTL (s), ARGV[3..n+2] = stored events (JSON).
 * Returns, per event, 1 when appended and 0 when it was a duplicate.
 */
export const APPEND_EVENTS_LUA = `
local appended = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[2]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i + 1])
    appended[i - 1] = 1
  else
    appended[i - 1] = 0
  end
end
return appended
`;
