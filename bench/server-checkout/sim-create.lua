-- wrk script: POST /v1/payment_intents straight to the simulator (the baseline).
-- The same amount and parameters till-server sends for the bench cart.
local counter = 0
local thread_id = 0

function setup (thread)
  thread_id = thread_id + 1
  thread:set ("tid", thread_id)
end

function init (args)
  key = args[1]
  run_id = args[2]
end

function request ()
  counter = counter + 1
  local body = "amount=1148&currency=eur&automatic_payment_methods[enabled]=true"
    .. "&metadata[till_order_id]=" .. tid .. "-" .. counter
    .. "&metadata[till_order_number]=B-" .. counter
    .. "&description=Bench"
  return wrk.format ("POST", "/v1/payment_intents",
                     { ["Authorization"] = "Bearer " .. key,
                       ["Content-Type"] = "application/x-www-form-urlencoded",
                       ["Idempotency-Key"] = "bench-" .. run_id .. "-" .. tid .. "-" .. counter },
                     body)
end

function response (status, headers, body)
  if status ~= 200 then
    errors = (errors or 0) + 1
  end
end
