#pragma once
#include <string>

namespace ttl {

// Maps a GluonCV ResNet v2 key (resnetv24_stage2_conv5_weight) to this project's name
// (stage2.1.conv2.weight). Unknown keys are returned unchanged so they surface as unexpected.
std::string gluon_resnet_v2_key(const std::string& key);

}  // namespace ttl
