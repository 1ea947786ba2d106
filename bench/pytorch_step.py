"""Times the training step that `npm run bench -- finetune|3d --compare-pytorch` times in ttl-torch, in PyTorch.

usage: pytorch_step.py MODEL BATCH SIZE STEPS THREADS [LAYOUT]  ->  prints images/s
LAYOUT: contiguous (default, what eager PyTorch users get) or channels-last (model and input converted).
MODEL: squeezenet1_1 or resnet50 (torchvision's, 2D input SIZE^2) or resnet3d_18 (kenshohara/3D-ResNets layout, shortcut B,
3D input SIZE^3); a 2-class linear head. Debian's python3-torch (1.13.1).
"""
import sys
import time

import torch
from torch import nn

from torch_resnet import resnet50

name = sys.argv[1]
batch, size, steps, threads = (int(a) for a in sys.argv[2:6])
channels_last = len(sys.argv) > 6 and sys.argv[6] == 'channels-last'
torch.set_num_threads(threads)
torch.set_flush_denormal(True)
torch.manual_seed(0)


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


model = {'squeezenet1_1': squeezenet1_1, 'resnet50': resnet50, 'resnet3d_18': resnet3d_18}[name]()
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
x = torch.randn(batch, 3, *([size] * (3 if name == 'resnet3d_18' else 2)))
if channels_last:
    layout = torch.channels_last_3d if x.dim() == 5 else torch.channels_last
    model = model.to(memory_format=layout)
    x = x.contiguous(memory_format=layout)
y = torch.randint(0, 2, (batch,))
model.train()


def step():
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()


for _ in range(5):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(batch * steps / (time.perf_counter() - start))
