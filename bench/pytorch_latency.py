"""Times what `npm run bench -- latency` times in ttl-torch, in PyTorch eager: torchvision's ResNet-50 (v1.5)
cut after unit K + a linear head, eval mode under inference_mode, batch 1, SIZE^2 input.

usage: pytorch_latency.py K SIZE THREADS WARMUP RUNS  ->  prints one latency in ms per timed run
Debian's python3-torch (1.13.1).
"""
import sys
import time

import torch

from torch_resnet import serving_resnet50

k, size, threads, warmup, runs = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.set_flush_denormal(True)
torch.manual_seed(0)


model = serving_resnet50(k)
x = torch.randn(1, 3, size, size)
with torch.inference_mode():
    for _ in range(warmup):
        model(x)
    for _ in range(runs):
        start = time.perf_counter()
        model(x)
        print((time.perf_counter() - start) * 1000)
