-- GET a random path from the file in env BENCH_PATHS (one path a line),
-- with the bearer token in env BENCH_TOKEN; print a JSON summary at the end.
local paths = {}
local token = os.getenv("BENCH_TOKEN")
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  local headers = {}
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", paths[math.random(1, #paths)], headers)
end
