"""The PyTorch 2.x eager contestant of `npm run bench -- families`: a torchvision network cut after unit K (its
units as test/support/tools/torchvision_units.py orders them) with a 2-class linear head on pooled features, the
network ttl-torch builds for `createModel({ model, cutoff: K, numClasses: 2 })` (a BatchNorm + ReLU before the
pool where the cut unit is not normalised, as ttl-torch's head does). Times one thing, prints one JSON line.

usage: families_pytorch.py step MODEL K BATCH SIZE STEPS THREADS
       families_pytorch.py infer MODEL K SIZE THREADS WARMUP RUNS
"""
import json
import os
import sys
import time

import torch
import torchvision.models as models
from torch import nn

from timing import median_ms

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "support", "tools"))
from torchvision_units import units  # noqa: E402

torch.set_flush_denormal(True)
torch.manual_seed(0)


def truncated(name, k):
    every = units(name, getattr(models, name)())
    body = nn.Sequential(*[m for _, m in every[:k]])
    with torch.no_grad():
        channels = body(torch.zeros(1, 3, 64, 64)).shape[1]
    # Units that end before their block's norm (DenseNet layers, EfficientNet blocks) get ttl-torch's head norm.
    pre_activation = name.startswith(("densenet", "efficientnet")) and 1 < k < len(every)
    head = [nn.BatchNorm2d(channels), nn.ReLU()] if pre_activation else []
    return nn.Sequential(body, *head, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 2))


def say(**values):
    print(json.dumps({"torch": torch.__version__.split("+")[0], **values}))


def step(name, k, batch, size, steps, threads):
    torch.set_num_threads(threads)
    model = truncated(name, k).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, 2, (batch,))

    def one():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(3):
        one()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    say(imagesPerSecond=batch * steps / (time.perf_counter() - start))


def infer(name, k, size, threads, warmup, runs):
    torch.set_num_threads(threads)
    model = truncated(name, k).eval()
    x = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        say(medianMs=median_ms(lambda: model(x), warmup, runs))


if __name__ == "__main__":
    what, name, numbers = sys.argv[1], sys.argv[2], [int(a) for a in sys.argv[3:]]
    {"step": step, "infer": infer}[what](name, *numbers)
