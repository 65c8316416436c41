#pragma once
#include <napi.h>

namespace syfala {

/**
 * The JACK duplex stream's functions: opened, started, measured and closed from the main thread,
 * taken from and given to from its worker thread, by a numeric id (one addon instance per thread,
 * one process-wide table of streams).
 */
void export_jack_duplex(Napi::Env env, Napi::Object exports);

}  // namespace syfala
