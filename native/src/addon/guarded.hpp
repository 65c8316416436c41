#pragma once
// C++ errors of the addon's control calls as JS errors with a `code`.
#include <napi.h>

#include <string>

#include "convert.hpp"

namespace syfala {

inline Napi::Error coded_error(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

/** Runs `body`, turning the C++ errors of the control methods into coded JS errors. */
template <class Body>
auto guarded(Napi::Env env, const char* code, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const ArgumentError& e) {
    throw coded_error(env, "BAD_OPTION", e.what());
  } catch (const DeviceError& e) {
    throw coded_error(env, e.code, e.what());
  } catch (const EngineError& e) {
    throw coded_error(env, e.code, e.what());
  } catch (const std::exception& e) {
    throw coded_error(env, code, e.what());
  }
}

}  // namespace syfala
