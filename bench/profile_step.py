"""Where a training step's time goes, op by op: the step of pytorch_step.py (forward, cross-entropy, backward, SGD
with momentum) under torch.profiler, self CPU time summed by ATen op and by kind of work. ttl-torch calls the same
ATen ops on the same LibTorch, so this is its profile too, less the binding (`npm run bench -- step` times that).

usage: profile_step.py MODEL BATCH SIZE STEPS THREADS LAYOUT  ->  prints one JSON line
LAYOUT: contiguous or channels-last.
"""
import json
import sys

import torch
from torch.profiler import ProfilerActivity, profile

from torch_models import training_step

name, layout = sys.argv[1], sys.argv[6]
batch, size, steps, threads = (int(a) for a in sys.argv[2:6])
step = training_step(name, batch, size, threads, layout)

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
