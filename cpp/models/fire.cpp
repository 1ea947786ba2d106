#include "models/fire.h"

#include "core/macs.h"
#include "models/conv.h"

namespace ttl {

FireImpl::FireImpl(int64_t inplanes, int64_t squeeze_planes, int64_t expand1x1_planes, int64_t expand3x3_planes)
    : squeeze(register_module("squeeze", conv2d(inplanes, squeeze_planes, 1, 1, 0, true))),
      expand1x1(register_module("expand1x1", conv2d(squeeze_planes, expand1x1_planes, 1, 1, 0, true))),
      expand3x3(register_module("expand3x3", conv2d(squeeze_planes, expand3x3_planes, 3, 1, 1, true))),
      squeeze_activation(register_module("squeeze_activation", relu())),
      expand1x1_activation(register_module("expand1x1_activation", relu())),
      expand3x3_activation(register_module("expand3x3_activation", relu())),
      out_channels_(expand1x1_planes + expand3x3_planes) {}

torch::Tensor FireImpl::forward(torch::Tensor x) {
  x = call(squeeze_activation, call(squeeze, x));
  return torch::cat({call(expand1x1_activation, call(expand1x1, x)),
                     call(expand3x3_activation, call(expand3x3, x))},
                    1);
}

}  // namespace ttl
