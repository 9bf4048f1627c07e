-- A page scenario: GET one path, each request with the next session cookie of the data file (one member a line,
-- taken in turn, so the members are spread over the connections). Usage:
--   wrk -s pages.lua http://127.0.0.1:PORT/path -- cookies.txt
-- A response outside 2xx/3xx counts as an error.
package.path = debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua;" .. package.path
local common = require("common")

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

function init(args)
  cookies = common.read_lines(args[1])
  index = id or 0
  bad = 0
  responses = 0
end

function request()
  index = index % #cookies + 1
  return wrk.format("GET", nil, { ["Cookie"] = cookies[index] }, nil)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status >= 400 then bad = bad + 1 end
  -- the totals for done() (each thread has its own Lua state)
  wrk.thread:set("bad", bad)
  wrk.thread:set("responses", responses)
end

function done(summary, latency, requests)
  common.done(threads, summary, latency)
end
