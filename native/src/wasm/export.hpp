// What every file of the WebAssembly build (the TS engine's data plane, packages/dataplane)
// shares: how a function is exported to JavaScript, and the heap JavaScript borrows from.
// JavaScript passes byte indices as doubles (exact below 2^53, the TS API's safe integers) and
// sizes as 32-bit integers; objects are returned as pointers it hands back to the other calls.
#pragma once

#include <cstddef>
#include <cstdint>

#define SYFALA_WASM_EXPORT(name) extern "C" __attribute__((export_name(#name)))

// A constant of the core as a function JavaScript calls once, so the TS API exports the C++ value.
#define SYFALA_WASM_CONSTANT(name, value) \
  SYFALA_WASM_EXPORT(name) double name() { return double(value); }

// The delete JavaScript calls once a wrapper is collected (own() in wasm-core.ts).
#define SYFALA_WASM_DELETE(name, Type) \
  SYFALA_WASM_EXPORT(name) void name(Type* object) { delete object; }
