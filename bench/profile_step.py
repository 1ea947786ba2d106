"""Where a training step's time goes, op by op: the step of pytorch_step.py (forward, cross-entropy, backward, SGD
with momentum) under torch.profiler, self CPU time summed by ATen op and by kind of work. ttl-torch calls the same
ATen ops on the same LibTorch, so this is its profile too, less the binding (`npm run bench -- step` times that).

usage: profile_step.py MODEL BATCH SIZE STEPS THREADS LAYOUT  ->  prints one JSON line
LAYOUT: contiguous or channels-last.
"""
import json
import sys

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

from torch_models import build

name, layout = sys.argv[1], sys.argv[6]
batch, size, steps, threads = (int(a) for a in sys.argv[2:6])
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


# Kinds of work, by the ATen op that does it (first match wins); the rest is 'other'.
KINDS = [
    ('convolution backward', ('convolution_backward', 'mkldnn_convolution_backward', 'slow_conv', 'thnn_conv')),
    ('convolution forward', ('mkldnn_convolution', 'convolution', 'conv2d', 'conv3d')),
    ('batch norm backward', ('batch_norm_backward',)),
    ('batch norm forward', ('batch_norm',)),
    ('relu backward', ('threshold_backward',)),
    ('relu forward', ('relu', 'clamp_min')),
    ('pooling', ('pool',)),
    ('residual add / concatenation', ('aten::add', 'aten::cat')),
    ('optimizer and gradient accumulation', ('aten::mul_', 'aten::add_', 'aten::zero_', 'aten::fill_', '_foreach', 'aten::copy_')),
]


def kind(op):
    for label, needles in KINDS:
        if any(n in op for n in needles):
            return label
    return 'other'


for _ in range(3):
    step()
with profile(activities=[ProfilerActivity.CPU]) as prof:
    for _ in range(steps):
        step()
ops = {}
for e in prof.key_averages():
    ops[e.key] = ops.get(e.key, 0) + e.self_cpu_time_total / 1e3 / steps  # ms per step
total = sum(ops.values())
kinds = {}
for op, ms in ops.items():
    kinds[kind(op)] = kinds.get(kind(op), 0) + ms
top = sorted(ops.items(), key=lambda kv: -kv[1])[:12]
print(json.dumps({
    'torch': torch.__version__, 'model': name, 'layout': layout, 'batch': batch, 'size': size, 'threads': threads, 'steps': steps,
    'msPerStep': total, 'kinds': {k: round(v, 2) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])},
    'topOps': [[op, round(ms, 2)] for op, ms in top],
}))
