/**
 * The store's Lua scripts: each runs atomically in Redis, so the owner lock, the
 * idempotency claim, the byte budget and the counts never race between instances. Every
 * key shares one hash tag (`{prefix}`), so a Redis Cluster keeps them in one slot.
 *
 * A job is a hash (`job:{id}`: `head` JSON, state, counts, bytes), its answers a hash
 * (`ans:{id}`: index → answer), its start marks a set (`begun:{id}`), its sealed plan a
 * string (`plan:{id}`). `used` counts the bytes charged to every kept job (a running job is
 * charged max(reserve, bytes), a finished one its bytes), `usage` holds each job's charge
 * and `ends` the finished jobs by the time their files expire (eviction order).
 */

/** Drops a job's keys and its charge; shared by create (eviction, expiry) and expire. */
const DROP = `
local function drop(base, usage, ends, jid)
  local charged = tonumber(redis.call('HGET', usage, jid) or '0')
  redis.call('HDEL', usage, jid)
  redis.call('ZREM', ends, jid)
  redis.call('DEL', base .. ':job:' .. jid, base .. ':ans:' .. jid, base .. ':begun:' .. jid, base .. ':plan:' .. jid)
  return charged
end
local function purge(base, used, usage, ends, now)
  local total = tonumber(redis.call('GET', used) or '0')
  local expired = redis.call('ZRANGEBYSCORE', ends, '-inf', now, 'LIMIT', 0, 200)
  for _, jid in ipairs(expired) do total = total - drop(base, usage, ends, jid) end
  if total < 0 then total = 0 end
  redis.call('SET', used, total)
  return total, #expired
end
`;

/**
 * KEYS: job, owner, idem, used, usage, ends.
 * ARGV: id, exclusive, hasIdem, fingerprint, reserve, maxBytes, now, head, ownerLeaseMs,
 * idemLeaseMs, keepMs, base, statusTtlMs, resultTtlMs.
 * Answers {'created'} | {'replayed', id, fingerprint} | {'busy', id} | {'full'}.
 */
export const CREATE = `${DROP}
local base = ARGV[12]
local now = tonumber(ARGV[7])
if ARGV[3] == '1' then
  local claimed = redis.call('GET', KEYS[3])
  if claimed then
    local sep = string.find(claimed, '\\n', 1, true)
    local jid = string.sub(claimed, 1, sep - 1)
    local f = redis.call('HMGET', base .. ':job:' .. jid, 'state', 'completedAt', 'statusTtlMs')
    if f[1] and (f[2] == '' or now < tonumber(f[2]) + tonumber(f[3])) then
      return {'replayed', jid, string.sub(claimed, sep + 1)}
    end
  end
end
if ARGV[2] == '1' then
  local holder = redis.call('GET', KEYS[2])
  if holder then
    local state = redis.call('HGET', base .. ':job:' .. holder, 'state')
    if state == 'pending' or state == 'running' then return {'busy', holder} end
  end
end
local used = purge(base, KEYS[4], KEYS[5], KEYS[6], now)
local reserve = tonumber(ARGV[5])
local max = tonumber(ARGV[6])
local evicted = 0
while used + reserve > max and evicted < 200 do
  local oldest = redis.call('ZRANGE', KEYS[6], 0, 0)
  if #oldest == 0 then break end
  used = used - drop(base, KEYS[5], KEYS[6], oldest[1])
  evicted = evicted + 1
end
if used < 0 then used = 0 end
if used + reserve > max then
  redis.call('SET', KEYS[4], used)
  return {'full'}
end
redis.call('SET', KEYS[4], used + reserve)
redis.call('HSET', KEYS[5], ARGV[1], reserve)
local ownerKey = ''
if ARGV[2] == '1' then ownerKey = KEYS[2] end
local idemKey = ''
if ARGV[3] == '1' then idemKey = KEYS[3] end
redis.call('HSET', KEYS[1], 'head', ARGV[8], 'state', 'pending', 'cancel', '0', 'startedAt', '',
  'updatedAt', ARGV[7], 'completedAt', '', 'done', 0, 'failed', 0, 'cancelled', 0, 'bytes', 0,
  'reserve', reserve, 'statusTtlMs', ARGV[13], 'resultTtlMs', ARGV[14], 'owner', ownerKey, 'idem', idemKey, 'lease', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[11])
if ARGV[2] == '1' then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[9]) end
if ARGV[3] == '1' then redis.call('SET', KEYS[3], ARGV[1] .. '\\n' .. ARGV[4], 'PX', ARGV[10]) end
return {'created'}
`;

/** KEYS: job. ARGV: now. Marks a pending job running. */
export const START = `
if redis.call('HGET', KEYS[1], 'state') == 'pending' then
  redis.call('HSET', KEYS[1], 'state', 'running', 'startedAt', ARGV[1], 'updatedAt', ARGV[1])
end
return 0
`;

/**
 * KEYS: job, ans, used, usage. ARGV: id, keepMs, then six per answer: index, answer, size,
 * outcome ('a'|'c'), success ('1'|'0'), completedAt. The answers a job gathered within one
 * pipeline go in one call. The first answer of a slot counts; answers the job's cancel
 * flag (1 also when the job is gone).
 */
export const RECORD = `
local f = redis.call('HMGET', KEYS[1], 'state', 'cancel', 'bytes', 'reserve', 'updatedAt')
if not f[1] then return 1 end
if f[1] ~= 'pending' and f[1] ~= 'running' then return tonumber(f[2]) end
local before = tonumber(f[3])
local reserve = tonumber(f[4])
local updated = tonumber(f[5])
local bytes = before
local done, failed, cancelled = 0, 0, 0
for i = 3, #ARGV, 6 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    bytes = bytes + tonumber(ARGV[i + 2])
    if ARGV[i + 3] == 'c' then
      cancelled = cancelled + 1
    else
      done = done + 1
      if ARGV[i + 4] == '0' then failed = failed + 1 end
    end
    local at = tonumber(ARGV[i + 5])
    if at > updated then updated = at end
  end
end
if done + cancelled == 0 then return tonumber(f[2]) end
redis.call('HSET', KEYS[1], 'bytes', bytes, 'updatedAt', updated)
if done > 0 then redis.call('HINCRBY', KEYS[1], 'done', done) end
if failed > 0 then redis.call('HINCRBY', KEYS[1], 'failed', failed) end
if cancelled > 0 then redis.call('HINCRBY', KEYS[1], 'cancelled', cancelled) end
local delta = math.max(reserve, bytes) - math.max(reserve, before)
if delta ~= 0 then
  redis.call('INCRBY', KEYS[3], delta)
  redis.call('HSET', KEYS[4], ARGV[1], math.max(reserve, bytes))
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return tonumber(f[2])
`;

/**
 * KEYS: job, ans, begun, plan, used, usage, ends. ARGV: id, state, now, gcSlackMs.
 * Ends a job once: 1 when this call ended it, 0 when it had ended, -1 when it is gone. The
 * owner lock is released, the idempotency claim kept as long as the status, the sealed
 * plan (the credentials) deleted, and the job charged its bytes until its files expire.
 */
export const FINISH = `
local f = redis.call('HMGET', KEYS[1], 'state', 'bytes', 'reserve', 'resultTtlMs', 'statusTtlMs', 'owner', 'idem')
if not f[1] then
  redis.call('DEL', KEYS[4])
  return -1
end
if f[1] ~= 'pending' and f[1] ~= 'running' then return 0 end
local now = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'completedAt', ARGV[3], 'updatedAt', ARGV[3])
local bytes = tonumber(f[2])
local delta = bytes - math.max(tonumber(f[3]), bytes)
if delta ~= 0 then redis.call('INCRBY', KEYS[5], delta) end
redis.call('HSET', KEYS[6], ARGV[1], bytes)
redis.call('ZADD', KEYS[7], now + tonumber(f[4]), ARGV[1])
if f[6] ~= '' and redis.call('GET', f[6]) == ARGV[1] then redis.call('DEL', f[6]) end
if f[7] ~= '' then redis.call('PEXPIRE', f[7], f[5]) end
redis.call('DEL', KEYS[4], KEYS[3])
local keep = tonumber(f[4]) + tonumber(ARGV[4])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return 1
`;

/** KEYS: job. ARGV: now. 1 when the cancel was asked now, 0 when it was not needed, -1 when the job is gone. */
export const CANCEL = `
local f = redis.call('HMGET', KEYS[1], 'state', 'cancel')
if not f[1] then return -1 end
if (f[1] == 'pending' or f[1] == 'running') and f[2] == '0' then
  redis.call('HSET', KEYS[1], 'cancel', '1', 'updatedAt', ARGV[1])
  return 1
end
return 0
`;

/** KEYS: used, usage, ends. ARGV: now, base. Deletes the jobs whose files expired; answers how many. */
export const EXPIRE = `${DROP}
local _, count = purge(ARGV[2], KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]))
return count
`;

/** KEYS: owner. ARGV: id, leaseMs. Extends the owner lock while its job runs here. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;
