"""Times the same SqueezeNet 1.1 training step as `npm run bench -- finetune --compare-pytorch`, in PyTorch.

usage: pytorch_step.py BATCH SIZE STEPS THREADS  ->  prints images/s
Debian's python3-torch (1.13.1); the architecture is torchvision's squeezenet1_1 with a 2-class linear head.
"""
import sys
import time

import torch
from torch import nn

batch, size, steps, threads = (int(a) for a in sys.argv[1:5])
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


pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
model = nn.Sequential(
    nn.Conv2d(3, 64, 3, 2), nn.ReLU(), pool(), Fire(64, 16, 64), Fire(128, 16, 64), pool(), Fire(128, 32, 128),
    Fire(256, 32, 128), pool(), Fire(256, 48, 192), Fire(384, 48, 192), Fire(384, 64, 256), Fire(512, 64, 256),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 2),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
x = torch.randn(batch, 3, size, size)
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
