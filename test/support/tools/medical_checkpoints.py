"""Checkpoints in the layouts medical model zoos publish, written by PyTorch, for the key adapters' tests.

    medical_checkpoints.py radimagenet OUT.pth REFERENCE.pth

radimagenet: RadImageNet's PyTorch ResNet-50 (RadImageNet-ResNet50_notop.pth): a torchvision ResNet-50's children
but the pool and fc, as nn.Sequential, held as `backbone` (keys backbone.0.weight ... backbone.7.2.bn3.*; float32
tensors, int64 num_batches_tracked), random weights and BatchNorm statistics. REFERENCE.pth holds `input`
(2 x 3 x 64 x 64) and `features` (the backbone's output, global-average-pooled) to compare against.
"""
import sys

import torch
import torch.nn as nn
import torchvision.models as models

kind, out, reference = sys.argv[1:4]
torch.manual_seed(0)
if kind != "radimagenet":
    raise SystemExit(f"unknown layout {kind}")


class RadImageNetResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(*list(models.resnet50().children())[:-2])

    def forward(self, x):
        return self.backbone(x)


net = RadImageNetResNet50().eval()
with torch.no_grad():
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.75, 1.25)
            m.weight.uniform_(0.75, 1.25)
    x = torch.randn(2, 3, 64, 64)
    torch.save(net.state_dict(), out)
    torch.save({"input": x, "features": net(x).mean(dim=(2, 3))}, reference)
