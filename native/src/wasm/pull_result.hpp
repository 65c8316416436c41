// What a pull returned (PullResult), for JavaScript: written into one block of four doubles,
// `playing, concealed_bytes, underrun, skipped_frames`, whose address the `pull_result` export
// (jitter_buffer_exports.cpp) gives; the TS reads it after each pull, so it allocates nothing.
#pragma once

#include "jitter_buffer.hpp"

inline double syfala_pull_result[4];

inline void publish_pull_result(const syfala::PullResult& r) {
  syfala_pull_result[0] = r.playing;
  syfala_pull_result[1] = double(r.concealed_bytes);
  syfala_pull_result[2] = r.underrun;
  syfala_pull_result[3] = double(r.skipped_frames);
}
