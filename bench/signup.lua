-- signup.lua: POST /v1/subscriptions with a distinct contact on every request.
-- Each wrk thread gets its own id in setup(); its requests count up from 1, so the email
-- b<seed>-t<id>-<n>@bench.example is never repeated within a run, and a fixed seed gives the
-- same sequence every run. Arguments (after --): shop uuid, variant id, seed.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local next_id = 0
function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

local shop, variant, seed, head
local n = 0

function init(args)
   shop, variant, seed = args[1], args[2], args[3]
   -- the request is written out here rather than by wrk.format(): wrk shares the two cores
   -- with the server, so its per-request cost is kept low
   head = "POST /v1/subscriptions HTTP/1.1\r\nHost: " .. wrk.host .. ":" .. wrk.port ..
      "\r\nContent-Type: application/json\r\nContent-Length: "
end

function request()
   n = n + 1
   local body = string.format(
      '{"shop":"%s","variant_id":"%s","channel":"email","email":"b%s-t%d-%d@bench.example"}',
      shop, variant, seed, tid, n)
   return head .. #body .. "\r\n\r\n" .. body
end
