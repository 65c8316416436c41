// A jitter buffer's statistics as the tests compare them: the values of a snapshot, and their
// TS names, in the order of jitter_stats_fields.hpp (the vectors' stats arrays).
#pragma once

#include <cstdint>
#include <vector>

#include "core/jitter_buffer.hpp"

namespace test {

#define SYFALA_TS_NAME(name, ts_name) #ts_name,
inline const char* const kJitterStatsNames[] = {
    SYFALA_JITTER_STATS_FIELDS(SYFALA_TS_NAME, SYFALA_TS_NAME)};
#undef SYFALA_TS_NAME

inline std::vector<uint64_t> stats_values(const syfala::JitterStatsSnapshot& s) {
#define SYFALA_VALUE(name, ts_name) s.name,
  return {SYFALA_JITTER_STATS_FIELDS(SYFALA_VALUE, SYFALA_VALUE)};
#undef SYFALA_VALUE
}

}  // namespace test
