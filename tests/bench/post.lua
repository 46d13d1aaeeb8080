-- wrk script: each request a different comment, or with `survey` as the second argument a survey response, JSON, to
-- the URL given to wrk, each with its own idempotency key (so none is a replay of an earlier one, in this run or
-- another: pass a run name after `--`) that starts with the time, as the site's script makes them (UUID version 7);
-- with `comment-nokey`, comments without a key (the server derives one from the client and the text).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  run = args[1] or "0"
  kind = args[2] or "comment"
end

-- A key that sorts by time like the site's UUID version 7 (wrk's Lua has a clock in seconds only).
local function key()
  return string.format("%012x-%s-%d-%d", os.time() * 1000, run, id, counter)
end

function request()
  counter = counter + 1
  if kind == "survey" then
    -- A response along one path of sipas-dich-vu-cong: online, rated 4, late by 3 days, overall 5.
    local body = '{"version":"1","unit":"tinh-thanh-hoa","q1":"truc-tuyen","q3":"4","q4":"tre-hen","q5":"3","q6":"5"}'
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Idempotency-Key"] = key() }, body)
  end
  local body = '{"email":"do-hieu-nang@vidu.vn","text":"Góp ý đo hiệu năng số ' .. run .. '-' .. id .. '-' .. counter .. '"}'
  local headers = { ["Content-Type"] = "application/json" }
  if kind ~= "comment-nokey" then headers["Idempotency-Key"] = key() end
  return wrk.format("POST", nil, headers, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
