-- wrk script: one alert per POST /api/alert, each with a unique id (durably stored).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  api_key = os.getenv("API_KEY")
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"id":"t%d-%d","ts":"2026-01-02T03:04:05.000000+00:00","level":"HIGH","category":"PORT SCAN",' ..
    '"message":"Port scan from 10.1.%d.%d","src":"10.1.%d.%d","agent_id":"bench-%d","hostname":"bench","os":"Linux"}',
    tid, counter, counter % 250, tid, counter % 250, tid, tid)
  return wrk.format("POST", "/api/alert",
    {["Content-Type"] = "application/json", ["X-API-Key"] = api_key}, body)
end

response = function(status, headers, body)
  if status ~= 201 then
    print("unexpected status " .. status .. " " .. body)
  end
end
