-- clicks.lua: GET /r/{token} over a file of click tokens (one a line). Thread k starts at
-- token k * n / threads and walks the list in order, wrapping, so every run with the same file
-- asks the same sequence. Arguments (after --): the token file, the number of wrk threads.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local next_id = 0
function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
end

local paths = {}
local i = 0

function init(args)
   for line in io.lines(args[1]) do
      paths[#paths + 1] = wrk.format("GET", "/r/" .. line)
   end
   i = math.floor(tid * #paths / tonumber(args[2]))
end

function request()
   i = i % #paths + 1
   return paths[i]
end
