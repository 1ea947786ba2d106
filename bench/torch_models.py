"""The networks of the PyTorch reference scripts (pytorch_step.py, profile_step.py), with torchvision's parameter
names and a 2-class linear head: SqueezeNet 1.1, ResNet-50 (torch_resnet.py), the kenshohara 3D ResNet-18 (shortcut
B) and, where torchvision is installed (the PyTorch 2.x venv; Debian's python3-torch has none), DenseNet-121."""
import torch
from torch import nn

from torch_resnet import resnet50


class Fire(nn.Module):
    def __init__(self, inplanes, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        x = self.relu(self.squeeze(x))
        return torch.cat([self.relu(self.expand1x1(x)), self.relu(self.expand3x3(x))], 1)


class Basic3d(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv3d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(planes)
        self.conv2 = nn.Conv3d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(planes)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv3d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm3d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)


def resnet3d_18():
    layers, inplanes = [], 64
    for i, planes in enumerate([64, 128, 256, 512]):
        layers += [Basic3d(inplanes, planes, 1 if i == 0 else 2), Basic3d(planes, planes, 1)]
        inplanes = planes
    return nn.Sequential(nn.Conv3d(3, 64, 7, (1, 2, 2), 3, bias=False), nn.BatchNorm3d(64), nn.ReLU(), nn.MaxPool3d(3, 2, 1),
                         *layers, nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(512, 2))


def squeezenet1_1():
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, 2), nn.ReLU(), pool(), Fire(64, 16, 64), Fire(128, 16, 64), pool(), Fire(128, 32, 128),
        Fire(256, 32, 128), pool(), Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 2),
    )


def densenet121():
    import torchvision  # noqa: PLC0415 (only the 2.x venv has it)
    return torchvision.models.densenet121(num_classes=2)


def build(name):
    """A fresh network by ttl-torch's model name."""
    return {'squeezenet1_1': squeezenet1_1, 'resnet50': resnet50, 'resnet3d_18': resnet3d_18, 'densenet121': densenet121}[name]()


def training_step(name, batch, size, threads, layout):
    """The step both scripts time: a fresh `name` on random input (SIZE^2, SIZE^3 for resnet3d_18) with 2 random
    labels, SGD with momentum, `layout` 'contiguous' or 'channels-last' (model and input converted)."""
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    model = build(name)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    x = torch.randn(batch, 3, *([size] * (3 if name == 'resnet3d_18' else 2)))
    if layout == 'channels-last':
        memory_format = torch.channels_last_3d if x.dim() == 5 else torch.channels_last
        model = model.to(memory_format=memory_format)
        x = x.contiguous(memory_format=memory_format)
    y = torch.randint(0, 2, (batch,))
    model.train()

    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return step
