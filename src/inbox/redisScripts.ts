/**
 * The Lua scripts of the Redis inbox. Each runs atomically on the server, so two Node-RED instances can never both
 * store, claim or settle the same delivery. All keys a script touches belong to one `sales webhook` node and share
 * its hash tag (`<prefix>:{<node>}:…`), so they live in one slot of a Redis Cluster.
 *
 * Keys of node N under prefix P (base = `P:{N}`):
 *   base:inbox   stream, consumer group `emit`: one entry per emission round of a delivery (field d = its number)
 *   base:dead    stream: deliveries that ended failed (past the attempt limit, or a CRM gave up): dead letters
 *   base:due     sorted set: deliveries whose replay was requested, by request time
 *   base:seq     counter: delivery numbers; a delivery's id is `N~<number>`
 *   base:index   sorted set: every delivery and refusal by received time (the log's index)
 *   base:bytes   counter: approximate bytes held (retention by size)
 *   base:d:<n>   hash: the record (body, meta, headers, state, attempt, lease, leads, …)
 *   base:s:<n>   list: its settlements (JSON), in order
 *   base:p:<n>   hash: the state of each part of a split delivery in the current round (counted in the record)
 *   base:k:<key> string: a duplicate key's claim, value = the delivery id, expires with the window (SET NX PX)
 *   base:refused sorted set: the node's refusals by number, and base:refusedBytes their bytes (their own bound)
 *   base:alive   hash: each consumer's last heartbeat (ms), written at each accept and each claim (every few seconds)
 *
 * Invariant: an entry is added to base:inbox only by a script that reads it into a consumer's pending list in the same
 * step (XREADGROUP `>`), so no instance ever reads another's new entries: the first emission is the acceptor's alone.
 */

export const GROUP = 'emit';

const HELPERS = `
local function ensure_group(stream)
  redis.pcall('XGROUP', 'CREATE', stream, '${GROUP}', '0', 'MKSTREAM')
end
local function merge_leads(current, added)
  local list, seen = {}, {}
  local function key(l) return tostring(l.email or '') .. '\\0' .. tostring(l.name or '') end
  local ok, cur = pcall(cjson.decode, current or '[]')
  if ok and type(cur) == 'table' then
    for _, l in ipairs(cur) do seen[key(l)] = true; table.insert(list, l) end
  end
  local ok2, add = pcall(cjson.decode, added or '[]')
  if ok2 and type(add) == 'table' then
    for _, l in ipairs(add) do
      if type(l) == 'table' then
        local email = (type(l.email) == 'string' and l.email ~= '') and l.email or nil
        local name = (type(l.name) == 'string' and l.name ~= '') and l.name or nil
        if email or name then
          local lead = { email = email, name = name }
          if not seen[key(lead)] then seen[key(lead)] = true; table.insert(list, lead) end
        end
      end
    end
  end
  if #list == 0 then return '[]' end
  return cjson.encode(list)
end
-- The hash of a record's part states in the current round (field: part index), beside the record.
local function parts_key(record)
  return (string.gsub(record, ':d:(%d+)$', ':p:%1'))
end
local function ack(stream, entry)
  if entry and entry ~= '' then redis.pcall('XACK', stream, '${GROUP}', entry) end
end
-- Adds a new entry for delivery n and reads it into this consumer's pending list in the same step.
local function add_owned_entry(stream, consumer, n)
  ensure_group(stream)
  local entry = redis.call('XADD', stream, '*', 'd', n)
  local read = redis.call('XREADGROUP', 'GROUP', '${GROUP}', consumer, 'COUNT', 1, 'STREAMS', stream, '>')
  if not read or read[1][2][1][1] ~= entry then return redis.error_reply('INBOX an entry of the inbox stream was read by nobody') end
  return entry
end
`;

/**
 * KEYS: duplicate key, seq, index, inbox stream, bytes. ARGV: base, window ms, node, consumer, received at, size,
 * then field/value pairs of the record. Returns {1, id} when stored, {0, id of the first} for a duplicate.
 */
export const ACCEPT = `${HELPERS}
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local n = redis.call('INCR', KEYS[2])
local id = ARGV[3] .. '~' .. n
local record = ARGV[1] .. ':d:' .. n
local entry = add_owned_entry(KEYS[4], ARGV[4], n)
if type(entry) == 'table' then return entry end
redis.call('HSET', ARGV[1] .. ':alive', ARGV[4], ARGV[5])
local fields = { 'state', 'received', 'entry', entry, 'attempt', 0, 'settles', 0, 'replay', 0, 'roundStart', 0, 'roundFirst', 1, 'leads', '[]', 'size', ARGV[6] }
for i = 7, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', record, unpack(fields))
redis.call('ZADD', KEYS[3], ARGV[5], n)
redis.call('INCRBY', KEYS[5], ARGV[6])
redis.call('SET', KEYS[1], id, 'PX', ARGV[2])
return {1, id}
`;

/**
 * KEYS: seq, index, bytes, refused (sorted set), refused bytes. ARGV: base, node, received at, size, most refusals,
 * most refused bytes, field/value pairs. Returns the id. Past the node's bound, its oldest refusals go in the same step.
 */
export const LOG_REJECTED = `
local n = redis.call('INCR', KEYS[1])
local fields = { 'state', 'rejected', 'attempt', 0, 'settles', 0, 'replay', 0, 'roundStart', 0, 'roundFirst', 1, 'leads', '[]', 'size', ARGV[4] }
for i = 7, #ARGV do table.insert(fields, ARGV[i]) end
redis.call('HSET', ARGV[1] .. ':d:' .. n, unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], n)
redis.call('INCRBY', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], n, n)
local held = redis.call('INCRBY', KEYS[5], ARGV[4])
local max_count, max_bytes = tonumber(ARGV[5]), tonumber(ARGV[6])
local count = redis.call('ZCARD', KEYS[4])
if count > max_count or held > max_bytes then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, 63)) do
    if count <= max_count and held <= max_bytes then break end
    local record = ARGV[1] .. ':d:' .. old
    local size = tonumber(redis.call('HGET', record, 'size')) or 0
    redis.call('DEL', record, ARGV[1] .. ':s:' .. old)
    redis.call('ZREM', KEYS[2], old)
    redis.call('ZREM', KEYS[4], old)
    redis.call('DECRBY', KEYS[3], size)
    held = redis.call('DECRBY', KEYS[5], size)
    count = count - 1
  end
end
return ARGV[2] .. '~' .. n
`;

/** KEYS: record, inbox stream. ARGV: attempt, settles (1/0), lease until ('' for none), leads JSON ('' for none). */
export const MARK_EMITTED = `${HELPERS}
local h = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'leads', 'entry')
local state = h[1]
if not state or state == 'rejected' then return 0 end
local settled = state == 'delivered' or state == 'handled' or state == 'failed'
local settles = ARGV[2] == '1'
local next_state = state
if not settled then next_state = settles and 'emitted' or 'delivered' end
local attempt = math.max(tonumber(h[2]) or 0, tonumber(ARGV[1]) or 0)
local leads = h[3]
if ARGV[4] ~= '' then leads = merge_leads(h[3], ARGV[4]) end
redis.call('HSET', KEYS[1], 'state', next_state, 'attempt', attempt, 'settles', settles and 1 or 0, 'leads', leads)
if settles and not settled and ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'leaseUntil', ARGV[3])
else redis.call('HDEL', KEYS[1], 'leaseUntil') end
if next_state ~= 'emitted' then ack(KEYS[2], h[4]) end
return 1
`;

/** KEYS: record. ARGV: leads JSON. */
export const NOTE_LEADS = `${HELPERS}
local leads = redis.call('HGET', KEYS[1], 'leads')
if not leads then return 0 end
redis.call('HSET', KEYS[1], 'leads', merge_leads(leads, ARGV[1]))
return 1
`;

/**
 * KEYS: record, settlements, inbox stream, dead stream. ARGV: settlement JSON, lead JSON ('' for none), reason.
 * Returns the state. A delivery that ends failed (a CRM gave up) is a dead letter too, replayable like the others.
 */
export const SETTLE = `${HELPERS}
local h = redis.call('HMGET', KEYS[1], 'state', 'entry', 'partCount', 'partsSettled', 'partsFailed', 'partsDelivered')
local state = h[1]
if not state or state == 'rejected' then return false end
redis.call('RPUSH', KEYS[2], ARGV[1])
-- Counters, not a re-read of every settlement: one part costs the same whatever the number of parts.
local parts = parts_key(KEYS[1])
local previous = redis.call('HGET', parts, ARGV[3])
redis.call('HSET', parts, ARGV[3], ARGV[4])
local count = math.max(tonumber(h[3]) or 1, tonumber(ARGV[5]) or 1)
local settled = (tonumber(h[4]) or 0) + (previous and 0 or 1)
local failed = (tonumber(h[5]) or 0) + (ARGV[4] == 'failed' and 1 or 0) - (previous == 'failed' and 1 or 0)
local delivered = (tonumber(h[6]) or 0) + (ARGV[4] == 'delivered' and 1 or 0) - (previous == 'delivered' and 1 or 0)
local next_state = state
-- Failed wins, then delivered (a CRM took a part), else handled: settledStateOf in types.ts.
if settled >= count then next_state = (failed > 0 and 'failed') or (delivered > 0 and 'delivered') or 'handled' end
redis.call('HSET', KEYS[1], 'state', next_state, 'partCount', count, 'partsSettled', settled, 'partsFailed', failed,
  'partsDelivered', delivered)
if next_state == 'delivered' or next_state == 'handled' or next_state == 'failed' then
  -- Settled means emitted at least once, though a plain flow's first emission is not written.
  if (tonumber(redis.call('HGET', KEYS[1], 'attempt')) or 0) < 1 then redis.call('HSET', KEYS[1], 'attempt', 1) end
  redis.call('HDEL', KEYS[1], 'leaseUntil')
  ack(KEYS[3], h[2])
end
if next_state == 'failed' and state ~= 'failed' then
  redis.call('HSET', KEYS[1], 'dead', redis.call('XADD', KEYS[4], '*', 'd', string.match(KEYS[1], ':d:(%d+)$'), 'reason', ARGV[2]))
end
return next_state
`;

/**
 * KEYS: inbox stream, dead stream, due set. ARGV: base, consumer, now, lease ms, max attempts, limit, settles (1/0),
 * recovering (1/0), where recovery continues (`-` or `(<entry id>`). Hands back what is due: replays requested, this consumer's own pending entries when recovering,
 * and (XAUTOCLAIM) entries idle longer than the lease whose lease is over, e.g. a dead instance's. Returns a list of
 * {{n, attempt, replay, body, meta, issues}, …} and the last pending entry recovery went through.
 */
export const CLAIM_DUE = `${HELPERS}
local stream, dead, due = KEYS[1], KEYS[2], KEYS[3]
local base, consumer, now, lease_ms = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local max_attempts, limit, settles, recovering = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1', ARGV[8] == '1'
local dead_after = tonumber(ARGV[10])
ensure_group(stream)
-- This instance is alive: its heartbeat, in the node's slot, read by the others' claims.
redis.call('HSET', base .. ':alive', consumer, now)
local candidates, seen = {}, {}
local function consider(n, entry, forced, replayed)
  if seen[n] or #candidates >= limit then return end
  seen[n] = true
  table.insert(candidates, { n = n, entry = entry, forced = forced, replayed = replayed })
end
for _, n in ipairs(redis.call('ZRANGE', due, 0, limit - 1)) do
  redis.call('ZREM', due, n)
  local entry = add_owned_entry(stream, consumer, n)
  if type(entry) == 'table' then return entry end
  redis.call('HSET', base .. ':d:' .. n, 'entry', entry)
  consider(n, entry, true, true)
end
local last_recovered = ''
if recovering then
  for _, p in ipairs(redis.call('XPENDING', stream, '${GROUP}', ARGV[9], '+', limit, consumer)) do
    last_recovered = p[1]
    local e = redis.call('XRANGE', stream, p[1], p[1])
    if e[1] then consider(e[1][2][2], p[1], true, false) else ack(stream, p[1]) end
  end
end
-- A consumer without a heartbeat for dead_after ms is dead: its pending entries are taken over now, whatever their
-- lease (the lease is how long a live flow may take to settle, not how long to wait for a dead instance).
if #candidates < limit then
  local alive = {}
  local beats = redis.call('HGETALL', base .. ':alive')
  for i = 1, #beats, 2 do alive[beats[i]] = tonumber(beats[i + 1]) end
  for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', stream, '${GROUP}')) do
    local c = {}
    for i = 1, #info, 2 do c[info[i]] = info[i + 1] end
    local beat = alive[c.name]
    local silent = (beat and now - beat > dead_after) or (not beat and tonumber(c.idle) > dead_after)
    if c.name ~= consumer and tonumber(c.pending) > 0 and silent then
      for _, p in ipairs(redis.call('XPENDING', stream, '${GROUP}', '-', '+', limit - #candidates, c.name)) do
        local e = redis.call('XCLAIM', stream, '${GROUP}', consumer, 0, p[1])
        if e[1] and e[1][2] then consider(e[1][2][2], p[1], true, false) else ack(stream, p[1]) end
      end
      if #candidates >= limit then break end
    end
  end
end
if #candidates < limit then
  local claimed = redis.call('XAUTOCLAIM', stream, '${GROUP}', consumer, lease_ms, '0-0', 'COUNT', limit)
  for _, e in ipairs(claimed[2]) do
    if e and e[2] then consider(e[2][2], e[1], false, false) end
  end
end
local out = {}
for _, c in ipairs(candidates) do
  local record = base .. ':d:' .. c.n
  local h = redis.call('HMGET', record, 'state', 'attempt', 'settles', 'leaseUntil', 'roundFirst', 'entry', 'replay')
  local state = h[1]
  if not state or h[6] ~= c.entry or state == 'delivered' or state == 'handled' or state == 'failed' or state == 'rejected' then
    -- Erased, superseded by a replay, or settled: its entry needs no one.
    ack(stream, c.entry)
  else
    local lease_until = tonumber(h[4])
    local is_due = c.forced or state == 'received' or (h[3] == '1' and (lease_until == nil or lease_until <= now))
    if is_due then
      local attempt = (tonumber(h[2]) or 0) + 1
      local round_first = tonumber(h[5]) or 1
      if not c.replayed and attempt - round_first + 1 > max_attempts then
        local reason = 'not settled after ' .. max_attempts .. ' attempt' .. (max_attempts == 1 and '' or 's')
        redis.call('RPUSH', base .. ':s:' .. c.n, cjson.encode({ state = 'failed', reason = reason, at = now }))
        local dead_entry = redis.call('XADD', dead, '*', 'd', c.n, 'reason', reason)
        redis.call('HSET', record, 'state', 'failed', 'dead', dead_entry)
        redis.call('HDEL', record, 'leaseUntil')
        ack(stream, c.entry)
      else
        local fields = { 'state', settles and 'emitted' or 'delivered', 'attempt', attempt, 'settles', settles and 1 or 0 }
        redis.call('HSET', record, unpack(fields))
        if settles then
          redis.call('HSET', record, 'leaseUntil', string.format('%d', now + lease_ms * 2 ^ math.max(0, attempt - round_first)))
        else
          redis.call('HDEL', record, 'leaseUntil')
          ack(stream, c.entry)
        end
        local d = redis.call('HMGET', record, 'body', 'meta', 'issues')
        table.insert(out, { c.n, attempt, h[7] or '0', d[1] or '', d[2] or '', d[3] or '' })
      end
    end
  end
end
return { out, last_recovered }
`;

/** KEYS: record, settlements, inbox stream, dead stream, due set. ARGV: n, now. Returns 1 when the replay was queued. */
export const REQUEST_REPLAY = `${HELPERS}
local h = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'entry', 'dead')
if not h[1] or h[1] == 'rejected' then return 0 end
ack(KEYS[3], h[3])
if h[4] then redis.call('XDEL', KEYS[4], h[4]); redis.call('HDEL', KEYS[1], 'dead') end
redis.call('HSET', KEYS[1], 'state', 'received', 'replay', 1, 'roundStart', redis.call('LLEN', KEYS[2]),
  'roundFirst', (tonumber(h[2]) or 0) + 1, 'entry', '', 'partCount', 1, 'partsSettled', 0, 'partsFailed', 0, 'partsDelivered', 0)
redis.call('DEL', parts_key(KEYS[1]))
redis.call('HDEL', KEYS[1], 'leaseUntil')
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
return 1
`;

/**
 * KEYS: record, settlements, index, inbox stream, dead stream, due set, bytes. ARGV: n, only settled (1/0).
 * Removes a delivery and everything pointing at it. Returns 1 when removed.
 */
export const DELETE_RECORD = `${HELPERS}
local h = redis.call('HMGET', KEYS[1], 'state', 'entry', 'dead', 'size')
if not h[1] then redis.call('ZREM', KEYS[3], ARGV[1]); return 0 end
-- ARGV[2]: '0' any record (erasure), '1' settled ones (age), '2' refusals only, '3' delivered or handled only (size).
local kinds = {
  ['1'] = { delivered = true, handled = true, failed = true, rejected = true },
  ['2'] = { rejected = true },
  ['3'] = { delivered = true, handled = true },
}
if kinds[ARGV[2]] and not kinds[ARGV[2]][h[1]] then return 0 end
if h[2] and h[2] ~= '' then ack(KEYS[4], h[2]); redis.call('XDEL', KEYS[4], h[2]) end
if h[3] then redis.call('XDEL', KEYS[5], h[3]) end
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[2], parts_key(KEYS[1]))
redis.call('DECRBY', KEYS[7], tonumber(h[4]) or 0)
if h[1] == 'rejected' then
  local base = string.gsub(KEYS[1], ':d:%d+$', '')
  redis.call('ZREM', base .. ':refused', ARGV[1])
  redis.call('DECRBY', base .. ':refusedBytes', tonumber(h[4]) or 0)
end
return 1
`;

/**
 * KEYS: inbox stream, dead stream. ARGV: oldest id to keep (ms-0). Trims both streams by MINID, never past an entry
 * still pending (an unsettled delivery's) in the inbox. Returns entries trimmed.
 */
export const TRIM_STREAMS = `
local function id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  if am ~= bm then return am < bm end
  return as < bs
end
local minid = ARGV[1]
local trimmed = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local summary = redis.pcall('XPENDING', KEYS[1], '${GROUP}')
  if type(summary) == 'table' and tonumber(summary[1]) > 0 and id_less(summary[2], minid) then minid = summary[2] end
  trimmed = trimmed + redis.call('XTRIM', KEYS[1], 'MINID', minid)
end
if redis.call('EXISTS', KEYS[2]) == 1 then trimmed = trimmed + redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1]) end
return trimmed
`;

/**
 * KEYS: inbox stream. ARGV: this consumer, idle ms. Removes consumers (instances that restarted under a new name)
 * with nothing pending that have been idle that long; never one with pending entries (DELCONSUMER would drop them).
 */
export const PRUNE_CONSUMERS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], '${GROUP}')
if not ok then return 0 end
local removed = 0
for _, c in ipairs(consumers) do
  local info = {}
  for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
  if info.name ~= ARGV[1] and tonumber(info.pending) == 0 and tonumber(info.idle) >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], '${GROUP}', info.name)
    removed = removed + 1
  end
end
return removed
`;
