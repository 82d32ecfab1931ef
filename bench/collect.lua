-- collect.lua: POST /serve/collect/conversion with a distinct order on every request.
-- Each wrk thread gets its own id in setup(); its order numbers W<seed>-t<id>-<n> never repeat
-- within a run. The buyer is p<k>@bench.example, k walking the N contacts of bench/collect's
-- database by a fixed stride from a per-thread start, so a fixed seed gives the same orders
-- every run; the order names the buyer's variant by product number (SKU-<k mod V>), so most
-- orders find a sent notification to attribute. Arguments (after --): shop uuid, N, V, seed.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local next_id = 0
function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

local shop, subs, variants, seed
local n = 0
local headers = { ["Content-Type"] = "text/plain" }

function init(args)
   shop, subs, variants, seed = args[1], tonumber(args[2]), tonumber(args[3]), args[4]
end

function request()
   n = n + 1
   local k = (tid * 500009 + n * 7919 + tonumber(seed)) % subs
   local body = string.format(
      '{"websiteUuid":"%s","orderNumber":"W%s-t%d-%d","total":"19.90",' ..
      '"email":"p%d@bench.example","trackingUserId":"trk-%d","productNumbers":["SKU-%d"]}',
      shop, seed, tid, n, k, k, k % variants)
   return wrk.format("POST", "/serve/collect/conversion", headers, body)
end
