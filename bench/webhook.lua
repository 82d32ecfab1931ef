-- webhook.lua: signed Shopify inventory_levels/update deliveries, as fast as wrk can send them.
-- The bodies and their HMACs are computed before the run (bench/ingest.sh writes them to the
-- file named by the first argument: lines of "hmac body"); at run time each request only picks
-- the next pre-signed body and numbers its X-Shopify-Event-Id (thread id + counter, so every
-- delivery is new and takes the event-id table's write path). Arguments: shop uuid, bodies file.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local next_id = 0
function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

local path, bodies, macs = nil, {}, {}
local n = 0

function init(args)
   path = "/webhooks/shopify/" .. args[1]
   for line in io.lines(args[2]) do
      local sp = line:find(" ")
      macs[#macs + 1] = line:sub(1, sp - 1)
      bodies[#bodies + 1] = line:sub(sp + 1)
   end
end

function request()
   n = n + 1
   local i = (n % #bodies) + 1
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-Shopify-Topic"] = "inventory_levels/update",
      ["X-Shopify-Hmac-Sha256"] = macs[i],
      ["X-Shopify-Event-Id"] = tid .. "-" .. n,
   }, bodies[i])
end
