-- Casting: each request is a different member's POST. The data file holds one member a line: the session cookie
-- (empty for the reference app), the form body and the path, tab-separated. Members are never reused: of T
-- threads, thread i takes lines i+1, i+1+T, … and a thread with no member left stops (its last request is a
-- harmless GET of /healthz, never a second vote). Usage:
--   wrk -s cast.lua -t T -c C -d 20s --latency http://127.0.0.1:PORT -- members.txt T
-- A response outside 2xx/3xx counts as an error (a refused vote answers 409). "built" counts the votes handed to
-- wrk: those not answered were in flight when the time was up, or lost with a connection the server closed (the
-- database check allows for them, no more).
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
  local lines = common.read_lines(args[1])
  local step = tonumber(args[2] or "1")
  members = {}
  for i = (id or 0) + 1, #lines, step do
    members[#members + 1] = common.split_tabs(lines[i])
  end
  taken = 0
  bad = 0
  responses = 0
end

function request()
  taken = taken + 1
  local member = members[taken]
  if member == nil then
    wrk.thread:set("exhausted", true)
    wrk.thread:stop()
    return wrk.format("GET", "/healthz", {}, nil)
  end
  wrk.thread:set("built", taken)
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if member[1] ~= "" then headers["Cookie"] = member[1] end
  return wrk.format("POST", member[3], headers, member[2])
end

function response(status, headers, body)
  if string.sub(body or "", 1, 10) == '{"status":' then return end  -- the /healthz filler
  responses = responses + 1
  if status < 200 or status >= 400 then bad = bad + 1 end
  wrk.thread:set("bad", bad)
  wrk.thread:set("responses", responses)
end

function done(summary, latency, requests)
  common.done(threads, summary, latency)
end
