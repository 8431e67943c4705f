-- A JSON-RPC 1.0 call made the way the original design's OpenResty edges
-- made it (json.rpc.call from JSON4Lua): POST with Content-Type
-- application/json-rpc, a string id, and params encoded by cjson (an empty
-- argument list becomes {}). Prints the result as JSON; exits 1 on error.
--
--   lua5.1 rpc_call.lua URL METHOD [JSON_ARG...]
local http = require("socket.http")
local ltn12 = require("ltn12")
local cjson = require("cjson")

local url, method = arg[1], arg[2]
local params = {}
for i = 3, #arg do
  params[#params + 1] = cjson.decode(arg[i])
end

local body = cjson.encode({ id = tostring(math.random()), method = method, params = params })
local chunks = {}
local ok, code = http.request({
  url = url,
  method = "POST",
  headers = { ["content-type"] = "application/json-rpc", ["content-length"] = #body },
  source = ltn12.source.string(body),
  sink = ltn12.sink.table(chunks),
})
if not ok or code ~= 200 then
  io.stderr:write("HTTP error: " .. tostring(code) .. "\n")
  os.exit(1)
end
local reply = cjson.decode(table.concat(chunks))
if reply.error ~= nil and reply.error ~= cjson.null then
  io.stderr:write("RPC error: " .. cjson.encode(reply.error) .. "\n")
  os.exit(1)
end
print(cjson.encode(reply.result))
