-- The OpenResty-style baseline of scripts/bench: POST
-- /v1/agents/{agent_id}/messages/async and GET /v1/runs/{run_id} the way
-- a user of Debian's lua-nginx-module would write them (lua-cjson, the
-- nginx.redis client of lua-nginx-redis with its connection pool), doing
-- the work the module does:
--
--   POST  Bearer token; the body read and decoded (cjson), validated
--         (messages or input, roles, content, max_steps, the request
--         config), the job re-encoded with each message given its type and
--         an otid; one EVALSHA of bench/create_run.lua (check the agent's
--         tenant, HSET the run hash, 3 ZADD, RPUSH the queue, LPUSH
--         ready when the queue was empty); the Run JSON (cjson).
--   GET   Bearer token; HMGET P{S}:run:R (the rendered fields and
--         tenant); the Run JSON (cjson).
--
-- The key layout is the module's (docs/redis-keys.md, "Slots"): a run id
-- carries its agent's Redis Cluster slot, its keys the tag of that slot.
--
-- Ids are uuid4 from OpenSSL's RAND_bytes through the FFI (what
-- lua-resty-random does), hex by nginx's ngx_hex_dump (what
-- lua-resty-string does), times from gettimeofday, the date part of the
-- text made once a second.  Written for the comparison; not part of the
-- service.

local cjson = require "cjson.safe"
local redis = require "nginx.redis"
local ffi = require "ffi"

ffi.cdef [[
int RAND_bytes(unsigned char *buf, int num);
unsigned char *ngx_hex_dump(unsigned char *dst, unsigned char *src, size_t len);
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]

local null = cjson.null
local M = {}
local cfg = { prefix = "aa:", tenant = "default" }
local script, sha

local function hex(s)
    return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- conf: redis_port, token, script (path of bench/create_run.lua)
function M.init(conf)
    for k, v in pairs(conf) do cfg[k] = v end
    cfg.bearer = "Bearer " .. cfg.token
    local f = assert(io.open(cfg.script))
    script = f:read("*a")
    f:close()
    sha = hex(ngx.sha1_bin(script))
end

-- CRC-16/XMODEM by byte, Redis Cluster's hash
local crc_t = {}
for b = 0, 255 do
    local c = bit.lshift(b, 8)
    for _ = 1, 8 do
        if bit.band(c, 0x8000) ~= 0 then
            c = bit.bxor(bit.lshift(c, 1), 0x1021)
        else
            c = bit.lshift(c, 1)
        end
        c = bit.band(c, 0xffff)
    end
    crc_t[b] = c
end

local function crc16(s, c)
    c = c or 0
    for i = 1, #s do
        c = bit.bxor(bit.band(bit.lshift(c, 8), 0xffff),
                     crc_t[bit.band(bit.bxor(bit.rshift(c, 8), s:byte(i)), 0xff)])
    end
    return c
end

-- the tag of each slot: the first of [0-9a-zA-Z]{1,3}, shortest first
local tags = {}
do
    local al, left = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", 16384
    local function put(s, c)
        local slot = bit.band(c, 0x3fff)
        if not tags[slot] then tags[slot] = s; left = left - 1 end
    end
    local one = {}
    for i = 1, #al do one[i] = al:sub(i, i); put(one[i], crc16(one[i])) end
    for i = 1, #al do
        for j = 1, #al do put(one[i] .. one[j], crc16(one[i] .. one[j])) end
    end
    for i = 1, #al do
        for j = 1, #al do
            local p = one[i] .. one[j]
            local pc = crc16(p)
            for k = 1, #al do put(p .. one[k], crc16(one[k], pc)) end
        end
    end
    assert(left == 0)
end

-- "P{S}:run:R", or nil for an id that carries no slot
local function run_key(run)
    local slot = tonumber(run:sub(-4), 16)
    if not slot then return nil end
    return cfg.prefix .. "{" .. tags[bit.band(slot, 0x3fff)] .. "}:run:" .. run
end

local rnd = ffi.new("unsigned char[16]")
local hexbuf = ffi.new("unsigned char[32]")
local function uuid4(slot)   -- with slot, if given, in its last 14 bits
    assert(ffi.C.RAND_bytes(rnd, 16) == 1)
    rnd[6] = bit.bor(bit.band(rnd[6], 0x0f), 0x40)
    rnd[8] = bit.bor(bit.band(rnd[8], 0x3f), 0x80)
    if slot then
        rnd[14] = bit.bor(bit.band(rnd[14], 0xc0), bit.rshift(slot, 8))
        rnd[15] = bit.band(slot, 0xff)
    end
    ffi.C.ngx_hex_dump(hexbuf, rnd, 16)
    local h = ffi.string(hexbuf, 32)
    return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-"
        .. h:sub(17, 20) .. "-" .. h:sub(21, 32)
end

local tv = ffi.new("bench_timeval")
local date_sec, date_text = 0, ""
local function now()   -- µs (as text: the client would write 1.7e+15), and
    ffi.C.gettimeofday(tv, nil)   -- the run-format text of it
    local s, us = tonumber(tv.tv_sec), tonumber(tv.tv_usec)
    if s ~= date_sec then
        date_sec, date_text = s, os.date("!%Y-%m-%dT%H:%M:%S", s)
    end
    return string.format("%.0f", s * 1000000 + us),
        date_text .. string.format(".%06dZ", us)
end

local function answer(status, body)
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.print(body)
end

local function detail(status, msg)
    return answer(status, cjson.encode({ detail = msg }))
end

local function invalid(loc, msg)
    return answer(422, cjson.encode({ detail = { {
        type = "value_error", loc = loc, msg = msg } } }))
end

local function authorized()
    if ngx.var.http_authorization ~= cfg.bearer then
        detail(401, "Unauthorized")
        return false
    end
    return true
end

local function connect()
    local red = redis:new()
    red:set_timeout(2000)
    local ok, err = red:connect("127.0.0.1", cfg.redis_port)
    if not ok then
        ngx.log(ngx.ERR, "redis: ", err)
        detail(503, "the run store is unavailable")
        return nil
    end
    return red
end

local roles = { user = true, system = true, assistant = true }

-- content: a string, or a list of {"type":"text","text":...} parts
local function content_ok(c)
    if type(c) == "string" then return true end
    if type(c) ~= "table" or #c == 0 then return false end
    for _, p in ipairs(c) do
        if type(p) ~= "table" or p.type ~= "text" or type(p.text) ~= "string" then
            return false
        end
    end
    return true
end

local function string_or_null(v)
    return v == nil or v == null or type(v) == "string"
end

-- The job and the request config of a LettaAsyncRequest, or nil after
-- answering 422.
local function validate(req)
    if type(req) ~= "table" then
        return invalid({ "body" }, "Input should be an object")
    end
    local msgs = {}
    if req.input ~= nil and req.input ~= null then
        if not content_ok(req.input) then
            return invalid({ "body", "input" }, "Input should be a string or text parts")
        end
        msgs[1] = { type = "message", role = "user", content = req.input,
                    otid = uuid4() }
    elseif type(req.messages) == "table" and #req.messages > 0 then
        for i, m in ipairs(req.messages) do
            if type(m) ~= "table" or not roles[m.role] then
                return invalid({ "body", "messages", i - 1, "role" },
                    "Input should be 'user', 'system' or 'assistant'")
            end
            if not content_ok(m.content) then
                return invalid({ "body", "messages", i - 1, "content" },
                    "Input should be a string or text parts")
            end
            if not string_or_null(m.otid) then
                return invalid({ "body", "messages", i - 1, "otid" },
                    "Input should be a valid string")
            end
            msgs[i] = { type = "message", role = m.role, content = m.content,
                        otid = (m.otid ~= nil and m.otid ~= null) and m.otid or uuid4() }
        end
    else
        return invalid({ "body", "messages" }, "Field required")
    end
    local steps = req.max_steps
    if steps == nil or steps == null then
        steps = 50
    elseif type(steps) ~= "number" or steps < 1 or steps % 1 ~= 0 then
        return invalid({ "body", "max_steps" }, "Input should be a positive integer")
    end
    for _, k in ipairs { "assistant_message_tool_name", "assistant_message_tool_kwarg",
                         "callback_url", "override_model", "override_system" } do
        if not string_or_null(req[k]) then
            return invalid({ "body", k }, "Input should be a valid string")
        end
    end
    local uam = req.use_assistant_message
    if uam ~= nil and type(uam) ~= "boolean" then
        return invalid({ "body", "use_assistant_message" }, "Input should be a valid boolean")
    end
    local types = req.include_return_message_types
    if types ~= nil and types ~= null then
        if type(types) ~= "table" then
            return invalid({ "body", "include_return_message_types" }, "Input should be a list")
        end
        for _, t in ipairs(types) do
            if type(t) ~= "string" then
                return invalid({ "body", "include_return_message_types" },
                    "Input should be a list of strings")
            end
        end
    else
        types = null
    end
    local job = {
        messages = msgs, max_steps = steps,
        override_model = req.override_model or null,
        override_system = req.override_system or null,
        include_compaction_messages = req.include_compaction_messages == true,
        include_return_message_types = types,
    }
    local rc = {
        use_assistant_message = uam ~= false,
        assistant_message_tool_name = req.assistant_message_tool_name or "send_message",
        assistant_message_tool_kwarg = req.assistant_message_tool_kwarg or "message",
        include_return_message_types = types,
    }
    return job, rc, req.callback_url
end

local metadata = '{"run_type":"send_message_async","lettuce":null}'

local function run_json(r)
    return cjson.encode({
        id = r.id, status = r.status, created_at = r.created_at,
        completed_at = r.completed_at or null, agent_id = r.agent_id,
        conversation_id = null, base_template_id = null,
        background = r.background, metadata = r.metadata,
        request_config = r.request_config, stop_reason = r.stop_reason or null,
        callback_url = r.callback_url or null,
        callback_sent_at = r.callback_sent_at or null,
        callback_status_code = r.callback_status_code or null,
        callback_error = r.callback_error or null,
        ttft_ns = r.ttft_ns or null, total_duration_ns = r.total_duration_ns or null,
    })
end

function M.create_run(agent)
    if ngx.req.get_method() ~= "POST" then
        return detail(405, "Method Not Allowed")
    end
    if not authorized() then return end
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if not body then
        return detail(413, "the body is too large")
    end
    local req = cjson.decode(body)
    if req == nil then
        return answer(422, '{"detail":[{"type":"json_invalid","loc":["body"],'
            .. '"msg":"JSON decode error"}]}')
    end
    local job, rc, callback = validate(req)
    if not job then return end

    local run = "run-" .. uuid4(bit.band(crc16(agent), 0x3fff))
    local us, created = now()
    local rc_json = cjson.encode(rc)
    local p, t = cfg.prefix, cfg.tenant
    local a = p .. "{" .. agent .. "}:"
    -- the 7 keys, then the arguments (bench/create_run.lua)
    local args = { a .. "agent", a .. "queue", a .. "runs", run_key(run),
        p .. "tenant:" .. t .. ":runs",
        p .. "ready", p .. "tenant:" .. t .. ":active",
        t, run, agent, us,
        "id", run, "agent_id", agent, "tenant", t, "status", "created",
        "created_at", created, "created_us", us, "background", "1",
        "metadata", metadata, "request_config", rc_json,
        "request", cjson.encode(job) }
    if callback and callback ~= null then
        args[#args + 1] = "callback_url"
        args[#args + 1] = callback
    end

    local red = connect()
    if not red then return end
    local res, err = red:evalsha(sha, 7, unpack(args))
    if not res and err and err:find("NOSCRIPT", 1, true) then
        res, err = red:eval(script, 7, unpack(args))
    end
    if not res then
        ngx.log(ngx.ERR, "redis: ", err)
        return detail(503, "the run store is unavailable")
    end
    red:set_keepalive(60000, 256)
    if res == 0 then
        return detail(404, "Agent " .. agent .. " not found")
    end
    return answer(200, run_json({
        id = run, status = "created", created_at = created, agent_id = agent,
        background = true, metadata = cjson.decode(metadata),
        request_config = rc,
        callback_url = (callback ~= null) and callback or nil,
    }))
end

local fields = { "tenant", "status", "created_at", "completed_at", "agent_id",
    "background", "metadata", "request_config", "stop_reason", "callback_url",
    "callback_sent_at", "callback_status_code", "callback_error", "ttft_ns",
    "total_duration_ns" }
local ints = { callback_status_code = true, ttft_ns = true, total_duration_ns = true }

function M.get_run(run)
    if ngx.req.get_method() ~= "GET" then
        return detail(405, "Method Not Allowed")
    end
    if not authorized() then return end
    local red = connect()
    if not red then return end
    local key, vals, err = run_key(run)
    if key then
        vals, err = red:hmget(key, unpack(fields))
    end
    if err then
        ngx.log(ngx.ERR, "redis: ", err)
        return detail(503, "the run store is unavailable")
    end
    red:set_keepalive(60000, 256)
    if not vals or vals[1] ~= cfg.tenant then
        return detail(404, "Run " .. run .. " not found")
    end
    local r = { id = run }
    for i = 2, #fields do
        local v = vals[i]
        if v ~= null then
            local f = fields[i]
            if f == "metadata" or f == "request_config" then
                v = cjson.decode(v)
            elseif ints[f] then
                v = tonumber(v)
            elseif f == "background" then
                v = v == "1"
            end
            r[f] = v
        end
    end
    return answer(200, run_json(r))
end

return M
