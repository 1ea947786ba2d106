"""PyTorch's own post-training static quantization (FX graph mode, its default x86 qconfig) of a ttl-torch
ResNet v1 checkpoint, for `npm run bench -- int8 --compare-fx`: tells the error of ttl-torch's int8 copy from the
method's on the same weights, calibration images and test images.

usage: int8_fx.py CHECKPOINT DATA.npz K CALIBRATION THREADS  ->  one JSON line
{ fp32: [...], int8: [...] }: each test image's class probabilities in float and after FX quantization.
Input as ttl-torch's pipeline makes it from the checkpoint's recorded input (size, mean, std): gray to 3 channels,
bilinear resize, normalised; calibrated on the first CALIBRATION training images. PyTorch 2.x (.venv: torchvision,
torch.ao.quantization).
"""
import json
import struct
import sys

import numpy as np
import torch
import torchvision
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

path, data = sys.argv[1], sys.argv[2]
k, calibration, threads = (int(a) for a in sys.argv[3:6])
torch.set_num_threads(threads)


def read_safetensors(file):
    """The tensors and metadata of a .safetensors file (8-byte header length, JSON header, raw data)."""
    with open(file, 'rb') as f:
        raw = f.read()
    (length,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + length])
    metadata = header.pop('__metadata__', {})
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64}
    tensors = {}
    for name, h in header.items():
        start, end = h['data_offsets']
        buffer = bytearray(raw[8 + length + start:8 + length + end])
        tensor = torch.frombuffer(buffer, dtype=dtypes[h['dtype']]) if end > start else torch.zeros(0, dtype=dtypes[h['dtype']])
        tensors[name] = tensor.reshape(h['shape']).float() if tensor.is_floating_point() else tensor.reshape(h['shape'])
    return tensors, metadata


weights, metadata = read_safetensors(path)
# The head reads the last kept unit's channels: its own Linear, the rest into torchvision's ResNet-50.
fc = nn.Linear(weights['fc.weight'].shape[1], weights['fc.weight'].shape[0])
fc.load_state_dict({'weight': weights.pop('fc.weight'), 'bias': weights.pop('fc.bias')})
full = torchvision.models.resnet50()
result = full.load_state_dict(weights, strict=False)
if result.unexpected_keys:
    raise SystemExit(f'{path}: keys torchvision ResNet-50 does not have: {result.unexpected_keys[:5]}')
# Unit 0 is the stem, units 1..16 the bottlenecks in order: the first K units, then pooling and the linear head.
blocks = [b for layer in (full.layer1, full.layer2, full.layer3, full.layer4) for b in layer][:k - 1]
model = nn.Sequential(full.conv1, full.bn1, full.relu, full.maxpool, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), fc).eval()
# Every kept module's weights must come from the checkpoint; the dropped blocks' may be missing.
kept = tuple(f'{name}.' for name, m in full.named_modules() if any(m is b for b in blocks)) + ('conv1.', 'bn1.')
if any(key.startswith(kept) for key in result.missing_keys) or (blocks and blocks[-1].conv3.out_channels != fc.in_features):
    raise SystemExit(f'{path}: not a ResNet-50 cut at k = {k} with a linear head')
pipeline = json.loads(metadata['input'])
size = pipeline['size'][-1] if isinstance(pipeline['size'], list) else pipeline['size']
mean = torch.tensor(pipeline['mean']).reshape(1, 3, 1, 1)
std = torch.tensor(pipeline['std']).reshape(1, 3, 1, 1)

npz = np.load(data)


def inputs(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).repeat(1, 3, 1, 1)
    x = nn.functional.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return (x - mean) / std


calibration_x = inputs(npz['train_images'][:calibration])
test_x = inputs(npz['test_images'])
with torch.inference_mode():
    fp32 = torch.softmax(model(test_x), 1)
torch.backends.quantized.engine = 'x86'
prepared = prepare_fx(model, get_default_qconfig_mapping('x86'), example_inputs=(calibration_x[:1],))
with torch.inference_mode():
    for i in range(0, len(calibration_x), 32):
        prepared(calibration_x[i:i + 32])
quantized = convert_fx(prepared)
with torch.inference_mode():
    int8 = torch.softmax(quantized(test_x), 1)
print(json.dumps({'torch': torch.__version__, 'engine': 'x86', 'size': size, 'fp32': fp32.tolist(), 'int8': int8.tolist()}))
