"""torchvision networks as ttl-torch's units: a stem, then every block, a network's own final norm or convolution
last (the order of models/*.json). Used by torchvision_reference.py (tests) and bench/families_pytorch.py."""
import torch
import torch.nn as nn


class Concat(nn.Module):
    """A dense layer as DenseNet's block runs it: its output concatenated to its input."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return torch.cat([x, self.layer(x)], 1)


class FinalNorm(nn.Module):
    """DenseNet's norm5 and the functional ReLU of its forward (which ptflops, counting modules, does not count)."""

    def __init__(self, norm):
        super().__init__()
        self.norm = norm

    def forward(self, x):
        return torch.relu(self.norm(x))


def units(name, net):
    """(unit name, module) in ttl-torch's unit order."""
    if name.startswith(("resnet", "resnext", "wide_resnet")):
        out = [("stem", nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool))]
        for s in range(1, 5):
            out += [(f"layer{s}.{i}", block) for i, block in enumerate(getattr(net, f"layer{s}"))]
        return out
    if name.startswith("densenet"):
        f = net.features
        out = [("stem", nn.Sequential(f.conv0, f.norm0, f.relu0, f.pool0))]
        for child, module in f.named_children():
            if child.startswith("denseblock"):
                out += [(f"{child}.{layer}", Concat(m)) for layer, m in module.named_children()]
            elif child.startswith("transition"):
                out.append((child, module))
        return out + [("norm5", FinalNorm(f.norm5))]
    if name.startswith("efficientnet"):
        f = net.features
        out = [("stem", f[0])]
        for s in range(1, len(f) - 1):
            out += [(f"features.{s}.{j}", block) for j, block in enumerate(f[s])]
        return out + [(f"features.{len(f) - 1}", f[-1])]
    raise SystemExit(f"no unit order for {name}")
