// Where the adapters put a request's tensor parts (internal to the engine). A part is one
// input's (one batch item's) Y plane, UV plane, image or ROI. Prepare() collects them into
// dense tensors of its own (DenseSink, engine.cc); PrepareInto() writes them into the
// caller's strided outputs (model.cc), camera planes straight from the scaler.
#ifndef HBPREP_ADAPTERS_PART_SINK_H_
#define HBPREP_ADAPTERS_PART_SINK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "adapters/frame.h"
#include "adapters/request_cost.h"
#include "hbprep/model.h"
#include "hbprep/plan.h"

namespace hbprep {

// Rows of a plane part in their destination.
struct PlaneRows {
  uint8_t* data = nullptr;
  int64_t stride = 0;
};

class PartSink {
 public:
  virtual ~PartSink() = default;
  // A resizer item's frame size (even): it sizes the item's tensors. Before its planes.
  virtual absl::Status FrameSize(int index, int item, int height, int width) = 0;
  // Where the Y (kY: height rows of width bytes) or UV (kUV: height / 2 rows of width bytes)
  // plane of an item's height x width image goes, for the adapter to write there.
  virtual absl::StatusOr<PlaneRows> Plane(int index, int item, TensorRole role, int height,
                                          int width) = 0;
  // A part made whole elsewhere: dense, C order, the float32 data of a quantised
  // featuremap. The vector form may take the bytes over.
  virtual absl::Status Put(int index, int item, TensorRole role,
                           absl::Span<const uint8_t> bytes) = 0;
  virtual absl::Status Put(int index, int item, TensorRole role, std::vector<uint8_t>&& bytes) {
    return Put(index, item, role, absl::Span<const uint8_t>(bytes));
  }
};

// The featuremap's float32 data (`count` values) as the compiled model's quantised integers
// of `spec` (its dtype, shape and quantisation), into `out` (count * element size bytes).
// INVALID_ARGUMENT for a value that is not finite, naming `input` and the tensor.
absl::Status QuantizeInto(const std::string& input, const TensorSpec& spec, const uint8_t* x,
                          size_t count, uint8_t* out);

// The plan Prepare and Model::Compile fill: ResolvePlan, with uint8 float-model data when
// options ask for it.
Plan PlanFor(const Descriptor& descriptor, const PrepareOptions& options);

// What one thread's calls reuse (model.h's Scratch): camera planes, the request check's
// workspace, and the report of calls that ask for none.
struct Workspace {
  ScratchPlanes planes;
  CheckedRequest checked;
  PrepareReport report;
};

// A request's files through the adapters into `sink`, in binding order: CheckRequest, the
// reserve hook, then each file (`*next`: the one being worked on). `workspace` may be null.
absl::Status RunRequest(const Descriptor& descriptor, const Plan& plan,
                        const PrepareOptions& options, absl::Span<const InputView> inputs,
                        const CallHooks& hooks, PartSink& sink, PrepareReport& report,
                        Workspace* workspace, size_t* next);

// `body`'s status, with the exceptions of libraries and of memory running out turned into
// statuses naming file `*next` of `inputs` (read when one is caught): nothing throws past
// the engine's edge.
absl::Status Guarded(const absl::Span<const InputView>* inputs, const size_t* next,
                     absl::FunctionRef<absl::Status()> body);

}  // namespace hbprep

#endif  // HBPREP_ADAPTERS_PART_SINK_H_
