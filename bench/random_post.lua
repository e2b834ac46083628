-- POST a random body from the file in env BENCH_BODIES (lines: "<path>\t<json>"),
-- with the bearer token in env BENCH_TOKEN (optional).
local reqs = {}
local token = os.getenv("BENCH_TOKEN")
for line in io.lines(os.getenv("BENCH_BODIES")) do
  local p, b = line:match("^([^\t]+)\t(.*)$")
  reqs[#reqs + 1] = { p, b }
end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  local r = reqs[math.random(1, #reqs)]
  local headers = { ["Content-Type"] = "application/json" }
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", r[1], headers, r[2])
end
