#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/backbone.h"

namespace ttl {

using StateDict = std::map<std::string, torch::Tensor>;

struct LoadOptions {
  bool allow_missing = false;  // partial checkpoints: missing parameters keep their initialisation
  std::string layout;          // "" (torchvision names) or "gluoncv_resnet_v2"
  std::string prefix;          // strip this prefix from checkpoint keys; other keys are ignored
  bool require_head = false;   // a checkpoint of this very network (ttl-torch's own): its head must be there too
};

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected, actual;
};

struct LoadReport {
  std::vector<std::string> loaded;
  std::vector<std::string> missing;        // in the model, not in the checkpoint
  std::vector<std::string> unexpected;     // in the checkpoint, not in the model
  std::vector<std::string> dropped;        // belong to units removed by truncation
  std::vector<std::string> head_skipped;   // checkpoint head replaced by a new head
  std::vector<std::string> head_missing;   // in the model's head, not in the checkpoint (left as initialised)
  std::vector<std::string> reinitialised;  // belong to units rebuilt at another width (TransFusion)
  std::vector<ShapeMismatch> mismatched;
  std::vector<std::string> random_units;   // units left (partly) at their initialisation
};

// Copies a checkpoint into the model. Validates everything first and copies nothing on error; strict
// unless options.allow_missing (which tolerates missing keys only). Throws ttl::Error E_WEIGHTS_MISMATCH.
LoadReport load_state_dict(BackboneImpl& model, const StateDict& source, const LoadOptions& options);

// What load_state_dict would do, from the checkpoint's names and shapes alone: nothing is allocated, and it
// throws as the load would. `keys` are the checkpoint keys whose tensors the load copies, so a reader inflates
// only those (a hostile archive cannot make it allocate what the model would never take).
struct LoadPlan {
  LoadReport report;
  std::vector<std::string> keys;
};
LoadPlan plan_state_dict(BackboneImpl& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                         const LoadOptions& options);

// Parameters and buffers by name, on the CPU as float32 (num_batches_tracked stays int64).
StateDict state_dict(BackboneImpl& model);

}  // namespace ttl
