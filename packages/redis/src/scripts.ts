import { createHash } from 'node:crypto';
import { MAX_ENCODED_USER_ID } from './record.js';

/**
 * The Lua scripts. Each touches only the keys it is given, so in a cluster
 * every one runs on a single slot; the user index is passed as a second key
 * only where both keys are known to be on one server (standalone). The record
 * layout is in record.ts; positions here are 1-based.
 *
 * Replies are integers or strings only, so RESP2 and RESP3 clients read them alike.
 */
export interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

/** A script, with the shared helpers unless `bare` (each helper costs every call a closure). */
function script(name: string, body: string, bare = false): Script {
  const source = bare ? body : `${LIB}\n${body}`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

// Shared helpers. `header` reads the fixed header and tells a missing record
// (nil), a corrupt one (false) and a live-or-expired one apart.
const LIB = `
local function header(key, len)
  local h = redis.call('GETRANGE', key, 0, len - 1)
  if #h == 0 then return nil end
  if #h < len or string.sub(h, 1, 1) ~= '1' or not tonumber(string.sub(h, 18, 33)) then return false end
  return h
end
local function live(h, now) return tonumber(string.sub(h, 18, 33)) > tonumber(now) end
-- The user index: a sorted set of session ids scored by indexedUntil. Scores
-- only grow (GT); entries at or below now cover only expired records and go;
-- the key itself lives as long as its latest entry.
local function cover(index, id, untilMs, now)
  redis.call('ZADD', index, 'GT', untilMs, id)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  if redis.call('PEXPIRETIME', index) < tonumber(untilMs) then
    redis.call('PEXPIREAT', index, untilMs)
  end
end`;

/**
 * create: KEYS record [, index]. ARGV value, lastLiveMs (expiresAt - 1, for PXAT), now
 * [, id, indexedUntil].
 * Returns 1 written, 0 exists. A record still in Redis but past its expiresAt
 * by the application's clock counts as gone, as it does for get().
 */
export const CREATE = script(
  'create',
  `if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2]) then
  local h = header(KEYS[1], 33)
  -- nil: an empty value, which get() reads as no record either.
  if h == false or (h and live(h, ARGV[3])) then return 0 end
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
end
if KEYS[2] then cover(KEYS[2], ARGV[4], ARGV[5], ARGV[3]) end
return 1`,
);

/**
 * update: KEYS record [, index]. ARGV value, lastLiveMs, now, ifVersion ('' for
 * none) [, id, indexedUntil]. Returns 1 written, 0 missing, 2 conflict, -1 corrupt.
 */
export const UPDATE = script(
  'update',
  `local h = header(KEYS[1], 33)
if h == nil then return 0 end
if h == false then return -1 end
if not live(h, ARGV[3]) then return 0 end
if ARGV[4] ~= '' and string.sub(h, 2, 17) ~= ARGV[4] then return 2 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
if KEYS[2] then cover(KEYS[2], ARGV[5], ARGV[6], ARGV[3]) end
return 1`,
);

/**
 * touch: KEYS record. ARGV expiresAt (16 digits), lastLiveMs, now [, coveredUser,
 * coveredUntil (16 digits)]. Returns 1 touched, 0 missing, -1 corrupt, or the
 * encoded userId when the user index must first be made to cover the new
 * expiry (the caller covers it, then calls again with coveredUser/Until).
 * Bare, the most frequent write: three commands, and nothing else.
 */
export const TOUCH = script(
  'touch',
  `local h = redis.call('GETRANGE', KEYS[1], 0, 48)
if #h == 0 then return 0 end
local expiresAt = tonumber(string.sub(h, 18, 33))
if #h < 49 or string.sub(h, 1, 1) ~= '1' or not expiresAt then return -1 end
if expiresAt <= tonumber(ARGV[3]) then return 0 end
local covered = string.sub(h, 34, 49)
if covered ~= '0000000000000000' and ARGV[1] > covered then
  local rest = redis.call('GETRANGE', KEYS[1], 49, ${49 + MAX_ENCODED_USER_ID})
  local bar = string.find(rest, '|', 1, true)
  if not bar then return -1 end
  local user = string.sub(rest, 1, bar - 1)
  if user ~= ARGV[4] or ARGV[5] < ARGV[1] then return user end
  redis.call('SETRANGE', KEYS[1], 33, ARGV[5])
end
redis.call('SETRANGE', KEYS[1], 17, ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`,
  true,
);

/** Makes a user index cover a session: KEYS index. ARGV id, indexedUntil, now. */
export const COVER = script('cover', `cover(KEYS[1], ARGV[1], ARGV[2], ARGV[3])\nreturn 1`);

/**
 * destroyByUser, one session: KEYS record [, index]. ARGV encoded userId, now, id.
 * Deletes the record only if it belongs to the user; returns 1 when it was live.
 * With the index (standalone) the entry goes too: the check and the removal
 * are one atomic step, so a session re-created meanwhile cannot lose its entry.
 */
export const DESTROY_OWNED = script(
  'destroyOwned',
  `local user = ARGV[1]
local h = redis.pcall('GETRANGE', KEYS[1], 0, 49 + #user)
local owned = type(h) == 'string' and #h == 50 + #user and string.sub(h, 1, 1) == '1'
  and string.sub(h, 50, 49 + #user) == user and string.sub(h, 50 + #user) == '|'
local wasLive = 0
if owned then
  if tonumber(string.sub(h, 18, 33)) > tonumber(ARGV[2]) then wasLive = 1 end
  redis.call('UNLINK', KEYS[1])
end
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[3]) end
return wasLive`,
);
