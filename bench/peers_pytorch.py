"""One PyTorch contestant of `npm run bench -- peers`: times one thing and prints it as one JSON line.

usage: peers_pytorch.py step MODE PRECISION BATCH SIZE STEPS THREADS
       peers_pytorch.py infer MODE K SIZE THREADS WARMUP RUNS
       peers_pytorch.py epoch NPZ WEIGHTS SIZE BATCH THREADS
MODE: eager; compile (torch.compile, inductor: its compile time is reported apart); frozen (inference only:
TorchScript, frozen, torch.jit.optimize_for_inference, PyTorch's fastest CPU path without a compiler).
PRECISION: fp32 or bf16 (CPU autocast). Runs on Debian's python3-torch 1.13 (eager, frozen) and on PyTorch 2.x.
The epoch is the script a PyTorch user would write: torchvision's SqueezeNet 1.1 with the shared ImageNet weights,
a DataLoader over the MedMNIST arrays with the augmentation ttl-torch's defaults apply, SGD with momentum.
"""
import json
import math
import struct
import sys
import time

import torch
from torch import nn

from timing import median_ms
from torch_resnet import resnet50, serving_resnet50

torch.set_flush_denormal(True)
torch.manual_seed(0)


def say(**values):
    print(json.dumps({"torch": torch.__version__.split("+")[0], **values}))


def step(mode, precision, batch, size, steps, threads):
    torch.set_num_threads(threads)
    model = resnet50(17)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    forward = torch.compile(model) if mode == "compile" else model
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, 2, (batch,))
    model.train()

    def one():
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = nn.functional.cross_entropy(forward(x), y)
        loss.backward()
        optimizer.step()

    start = time.perf_counter()
    one()  # with compile: tracing and inductor's code generation happen here
    first = time.perf_counter() - start
    for _ in range(2):
        one()
    start = time.perf_counter()
    for _ in range(steps):
        one()
    say(imagesPerSecond=batch * steps / (time.perf_counter() - start), firstStepSeconds=first)


def infer(mode, k, size, threads, warmup, runs):
    torch.set_num_threads(threads)
    model = serving_resnet50(k)
    x = torch.randn(1, 3, size, size)
    with torch.inference_mode():
        reference = model(x)
    start = time.perf_counter()
    if mode == "compile":
        run = torch.compile(model)
    elif mode == "frozen":
        run = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
    else:
        run = model
    with torch.inference_mode():
        out = run(x)
        prepare = time.perf_counter() - start
        ms = median_ms(lambda: run(x), warmup, runs)
    difference = ((out - reference).abs().max() / reference.abs().max()).item()
    say(medianMs=ms, prepareSeconds=prepare, relativeToEager=difference)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        data = bytearray(raw[8 + n + begin : 8 + n + end])
        state[name] = torch.frombuffer(data, dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]).clone()
    return state


def epoch(npz, weights, size, batch, threads):
    import numpy as np
    import torchvision
    from torchvision.transforms import v2

    torch.set_num_threads(threads)
    arrays = np.load(npz)
    images, labels = arrays["train_images"], arrays["train_labels"].reshape(-1).astype(np.int64)
    augment = v2.Compose([
        v2.RandomResizedCrop(size, scale=(0.75, 1.0), ratio=(math.exp(-0.1), math.exp(0.1)), antialias=True),
        v2.RandomHorizontalFlip(), v2.RandomRotation(10), v2.ColorJitter(brightness=0.1, contrast=0.1),
        v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            image = torch.from_numpy(images[i]).unsqueeze(0).expand(3, -1, -1)
            return augment(image), labels[i]

    loader = torch.utils.data.DataLoader(Images(), batch_size=batch, shuffle=True, drop_last=True, num_workers=1, persistent_workers=False)
    model = torchvision.models.squeezenet1_1()
    model.load_state_dict(read_safetensors(weights), strict=False)
    model.classifier[1] = nn.Conv2d(512, 2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    model.train()
    start, seen = time.perf_counter(), 0
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        seen += len(y)
    say(imagesPerSecond=seen / (time.perf_counter() - start), images=seen)


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what == "step":
        step(args[0], args[1], *(int(a) for a in args[2:6]))
    elif what == "infer":
        infer(args[0], *(int(a) for a in args[1:6]))
    elif what == "epoch":
        epoch(args[0], args[1], *(int(a) for a in args[2:5]))
    else:
        sys.exit(f"unknown measurement {what}")
