#include "weights/state_dict.h"

#include <sstream>

#include "core/error.h"
#include "weights/layouts.h"

namespace ttl {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Optional bookkeeping buffers that checkpoints often omit.
bool is_optional(const std::string& name) { return ends_with(name, "num_batches_tracked"); }

const UnitInfo* owning_unit(const BackboneImpl& model, const std::string& name) {
  const int64_t unit = model.unit_of(name);
  return unit < 0 ? nullptr : &model.units()[unit];
}

bool is_head_key(const BackboneImpl& model, const std::string& name) {
  for (const std::string& prefix : model.head_prefixes())
    if (starts_with(name, prefix)) return true;
  return false;
}

// Checkpoint names -> this project's names. An empty layout recognises known foreign layouts by their keys.
std::string translate(const std::string& key, const LoadOptions& options) {
  const std::string stripped = key.substr(options.prefix.size());
  if (options.layout == "gluoncv_resnet_v2" || (options.layout.empty() && starts_with(stripped, "resnetv24_")))
    return gluon_resnet_v2_key(stripped);
  if (options.layout == "torchvision" || options.layout.empty()) return torchvision_legacy_key(stripped);
  if (options.layout == "radimagenet") return radimagenet_resnet_key(stripped);
  throw Error("E_BAD_ARGUMENT", "unknown weight layout '" + options.layout + "' (expected torchvision, gluoncv_resnet_v2 or radimagenet)");
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

void append_list(std::ostringstream& out, const char* title, const std::vector<std::string>& names) {
  if (names.empty()) return;
  out << "\n  " << title << " (" << names.size() << "): ";
  for (size_t i = 0; i < names.size() && i < 12; ++i) out << (i ? ", " : "") << names[i];
  if (names.size() > 12) out << ", ... (" << names.size() - 12 << " more)";
}

// A checkpoint saved before its head had a normaliser (SqueezeNet's head_norm, added while 0.1.0 was developed) lacks that module
// as a whole; a fresh one is the identity in eval mode, so the checkpoint still predicts as it was trained.
std::vector<std::string> lacking_head(const LoadReport& report, const StateDict& targets) {
  const std::string norm = std::string(LinearHead::kNormName) + ".";
  int64_t norm_tensors = 0;
  for (const auto& item : targets)
    if (starts_with(item.first, norm) && !is_optional(item.first)) ++norm_tensors;
  std::vector<std::string> lacking;
  for (const std::string& name : report.head_missing)
    if (!starts_with(name, norm)) lacking.push_back(name);
  if (static_cast<int64_t>(report.head_missing.size() - lacking.size()) != norm_tensors) return report.head_missing;
  return lacking;
}

std::string describe(const LoadReport& report, bool allow_missing, const std::vector<std::string>& lacking_head) {
  std::ostringstream out;
  out << "checkpoint does not match the model";
  if (!allow_missing) append_list(out, "missing keys", report.missing);
  append_list(out, "missing head keys", lacking_head);
  append_list(out, "unexpected keys", report.unexpected);
  if (!report.mismatched.empty()) {
    out << "\n  mis-shaped keys (" << report.mismatched.size() << "): ";
    for (size_t i = 0; i < report.mismatched.size() && i < 12; ++i) {
      const ShapeMismatch& m = report.mismatched[i];
      out << (i ? ", " : "") << m.name << " model " << shape_str(m.expected) << " vs checkpoint "
          << shape_str(m.actual);
    }
  }
  if (!allow_missing && !report.missing.empty()) out << "\n  (allowMissing accepts a partial checkpoint)";
  if (!lacking_head.empty()) out << "\n  (a checkpoint of this network carries its trained head; allowMissing keeps this head as initialised)";
  return out.str();
}

// One copy a load makes: the model's tensor, the checkpoint's, and the checkpoint key it came from.
struct Copy {
  torch::Tensor target, value;
  std::string key;
};

// Matches a checkpoint to the model and validates everything; the copies are left to the caller.
LoadReport match_state_dict(BackboneImpl& model, const StateDict& source, const LoadOptions& options,
                            std::vector<Copy>& copies) {
  LoadReport report;
  StateDict translated;
  std::map<std::string, std::string> key_of;
  for (const auto& [key, tensor] : source) {
    if (!starts_with(key, options.prefix)) continue;
    const std::string name = translate(key, options);
    translated[name] = tensor;
    key_of[name] = key;
  }

  StateDict targets;
  for (const auto& item : model.named_parameters(true)) targets[item.key()] = item.value();
  for (const auto& item : model.named_buffers(true)) targets[item.key()] = item.value();

  for (const auto& [name, target] : targets) {
    const UnitInfo* owner = owning_unit(model, name);
    if (owner && owner->slim) continue;  // rebuilt from random init by design
    auto found = translated.find(name);
    if (found == translated.end()) {
      if (is_optional(name)) continue;
      (is_head_key(model, name) ? report.head_missing : report.missing).push_back(name);
      continue;
    }
    if (found->second.sizes() != target.sizes()) {
      if (is_head_key(model, name)) {
        report.head_skipped.push_back(name);  // a new head with another class count
      } else {
        report.mismatched.push_back({name, target.sizes().vec(), found->second.sizes().vec()});
      }
      continue;
    }
    copies.push_back({target, found->second, key_of[name]});
    report.loaded.push_back(name);
  }
  for (const auto& [name, tensor] : translated) {
    const UnitInfo* unit = owning_unit(model, name);
    if (targets.count(name) && !(unit && unit->slim)) continue;
    if (unit && unit->slim) {
      report.reinitialised.push_back(name);
    } else if (unit && !unit->built) {
      report.dropped.push_back(name);
    } else if (is_head_key(model, name)) {
      report.head_skipped.push_back(name);
    } else {
      report.unexpected.push_back(name);
    }
  }
  const std::vector<std::string> lacking =
      options.require_head && !options.allow_missing ? lacking_head(report, targets) : std::vector<std::string>{};
  if (!report.unexpected.empty() || !report.mismatched.empty() || !lacking.empty() ||
      (!options.allow_missing && !report.missing.empty()))
    throw Error("E_WEIGHTS_MISMATCH", describe(report, options.allow_missing, lacking));

  for (const UnitInfo& unit : model.units()) {
    if (!unit.built) continue;
    for (const std::string& name : report.missing) {
      const UnitInfo* owner = owning_unit(model, name);
      if (owner && owner->name == unit.name) {
        report.random_units.push_back(unit.name);
        break;
      }
    }
  }
  return report;
}

}  // namespace

LoadReport load_state_dict(BackboneImpl& model, const StateDict& source, const LoadOptions& options) {
  std::vector<Copy> copies;
  LoadReport report = match_state_dict(model, source, options, copies);
  torch::NoGradGuard no_grad;
  for (Copy& c : copies) c.target.copy_(c.value.to(c.target.device(), c.target.scalar_type()));
  return report;
}

LoadPlan plan_state_dict(BackboneImpl& model, const std::map<std::string, std::vector<int64_t>>& shapes,
                         const LoadOptions& options) {
  StateDict meta;
  for (const auto& [key, shape] : shapes) meta[key] = torch::empty(shape, torch::TensorOptions().device(torch::kMeta));
  std::vector<Copy> copies;
  LoadPlan plan{match_state_dict(model, meta, options, copies), {}};
  for (const Copy& c : copies) plan.keys.push_back(c.key);
  return plan;
}

StateDict state_dict(BackboneImpl& model) {
  StateDict out;
  auto to_cpu = [](const torch::Tensor& t) {
    return t.scalar_type() == torch::kLong ? t.detach().cpu() : t.detach().to(torch::kCPU, torch::kFloat32);
  };
  for (const auto& item : model.named_parameters(true)) out[item.key()] = to_cpu(item.value());
  for (const auto& item : model.named_buffers(true)) out[item.key()] = to_cpu(item.value());
  return out;
}

}  // namespace ttl
