"""torchvision's networks as the reference of test/native/torchvision-families.test.ts.

    torchvision_reference.py OUT_DIR SIZE MODEL...

For each torchvision builder name, with random weights and randomised BatchNorm statistics (seeded), writes
OUT_DIR/MODEL-SIZE.safetensors: `weights.*` (the state dict, torchvision's names), `input` (2 x 3 x SIZE x SIZE),
`expected.logits` (eval mode) and `expected.gap.kN` (each unit's output, global-average-pooled); and prints, as
JSON, per model its unit names and, per cutoff k, ptflops' params and MACs of the first k units (pytorch backend,
count_functional off), with the whole network's. Units follow ttl-torch's cards: a stem, then every block, a
network's own final norm or convolution last.

Runs under any PyTorch with torchvision and ptflops: pip's torch 2.x wheel (.venv) or Debian's python3-torch and
python3-torchvision (1.13 / 0.14).
"""
import contextlib
import io
import json
import struct
import sys

import torch
import torch.nn as nn
import torchvision.models as models
from ptflops import get_model_complexity_info

from torchvision_units import units

out_dir, size, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def randomise(net):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.BatchNorm2d,)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.5 + 0.75)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) * 0.5 + 0.75)


DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class Unit(nn.Module):
    """One unit with a keyword input, so that ptflops can be handed the unit's real input (batch 1)."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x)


def complexity(module, x=None):
    """ptflops' params and MACs of `module` on `x` (default: a 3 x SIZE x SIZE image)."""
    constructor = None if x is None else (lambda _: {"x": x})
    # ptflops prints a note on stdout for keyword inputs ("assuming batch size is 1", which it is here).
    with contextlib.redirect_stdout(io.StringIO()):
        macs, params = get_model_complexity_info(Unit(module) if x is not None else module, (3, size, size), as_strings=False,
                                                 print_per_layer_stat=False, input_constructor=constructor,
                                                 backend="pytorch", backend_specific_config={"count_functional": False})
    return {"params": int(params), "macs": int(macs)}


def cumulative(parts, x):
    """Params and MACs of the first k units for every k: each unit counted once on its own input, then summed
    (ptflops' counts add up over modules, so this equals counting each truncated network, in linear time)."""
    rows, params, macs = [], 0, 0
    with torch.no_grad():
        for k, (_, module) in enumerate(parts, 1):
            c = complexity(module, x)
            x = module(x)
            params, macs = params + c["params"], macs + c["macs"]
            rows.append({"k": k, "params": params, "macs": macs})
    return rows


report = {}
for name in names:
    torch.manual_seed(0)
    net = getattr(models, name)().eval()
    randomise(net)
    parts = units(name, net)
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    tensors = {f"weights.{k}": v for k, v in net.state_dict().items()}
    tensors["input"] = x
    with torch.no_grad():
        tensors["expected.logits"] = net(x)
        h = x
        for k, (_, module) in enumerate(parts, 1):
            h = module(h)
            tensors[f"expected.gap.k{k}"] = h.mean(dim=(2, 3))
    write_safetensors(f"{out_dir}/{name}-{size}.safetensors", tensors)
    report[name] = {
        "units": [u for u, _ in parts],
        "cutoffs": cumulative(parts, x[:1]),
        "full": complexity(net),
    }
print(json.dumps(report))
