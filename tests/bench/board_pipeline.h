// The benchmark's board pipeline scenario (issue 17): a 1080p camera NV12 frame, Y and UV at
// their own addresses with padded rows, into caller-allocated strided tensors through the
// engine's core (PrepareInto), one thread, against the floor of scaling or copying the two
// planes once into the same buffers with libyuv, and against today's Prepare + PackStrided.
// Also what a steady-state call allocates, and calls per second from one thread and all cores.
#ifndef HBPREP_TESTS_BENCH_BOARD_PIPELINE_H_
#define HBPREP_TESTS_BENCH_BOARD_PIPELINE_H_

#include "nlohmann/json.hpp"

namespace hbprep::bench {

using Json = nlohmann::ordered_json;

// {"pyramid224": {...}, "resizer_full": {...}}, each with ms, floor_ms, allocs_per_frame,
// alloc_bytes_per_frame and the rest (board_pipeline.cc).
Json BoardPipeline(int iterations);

}  // namespace hbprep::bench

#endif  // HBPREP_TESTS_BENCH_BOARD_PIPELINE_H_
