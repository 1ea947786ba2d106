"""Re-saves a safetensors file with real PyTorch's torch.save (as a torchvision-style OrderedDict state dict).

usage: safetensors_to_pth.py IN.safetensors OUT.pth [--legacy]
--legacy writes the pre-1.6 (non-zip) format that old torchvision checkpoints use.
"""
import collections
import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}

src, dst = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + n])
data = raw[8 + n :]
state = collections.OrderedDict()
for name, entry in header.items():
    if name == "__metadata__":
        continue
    begin, end = entry["data_offsets"]
    array = np.frombuffer(data[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
    state[name] = torch.from_numpy(array.copy())
torch.save(state, dst, _use_new_zipfile_serialization="--legacy" not in sys.argv)
