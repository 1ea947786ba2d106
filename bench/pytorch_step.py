"""Times the training step that `npm run bench -- finetune|3d --compare-pytorch` times in ttl-torch, in PyTorch.

usage: pytorch_step.py MODEL BATCH SIZE STEPS THREADS [LAYOUT]  ->  prints images/s
LAYOUT: contiguous (default, what eager PyTorch users get) or channels-last (model and input converted).
MODEL: a name torch_models.build() knows (resnet3d_18 takes 3D input SIZE^3, the others 2D SIZE^2). Debian's
python3-torch (1.13.1), or the 2.x venv.
"""
import sys
import time

from torch_models import training_step

name = sys.argv[1]
batch, size, steps, threads = (int(a) for a in sys.argv[2:6])
step = training_step(name, batch, size, threads, sys.argv[6] if len(sys.argv) > 6 else 'contiguous')
for _ in range(5):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(batch * steps / (time.perf_counter() - start))
