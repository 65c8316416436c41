// The C++ runtime the WebAssembly core needs and wasi-libc's libc++ does not give: allocation
// for JavaScript's buffers, and exceptions. The core throws only where it refuses its options
// (constructors and setters, never on the audio path); libc++ for WASI is built without
// exception support, so a throw hands its message to JavaScript, which raises it as an Error
// from the call that threw (the module's `fail` import): the stack unwinds in JavaScript.
#include <cstdlib>
#include <exception>

#include "export.hpp"

[[noreturn]] __attribute__((import_module("syfala"), import_name("fail"))) void syfala_fail(
    const char* what);

SYFALA_WASM_EXPORT(syfala_alloc) void* syfala_alloc(size_t bytes) { return std::malloc(bytes); }
SYFALA_WASM_EXPORT(syfala_free) void syfala_free(void* p) { std::free(p); }

extern "C" void* __cxa_allocate_exception(size_t bytes) noexcept { return std::malloc(bytes); }
extern "C" [[noreturn]] void __cxa_throw(void* thrown, void*, void (*)(void*)) {
  // Every exception the core throws is a std::exception.
  syfala_fail(static_cast<std::exception*>(thrown)->what());
}
