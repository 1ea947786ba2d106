#include "weights/layouts.h"

#include <regex>

namespace ttl {
namespace {
std::string param_name(const std::string& gluon) {
  if (gluon == "gamma" || gluon == "weight") return "weight";
  if (gluon == "beta" || gluon == "bias") return "bias";
  return gluon;  // running_mean, running_var
}
}  // namespace

std::string gluon_resnet_v2_key(const std::string& key) {
  static const std::regex top(R"(resnetv24_(batchnorm|conv|dense)(\d+)_(\w+))");
  static const std::regex stage(R"(resnetv24_stage(\d)_(batchnorm|conv)(\d+)_(\w+))");
  std::smatch m;
  if (std::regex_match(key, m, stage)) {
    const int n = std::stoi(m[3]);
    const std::string unit_prefix = "stage" + m[1].str() + ".";
    const std::string param = param_name(m[4]);
    if (m[2] == "batchnorm") return unit_prefix + std::to_string(n / 3) + ".bn" + std::to_string(n % 3 + 1) + "." + param;
    // convs: first unit 0,1,2 then its shortcut 3; later units three each from 4 on
    if (n < 4) return unit_prefix + "0." + (n == 3 ? "downsample" : "conv" + std::to_string(n + 1)) + "." + param;
    return unit_prefix + std::to_string(1 + (n - 4) / 3) + ".conv" + std::to_string((n - 4) % 3 + 1) + "." + param;
  }
  if (std::regex_match(key, m, top)) {
    const std::string param = param_name(m[3]);
    if (m[1] == "conv" && m[2] == "0") return "conv0." + param;
    if (m[1] == "dense" && m[2] == "0") return "fc." + param;
    if (m[1] == "batchnorm") {
      static const char* names[] = {"bn_data", "bn0", "bn_final"};
      const int n = std::stoi(m[2]);
      if (n >= 0 && n < 3) return std::string(names[n]) + "." + param;
    }
  }
  return key;
}

std::string radimagenet_resnet_key(const std::string& key) {
  static const std::regex indexed(R"(^backbone\.(\d)\.(.*)$)");
  static const char* names[] = {"conv1", "bn1", nullptr, nullptr, "layer1", "layer2", "layer3", "layer4"};
  std::smatch m;
  if (!std::regex_match(key, m, indexed)) return key;
  const char* name = names[std::stoi(m[1])];
  return name ? std::string(name) + "." + m[2].str() : key;
}

std::string torchvision_legacy_key(const std::string& key) {
  static const std::regex legacy(R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$)");
  std::smatch m;
  if (!std::regex_match(key, m, legacy)) return key;
  return m[1].str() + m[2].str();
}

}  // namespace ttl
