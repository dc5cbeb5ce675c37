-- wrk script: POST /api/alerts with BATCH (default 100) alerts per request, unique ids.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  api_key = os.getenv("API_KEY")
  batch = tonumber(os.getenv("BATCH") or "100")
  prefix = os.getenv("ID_PREFIX") or "b"  -- distinct per wrk process when several run at once
end

request = function()
  local items = {}
  for i = 1, batch do
    counter = counter + 1
    items[i] = string.format(
      '{"id":"' .. prefix .. '%d-%d","ts":"2026-01-02T03:04:05.000000+00:00","level":"MEDIUM","category":"SYN FLOOD",' ..
      '"message":"SYN flood from 10.2.%d.%d","src":"10.2.%d.%d","agent_id":"' .. prefix .. '-bench-%d","hostname":"bench"}',
      tid, counter, counter % 250, tid, counter % 250, tid, tid)
  end
  return wrk.format("POST", "/api/alerts",
    {["Content-Type"] = "application/json", ["X-API-Key"] = api_key},
    '{"alerts":[' .. table.concat(items, ",") .. ']}')
end

response = function(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. " " .. body)
  end
end
