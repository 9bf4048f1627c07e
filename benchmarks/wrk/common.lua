-- Shared by the benchmark's wrk scripts: reading the data file, counting responses outside 2xx/3xx in each
-- thread, and a machine-readable summary line ("BENCH {json}") that benchmarks/httpbench.py reads.
local common = {}

function common.read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  file:close()
  return lines
end

function common.split_tabs(line)
  local fields = {}
  for field in string.gmatch(line, "([^\t]*)\t?") do
    fields[#fields + 1] = field
  end
  return fields
end

function common.done(threads, summary, latency)
  local bad, responses, built, exhausted = 0, 0, 0, false
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("bad") or 0)
    responses = responses + (thread:get("responses") or 0)
    built = built + (thread:get("built") or 0)
    if thread:get("exhausted") then exhausted = true end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "responses": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"bad_status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "built": %d, "exhausted": %s}\n',
    summary.requests, responses, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), bad, e.connect, e.read, e.write, e.timeout, built, tostring(exhausted)))
end

return common
