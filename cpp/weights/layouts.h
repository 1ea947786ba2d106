#pragma once
#include <string>

namespace ttl {

// Maps a GluonCV ResNet v2 key (resnetv24_stage2_conv5_weight) to this project's name
// (stage2.1.conv2.weight). Unknown keys are returned unchanged so they surface as unexpected.
std::string gluon_resnet_v2_key(const std::string& key);

// torchvision's own rename for its pre-0.3 DenseNet checkpoints (densenet121-a639ec97.pth):
// features.denseblock1.denselayer1.norm.1.weight -> features.denseblock1.denselayer1.norm1.weight.
std::string torchvision_legacy_key(const std::string& key);

// RadImageNet's PyTorch ResNet-50 (RadImageNet-ResNet50_notop.pth, converted from its Keras release): the
// torchvision network's children as nn.Sequential(*children[:-2]), so backbone.0 conv1, backbone.1 bn1,
// backbone.4..7 layer1..4 (RadImageNet#14). Other keys are returned unchanged so they surface as unexpected.
std::string radimagenet_resnet_key(const std::string& key);

}  // namespace ttl
