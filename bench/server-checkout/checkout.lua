-- wrk script: POST /api/v1/checkouts through till-server (a 3-line cart, a new client
-- reference each time, shaped as the app makes them: a UUID version 7, the time in front).
local counter = 0
local thread_id = 0

function setup (thread)
  thread_id = thread_id + 1
  thread:set ("tid", thread_id)
end

function init (args)
  token = args[1]
  run = args[2]
  -- Six hex digits of the run's tag: references differ between runs started together.
  local hash = 0
  for i = 1, #run do hash = (hash * 31 + string.byte (run, i)) % 16777216 end
  run_hash = hash
end

-- The time in front, as the app's: wrk's Lua has only seconds, so each thread counts one
-- millisecond per reference from its start (faster than the clock: the app makes far fewer
-- than one a millisecond, so its references, too, come in order). Unique per thread (tid)
-- and run (run_hash).
local start_ms = nil

local function reference ()
  start_ms = start_ms or os.time () * 1000
  local ms = start_ms + counter
  return string.format ("%08x-%04x-7%03x-%04x-%06x%06x",
                        math.floor (ms / 65536), ms % 65536, tid % 4096,
                        0x8000 + math.floor (counter / 16777216) % 16384,
                        run_hash, counter % 16777216)
end

function request ()
  counter = counter + 1
  local body = string.format (
    '{"client_reference": "%s", "currency": "EUR", "lines": ['
    .. '{"product_id": 1, "quantity": 2}, {"product_id": 11, "quantity": 1},'
    .. ' {"product_id": 19, "quantity": 3}]}', reference ())
  return wrk.format ("POST", "/api/v1/checkouts",
                     { ["Authorization"] = "Bearer " .. token,
                       ["Content-Type"] = "application/json" },
                     body)
end
