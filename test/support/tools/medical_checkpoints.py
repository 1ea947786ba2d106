"""Checkpoints in the layouts medical model zoos publish, written by PyTorch, for the key adapters' tests.

    medical_checkpoints.py radimagenet OUT.pth REFERENCE.pth

torchxrayvision: TorchXRayVision's DenseNet-121 (e.g. nih-pc-chex-mimic_ch-google-openi-kaggle-densenet121-d121-tw-
lr001-rot45-tr15-sc15-seed0-best.pt): a whole pickled model, torch.save(model), of class torchxrayvision.models.
DenseNet (a module of that name is made here, so that the pickle names it as xrv's does): torchvision's DenseNet-121
features with a 1-channel stem, an 18-class `classifier`, an `upsample` module and `op_threshs` (a plain tensor
attribute, not in the state dict). REFERENCE.pth: `input` (2 x 1 x 64 x 64), `logits`.

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
if kind not in ("radimagenet", "torchxrayvision"):
    raise SystemExit(f"unknown layout {kind}")


def randomise_norms(net):
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.75, 1.25)
                m.weight.uniform_(0.75, 1.25)


if kind == "torchxrayvision":
    import types

    package, module = types.ModuleType("torchxrayvision"), types.ModuleType("torchxrayvision.models")
    package.models = module
    sys.modules.update({"torchxrayvision": package, "torchxrayvision.models": module})

    class DenseNet(nn.Module):
        def __init__(self):
            super().__init__()
            features = models.densenet121().features
            features.conv0 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.features = features
            self.classifier = nn.Linear(1024, 18)
            self.upsample = nn.Upsample(size=(224, 224), mode="bilinear", align_corners=False)
            self.op_threshs = torch.rand(18)

        def forward(self, x):
            out = nn.functional.adaptive_avg_pool2d(nn.functional.relu(self.features(x)), (1, 1))
            return self.classifier(torch.flatten(out, 1))

    DenseNet.__module__ = "torchxrayvision.models"
    module.DenseNet = DenseNet
    net = DenseNet().eval()
    randomise_norms(net)
    with torch.no_grad():
        x = torch.randn(2, 1, 64, 64)
        torch.save(net, out)
        torch.save({"input": x, "logits": net(x)}, reference)
    sys.exit(0)


class RadImageNetResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(*list(models.resnet50().children())[:-2])

    def forward(self, x):
        return self.backbone(x)


net = RadImageNetResNet50().eval()
randomise_norms(net)
with torch.no_grad():
    x = torch.randn(2, 3, 64, 64)
    torch.save(net.state_dict(), out)
    torch.save({"input": x, "features": net(x).mean(dim=(2, 3))}, reference)
