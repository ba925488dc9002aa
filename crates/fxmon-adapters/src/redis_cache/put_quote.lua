-- Stores one quote unless the cached one is newer; atomic, so two processes writing the
-- same pair cannot interleave the check and the write.
--
-- KEYS: 1 quote:{pair} hash, 2 current_rate:{pair}, 3 volatility:{pair}, 4 history:{pair}
-- ARGV: 1 as_of_us, 2 as_of_ns, 3 rate, 4 as_of (RFC 3339), 5 source,
--       6 level volatility ('' when unknown), 7 log-return volatility ('' when unknown),
--       8 TTL in milliseconds, 9 history length
-- Returns 1 when written, 0 when the cached quote is newer.
local stored = redis.call('HMGET', KEYS[1], 'as_of_us', 'as_of_ns')
local us, ns = tonumber(ARGV[1]), tonumber(ARGV[2])
local newer = true
if stored[1] then
  local stored_us, stored_ns = tonumber(stored[1]), tonumber(stored[2] or '0')
  if stored_us > us or (stored_us == us and stored_ns > ns) then
    return 0
  end
  -- A quote of the same as-of time replaces the cached one (as the in-memory cache does)
  -- but is not a new point of history: a replay must not duplicate it.
  newer = stored_us < us or stored_ns < ns
end

local ttl = ARGV[8]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rate', ARGV[3], 'as_of', ARGV[4], 'as_of_us', ARGV[1],
  'as_of_ns', ARGV[2], 'source', ARGV[5])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'volatility', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'volatility_log_return', ARGV[7]) end
redis.call('PEXPIRE', KEYS[1], ttl)

redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[3], ARGV[6], 'PX', ttl)
else
  -- Unknown now: a level left from an older quote would be stale.
  redis.call('DEL', KEYS[3])
end
if newer then
  redis.call('LPUSH', KEYS[4], ARGV[3])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[9]) - 1)
end
redis.call('PEXPIRE', KEYS[4], ttl)
return 1
