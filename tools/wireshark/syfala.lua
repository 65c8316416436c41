-- Wireshark dissector for Syfala (docs/PROTOCOL.md, docs/SECURITY.md, docs/CONTROL.md).
--
-- UDP: every datagram that starts with the "SYF" preamble, whatever its port (audio ports are
-- chosen at run time), found by a heuristic: discovery (DSCV, CONN), UDP control (CRES, STRT,
-- STOP, STRR, STPR, BEAT, DCON, VERS) and audio (AUDI, AUDE), every header field. The sample
-- frames an audio datagram carries are derived when its stream's format was seen in the capture
-- (a CONN, or a TCP control Welcome).
--
-- TCP control: varint-delimited ControlFrame protobufs. Each frame's boundaries, request id and
-- body type; the Hello and Welcome fields that tie the audio to its formats. Found on ports a
-- CONN announced, on 6911, or by a heuristic on a stream's first frame.
--
-- Field names are the specification's, in snake case: streamIndex is syfala.stream_index.

local syfala = Proto("syfala", "Syfala networked audio")
local control = Proto("syfala_control", "Syfala control (TCP)")

local TYPES = {
  DSCV = "discovery", CONN = "connect", CRES = "connection-result", STRT = "start-io",
  STOP = "stop-io", STRR = "start-io-result", STPR = "stop-io-result", BEAT = "heartbeat",
  AUDI = "audio", AUDE = "sealed-audio", DCON = "disconnect", VERS = "version-not-supported",
}
local OUTCOMES = { [1] = "ok", [2] = "failure", [3] = "refusal" }
local REASONS = {
  [1] = "normal", [2] = "shutdown", [3] = "timeout", [4] = "protocol-error", [5] = "auth-failed",
  [6] = "version-unsupported", [7] = "format-unsupported", [8] = "busy", [9] = "address-in-use",
  [10] = "device-lost",
}
local SAMPLE_TYPES = {
  [1] = "u8", [2] = "u16", [3] = "u24", [4] = "u32", [5] = "u64", [6] = "i8", [7] = "i16",
  [8] = "i24", [9] = "i32", [10] = "i64", [11] = "f32", [12] = "f64",
}
local SAMPLE_BYTES = { 1, 2, 3, 4, 8, 1, 2, 3, 4, 8, 4, 8 }
-- PROTOCOL.md §7.3 and SECURITY.md §3: I/O run r seals with key ids from r * 2^16.
local KEY_IDS_PER_RUN = 65536
local AUDIO_HEADER_BYTES = 24
local SEALED_HEADER_BYTES = 32
local AEAD_TAG_BYTES = 16

local f = {
  magic = ProtoField.string("syfala.magic", "magic"),
  version = ProtoField.uint8("syfala.version", "version"),
  tag = ProtoField.string("syfala.tag", "tag"),
  type = ProtoField.string("syfala.type", "message type"),
  endpoint_id = ProtoField.string("syfala.endpoint_id", "endpointId"),
  control_port = ProtoField.uint16("syfala.control_port", "controlPort"),
  input_count = ProtoField.uint16("syfala.inputs", "count(formats.inputs)"),
  output_count = ProtoField.uint16("syfala.outputs", "count(formats.outputs)"),
  name_length = ProtoField.uint8("syfala.name_length", "len(name)"),
  name = ProtoField.string("syfala.name", "name", base.UNICODE),
  format = ProtoField.string("syfala.format", "format"),
  sample_type = ProtoField.uint8("syfala.format.sample_type", "sampleType", base.DEC, SAMPLE_TYPES),
  channels = ProtoField.uint16("syfala.format.channels", "channels"),
  buffer_frames = ProtoField.uint32("syfala.format.buffer_frames", "bufferFrames"),
  sample_rate = ProtoField.double("syfala.format.sample_rate", "sampleRate"),
  outcome = ProtoField.uint8("syfala.outcome", "outcome", base.DEC, OUTCOMES),
  request_id = ProtoField.uint32("syfala.request_id", "requestId"),
  sequence = ProtoField.uint32("syfala.sequence", "sequence"),
  sender_time_us = ProtoField.uint64("syfala.sender_time_us", "senderTimeUs"),
  stream_index = ProtoField.uint32("syfala.stream_index", "streamIndex"),
  byte_index = ProtoField.uint64("syfala.byte_index", "byteIndex"),
  byte_count = ProtoField.uint32("syfala.byte_count", "byte count"),
  key_id = ProtoField.uint32("syfala.key_id", "keyId"),
  io_run = ProtoField.uint32("syfala.io_run", "I/O run (keyId / 2^16)"),
  copy = ProtoField.uint8("syfala.copy", "copy"),
  reserved = ProtoField.bytes("syfala.reserved", "reserved"),
  payload = ProtoField.bytes("syfala.payload", "payload"),
  ciphertext = ProtoField.bytes("syfala.ciphertext", "ciphertext"),
  auth_tag = ProtoField.bytes("syfala.auth_tag", "tag (Poly1305)"),
  direction = ProtoField.string("syfala.direction", "direction"),
  stream_format = ProtoField.string("syfala.stream_format", "stream format"),
  frames = ProtoField.double("syfala.frames", "frames (byte count / frame bytes)"),
  samples = ProtoField.uint32("syfala.samples", "whole samples"),
  reason = ProtoField.uint8("syfala.reason", "reason", base.DEC, REASONS),
  min_version = ProtoField.uint8("syfala.min_version", "minVersion"),
  max_version = ProtoField.uint8("syfala.max_version", "maxVersion"),
}
syfala.fields = f

local c = {
  length = ProtoField.uint32("syfala_control.length", "length (varint)"),
  request_id = ProtoField.uint32("syfala_control.request_id", "request_id"),
  body = ProtoField.string("syfala_control.body", "body"),
  protocol_version = ProtoField.uint32("syfala_control.protocol_version", "protocol_version"),
  name = ProtoField.string("syfala_control.name", "client_name / endpoint_name", base.UNICODE),
  udp_audio_port = ProtoField.uint32("syfala_control.udp_audio_port", "udp_audio_port"),
  capability = ProtoField.string("syfala_control.capability", "capabilities"),
}
control.fields = c

local expert_bad = ProtoExpert.new("syfala.malformed", "Malformed Syfala message",
  expert.group.MALFORMED, expert.severity.ERROR)
syfala.experts = { expert_bad }

-- Formats seen in the capture, by the server's audio address ("ip:port"):
-- { inputs = { {type, channels, ...}, ... }, outputs = { ... } }.
local servers = {}

local function uuid(tvb)
  local hex = tostring(tvb:bytes()):lower()
  return hex:sub(1, 8) .. "-" .. hex:sub(9, 12) .. "-" .. hex:sub(13, 16) .. "-" ..
    hex:sub(17, 20) .. "-" .. hex:sub(21, 32)
end

local function format_text(format)
  return string.format("%s/%s/%d/%d", SAMPLE_TYPES[format.sample_type] or "?",
    tostring(format.sample_rate):gsub("%.0$", ""), format.channels, format.buffer_frames)
end

-- One 15-byte format record (PROTOCOL.md §5.3).
local function add_format(tree, tvb, offset, label)
  local range = tvb(offset, 15)
  local format = {
    sample_type = range(0, 1):uint(),
    channels = range(1, 2):le_uint(),
    buffer_frames = range(3, 4):le_uint(),
    sample_rate = range(7, 8):le_float(),
  }
  local sub = tree:add(f.format, range, format_text(format)):set_text(label .. ": " .. format_text(format))
  sub:add(f.sample_type, range(0, 1))
  sub:add_le(f.channels, range(1, 2))
  sub:add_le(f.buffer_frames, range(3, 4))
  sub:add_le(f.sample_rate, range(7, 8))
  return format
end

-- What the audio in this packet is, when its stream's format is known.
local function audio_stream(pinfo, stream)
  local src = tostring(pinfo.src) .. ":" .. pinfo.src_port
  local dst = tostring(pinfo.dst) .. ":" .. pinfo.dst_port
  if servers[src] then return "server → client (input)", servers[src].inputs[stream + 1] end
  if servers[dst] then return "client → server (output)", servers[dst].outputs[stream + 1] end
  return nil, nil
end

local function add_audio_counts(tree, pinfo, stream, count)
  local direction, format = audio_stream(pinfo, stream)
  if direction then tree:add(f.direction, direction):set_generated() end
  if not format then return end
  tree:add(f.stream_format, format_text(format)):set_generated()
  local sample_bytes = SAMPLE_BYTES[format.sample_type]
  if sample_bytes then
    tree:add(f.frames, count / (sample_bytes * format.channels)):set_generated()
    tree:add(f.samples, math.floor(count / sample_bytes)):set_generated()
  end
end

local function dissect_body(tag, tvb, pinfo, tree)
  local len = tvb:len()
  if tag == "CONN" then
    tree:add(f.endpoint_id, tvb(8, 16), uuid(tvb(8, 16)))
    tree:add_le(f.control_port, tvb(24, 2))
    tree:add_le(f.input_count, tvb(26, 2))
    tree:add_le(f.output_count, tvb(28, 2))
    tree:add(f.name_length, tvb(30, 1))
    local inputs, outputs = tvb(26, 2):le_uint(), tvb(28, 2):le_uint()
    local known = { inputs = {}, outputs = {} }
    local offset = 31
    for i = 1, inputs do
      known.inputs[i] = add_format(tree, tvb, offset, "input " .. (i - 1))
      offset = offset + 15
    end
    for i = 1, outputs do
      known.outputs[i] = add_format(tree, tvb, offset, "output " .. (i - 1))
      offset = offset + 15
    end
    local name = tvb(offset, tvb(30, 1):uint())
    tree:add(f.name, name, name:string(ENC_UTF_8))
    servers[tostring(pinfo.src) .. ":" .. pinfo.src_port] = known
    local port = tvb(24, 2):le_uint()
    if port ~= 0 then DissectorTable.get("tcp.port"):add(port, control) end
    return " " .. name:string(ENC_UTF_8)
  elseif tag == "CRES" then
    tree:add(f.outcome, tvb(8, 1))
    return " " .. (OUTCOMES[tvb(8, 1):uint()] or "?")
  elseif tag == "STRT" or tag == "STOP" then
    tree:add_le(f.request_id, tvb(8, 4))
    return " #" .. tvb(8, 4):le_uint()
  elseif tag == "STRR" or tag == "STPR" then
    tree:add_le(f.request_id, tvb(8, 4))
    tree:add(f.outcome, tvb(12, 1))
    return " #" .. tvb(8, 4):le_uint() .. " " .. (OUTCOMES[tvb(12, 1):uint()] or "?")
  elseif tag == "BEAT" then
    tree:add_le(f.sequence, tvb(8, 4))
    tree:add_le(f.sender_time_us, tvb(12, 8))
    return " " .. tvb(8, 4):le_uint()
  elseif tag == "DCON" then
    tree:add(f.reason, tvb(8, 1))
    return " " .. (REASONS[tvb(8, 1):uint()] or "?")
  elseif tag == "VERS" then
    tree:add(f.min_version, tvb(8, 1))
    tree:add(f.max_version, tvb(9, 1))
    return ""
  elseif tag == "AUDI" or tag == "AUDE" then
    local stream, count = tvb(8, 4):le_uint(), tvb(20, 4):le_uint()
    tree:add_le(f.stream_index, tvb(8, 4))
    tree:add_le(f.byte_index, tvb(12, 8))
    tree:add_le(f.byte_count, tvb(20, 4))
    local info = string.format(" stream %d bytes %s+%d", stream, tostring(tvb(12, 8):le_uint64()), count)
    if tag == "AUDI" then
      tree:add(f.payload, tvb(AUDIO_HEADER_BYTES, count))
    else
      local key_id = tvb(24, 4):le_uint()
      tree:add_le(f.key_id, tvb(24, 4))
      tree:add(f.io_run, tvb(24, 4), math.floor(key_id / KEY_IDS_PER_RUN)):set_generated()
      tree:add(f.copy, tvb(28, 1))
      tree:add(f.reserved, tvb(29, 3))
      tree:add(f.ciphertext, tvb(SEALED_HEADER_BYTES, count))
      tree:add(f.auth_tag, tvb(SEALED_HEADER_BYTES + count, AEAD_TAG_BYTES))
      info = info .. " key " .. key_id
    end
    add_audio_counts(tree, pinfo, stream, count)
    return info
  end
  return ""
end

-- Exact length of each fixed layout; 0 = computed (CONN, audio). PROTOCOL.md §5.
local LENGTHS = { DSCV = 8, CRES = 9, STRT = 12, STOP = 12, STRR = 13, STPR = 13, BEAT = 20, DCON = 9, VERS = 10 }

local function expected_length(tag, tvb)
  if LENGTHS[tag] then return LENGTHS[tag] end
  if tag == "CONN" then
    if tvb:len() < 31 then return nil end
    return 31 + 15 * (tvb(26, 2):le_uint() + tvb(28, 2):le_uint()) + tvb(30, 1):uint()
  end
  if tvb:len() < 24 then return nil end
  if tag == "AUDI" then return AUDIO_HEADER_BYTES + tvb(20, 4):le_uint() end
  return SEALED_HEADER_BYTES + tvb(20, 4):le_uint() + AEAD_TAG_BYTES
end

-- One message from the start of tvb, in a tree of its own: its info text and its length. `whole`:
-- it must fill tvb; else it is one of several audio datagrams back to back (below).
local function dissect_message(tvb, pinfo, root, whole)
  local tag = tvb(4, 4):string()
  local want = expected_length(tag, tvb)
  local fits = want ~= nil and (want == tvb:len() or (not whole and want < tvb:len()))
  local tree = root:add(syfala, fits and tvb(0, want) or tvb())
  tree:add(f.magic, tvb(0, 3))
  tree:add(f.version, tvb(3, 1))
  tree:add(f.tag, tvb(4, 4))
  tree:add(f.type, tvb(4, 4), TYPES[tag])
  if not fits then
    tree:add_proto_expert_info(expert_bad, string.format("%s: %d bytes, the layout says %s", tag,
      tvb:len(), want and tostring(want) or "more"))
    return tag .. " (malformed)", tvb:len()
  end
  return tag .. dissect_body(tag, tvb(0, want):tvb(), pinfo, tree), want
end

local function audio_at(tvb, offset)
  local rest = tvb:len() - offset
  if rest < 8 or tvb(offset, 3):string() ~= "SYF" then return false end
  local tag = tvb(offset + 4, 4):string()
  return tag == "AUDI" or tag == "AUDE"
end

function syfala.dissector(tvb, pinfo, root)
  pinfo.cols.protocol = "SYFALA"
  local want = audio_at(tvb, 0) and expected_length(tvb(4, 4):string(), tvb)
  if not want or want >= tvb:len() or not audio_at(tvb, want) then
    pinfo.cols.info = dissect_message(tvb, pinfo, root, true)
    return tvb:len()
  end
  -- Audio datagrams back to back: a segmented send (UDP GSO, native/README.md) captured before
  -- the kernel cut it into the datagrams the wire carries, as on loopback. Each is shown as one.
  local offset, count, first = 0, 0, nil
  while offset < tvb:len() do
    local whole = not audio_at(tvb, offset)
    local info, used = dissect_message(tvb(offset):tvb(), pinfo, root, whole)
    first = first or info
    count = count + 1
    offset = offset + used
  end
  pinfo.cols.info = string.format("%s (%d datagrams: one segmented send)", first, count)
  return tvb:len()
end

local function heuristic(tvb, pinfo, root)
  if tvb:len() < 8 or tvb(0, 3):string() ~= "SYF" then return false end
  if not TYPES[tvb(4, 4):string()] then return false end
  syfala.dissector(tvb, pinfo, root)
  return true
end
syfala:register_heuristic("udp", heuristic)

---------------------------------------------------------------------------------------------
-- TCP control (CONTROL.md §1): a varint length, then a ControlFrame protobuf.

local BODIES = {
  [10] = "hello", [11] = "auth-challenge", [12] = "welcome", [20] = "start-io",
  [21] = "start-io-result", [22] = "stop-io", [23] = "stop-io-result", [30] = "heartbeat",
  [31] = "stats", [40] = "error", [41] = "disconnect",
}
local MAX_FRAME_BYTES = 65536

-- A varint at `offset` of `tvb`: value, bytes; nil if it does not end within `limit` bytes.
local function varint(tvb, offset, limit)
  local value, scale = 0, 1
  for i = 0, math.min(limit, 10) - 1 do
    if offset + i >= tvb:len() then return nil end
    local byte = tvb(offset + i, 1):uint()
    value = value + (byte % 128) * scale
    scale = scale * 128
    if byte < 128 then return value, i + 1 end
  end
  return nil
end

-- The fields of the protobuf message in tvb[offset, stop): list of {number, wire type, value
-- (varints) or range (length-delimited), start}. nil when it is not well formed.
local function fields(tvb, offset, stop)
  local out = {}
  while offset < stop do
    local key, n = varint(tvb, offset, stop - offset)
    if not key or key < 8 then return nil end
    local number, wire = math.floor(key / 8), key % 8
    local start = offset
    offset = offset + n
    if wire == 0 then
      local value, m = varint(tvb, offset, stop - offset)
      if not value then return nil end
      out[#out + 1] = { number = number, wire = wire, value = value, start = start }
      offset = offset + m
    elseif wire == 2 then
      local length, m = varint(tvb, offset, stop - offset)
      if not length or offset + m + length > stop then return nil end
      out[#out + 1] = { number = number, wire = wire, range = tvb(offset + m, length), start = start }
      offset = offset + m + length
    elseif wire == 1 or wire == 5 then
      local size = wire == 1 and 8 or 4
      if offset + size > stop then return nil end
      out[#out + 1] = { number = number, wire = wire, range = tvb(offset, size), start = start }
      offset = offset + size
    else
      return nil
    end
  end
  return out
end

local function find(list, number)
  for _, field in ipairs(list or {}) do
    if field.number == number then return field end
  end
end

-- StreamFormats: { inputs = {...}, outputs = {...} } of Format { sample_type, sample_rate, ...}.
local function stream_formats(range)
  local known = { inputs = {}, outputs = {} }
  local list = range:len() > 0 and fields(range:tvb(), 0, range:len()) or {}
  for _, field in ipairs(list or {}) do
    local format = { sample_type = 0, sample_rate = 0, channels = 0, buffer_frames = 0 }
    for _, inner in ipairs(fields(field.range:tvb(), 0, field.range:len()) or {}) do
      if inner.number == 1 then format.sample_type = inner.value
      elseif inner.number == 2 then format.sample_rate = inner.range:le_float()
      elseif inner.number == 3 then format.channels = inner.value
      elseif inner.number == 4 then format.buffer_frames = inner.value end
    end
    local side = field.number == 1 and known.inputs or known.outputs
    side[#side + 1] = format
  end
  return known
end

-- Hello and Welcome: the fields worth showing, and the formats the audio will use.
local function dissect_handshake(kind, body, tree, pinfo)
  local list = fields(body:tvb(), 0, body:len())
  if not list then return end
  local version, name, port = find(list, 1), find(list, 3), find(list, kind == "hello" and 5 or 6)
  if version then tree:add(c.protocol_version, body, version.value) end
  if name then tree:add(c.name, name.range, name.range:string(ENC_UTF_8)) end
  for _, field in ipairs(list) do
    if field.number == (kind == "hello" and 4 or 5) then
      tree:add(c.capability, field.range, field.range:string(ENC_UTF_8))
    end
  end
  if port then tree:add(c.udp_audio_port, body, port.value) end
  local formats = find(list, 4)
  if kind == "welcome" and port and formats and formats.wire == 2 then
    -- The server receives audio at its TCP address and this port (CONTROL.md §3, Welcome).
    servers[tostring(pinfo.src) .. ":" .. port.value] = stream_formats(formats.range)
  end
end

-- One frame at `offset`: its total length, or nil (and desegmentation asked) when incomplete.
local function dissect_frame(tvb, pinfo, root, offset)
  local length, n = varint(tvb, offset, 3)
  if not length then
    if tvb:len() - offset < 3 then return nil end
    return -1
  end
  if length == 0 or length > MAX_FRAME_BYTES then return -1 end
  if offset + n + length > tvb:len() then return nil end
  local tree = root:add(control, tvb(offset, n + length))
  tree:add(c.length, tvb(offset, n), length)
  local list = fields(tvb, offset + n, offset + n + length)
  local name = "?"
  for _, field in ipairs(list or {}) do
    if field.number == 1 and field.wire == 0 then
      tree:add(c.request_id, tvb(field.start, 1), field.value)
    elseif BODIES[field.number] then
      name = BODIES[field.number]
      tree:add(c.body, field.range, name)
      if name == "hello" or name == "welcome" then dissect_handshake(name, field.range, tree, pinfo) end
    end
  end
  tree:append_text(": " .. name)
  return n + length, name
end

function control.dissector(tvb, pinfo, root)
  pinfo.cols.protocol = "SYFALA-CTL"
  local offset, names = 0, {}
  while offset < tvb:len() do
    local size, name = dissect_frame(tvb, pinfo, root, offset)
    if size == nil then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      break
    end
    if size < 0 then
      root:add_proto_expert_info(expert_bad, "not a varint-delimited ControlFrame")
      break
    end
    names[#names + 1] = name
    offset = offset + size
  end
  if #names > 0 then pinfo.cols.info = table.concat(names, ", ") end
  return tvb:len()
end

-- A stream's first segment: one or more complete frames, each with exactly one known body.
local function control_heuristic(tvb, pinfo, root)
  local length, n = varint(tvb, 0, 3)
  if not length or length == 0 or length > MAX_FRAME_BYTES or n + length > tvb:len() then
    return false
  end
  local bodies = 0
  for _, field in ipairs(fields(tvb, n, n + length) or {}) do
    if BODIES[field.number] and field.wire == 2 then bodies = bodies + 1
    elseif field.number ~= 1 then return false end
  end
  if bodies ~= 1 then return false end
  pinfo.conversation = control
  control.dissector(tvb, pinfo, root)
  return true
end
control:register_heuristic("tcp", control_heuristic)
DissectorTable.get("tcp.port"):add(6911, control)
