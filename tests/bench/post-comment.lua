-- wrk script: each request a different comment (so none is a replay of an earlier one, in this run or another:
-- pass a run name after `--`), JSON, to the URL given to wrk.
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
end

function request()
  counter = counter + 1
  local body = '{"email":"do-hieu-nang@vidu.vn","text":"Góp ý đo hiệu năng số ' .. run .. '-' .. id .. '-' .. counter .. '"}'
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
