"""Times the training step that `npm run bench -- finetune|3d --compare-pytorch` times in ttl-torch, in PyTorch.

usage: pytorch_step.py MODEL BATCH SIZE STEPS THREADS [LAYOUT]  ->  prints images/s
LAYOUT: contiguous (default, what eager PyTorch users get) or channels-last (model and input converted).
MODEL: a name torch_models.build() knows (resnet3d_18 takes 3D input SIZE^3, the others 2D SIZE^2). Debian's
python3-torch (1.13.1), or the 2.x venv.
"""
import sys
import time

import torch
from torch import nn

from torch_models import build

name = sys.argv[1]
batch, size, steps, threads = (int(a) for a in sys.argv[2:6])
channels_last = len(sys.argv) > 6 and sys.argv[6] == 'channels-last'
torch.set_num_threads(threads)
torch.set_flush_denormal(True)
torch.manual_seed(0)

model = build(name)
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
