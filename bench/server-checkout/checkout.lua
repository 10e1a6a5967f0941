-- wrk script: POST /api/v1/checkouts through till-server (a 3-line cart, a new client
-- reference each time).
local counter = 0
local thread_id = 0

function setup (thread)
  thread_id = thread_id + 1
  thread:set ("tid", thread_id)
end

function init (args)
  token = args[1]
  run = args[2]
end

function request ()
  counter = counter + 1
  local body = string.format (
    '{"client_reference": "bench-%s-%d-%d", "currency": "EUR", "lines": ['
    .. '{"product_id": 1, "quantity": 2}, {"product_id": 11, "quantity": 1},'
    .. ' {"product_id": 19, "quantity": 3}]}', run, tid, counter)
  return wrk.format ("POST", "/api/v1/checkouts",
                     { ["Authorization"] = "Bearer " .. token,
                       ["Content-Type"] = "application/json" },
                     body)
end
