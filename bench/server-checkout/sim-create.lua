-- wrk script: POST /v1/payment_intents straight to the simulator (the baseline).
-- The request till-server sends for the bench cart (checkout.lua), header for header and
-- member for member, with values of the same length: so the simulator does the same work
-- per intent in both phases (run.sh prints its CPU time per intent for each).
local counter = 0
local thread_id = 0

function setup (thread)
  thread_id = thread_id + 1
  thread:set ("tid", thread_id)
end

function init (args)
  basic = args[1]      -- base64 of "<secret key>:", as curl sends it
  instance = args[2]   -- a database instance id (36 characters)
  amount = args[3]
end

function request ()
  counter = counter + 1
  -- Order ids of the length till-server's have in the through phase.
  local id = tid * 100000 + counter
  local number = string.format ("T-%06d", id)
  local body = "amount=" .. amount .. "&currency=eur&automatic_payment_methods[enabled]=true"
    .. "&metadata[till_order_id]=" .. id
    .. "&metadata[till_order_number]=" .. number
    .. "&metadata[till_instance]=" .. instance
    .. "&description=Bench%20" .. number
  return wrk.format ("POST", "/v1/payment_intents",
                     { ["Authorization"] = "Basic " .. basic,
                       ["User-Agent"] = "till-server/0.1.0",
                       ["Stripe-Version"] = "2020-08-27",
                       ["Accept"] = "application/json",
                       ["Idempotency-Key"] = "till-" .. instance .. "-order-" .. id .. "-payment-intent",
                       ["Content-Type"] = "application/x-www-form-urlencoded" },
                     body)
end

function response (status, headers, body)
  if status ~= 200 then
    errors = (errors or 0) + 1
  end
end
