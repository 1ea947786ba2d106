"""The recipe a Python user would reach for, for `npm run bench -- quality`: torchvision's SqueezeNet 1.1 with the
shared ImageNet weights and a new 2-class classifier, finetuned whole (FTL) on a MedMNIST set; prints one JSON line
with the test AUROC at the epoch of the best validation AUROC.

usage: quality_pytorch.py NPZ WEIGHTS EPOCHS SIZE BATCH SEED THREADS [LR]
The same epochs, size, batch, augmentation, optimiser (SGD 0.01, momentum 0.9, weight decay 1e-4, cosine) and
weights as ttl-torch's run (LR 0.01 unless given: with it the untouched torchvision head, whose ReLU follows the
classifier, can die and answer one constant); PyTorch 2.x with torchvision (.venv of setup.sh --libtorch pip).
"""
import copy
import json
import math
import sys

import numpy as np
import torch
import torchvision
from torch import nn
from torchvision.transforms import v2

from peers_pytorch import read_safetensors

npz, weights = sys.argv[1], sys.argv[2]
epochs, size, batch, seed, threads = (int(a) for a in sys.argv[3:8])
lr = float(sys.argv[8]) if len(sys.argv) > 8 else 0.01
torch.set_num_threads(threads)
torch.set_flush_denormal(True)
torch.manual_seed(seed)
np.random.seed(seed)
arrays = np.load(npz)
normalise = [v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
augment = v2.Compose([
    v2.RandomResizedCrop(size, scale=(0.75, 1.0), ratio=(math.exp(-0.1), math.exp(0.1)), antialias=True),
    v2.RandomHorizontalFlip(), v2.RandomRotation(10), v2.ColorJitter(brightness=0.1, contrast=0.1), *normalise,
])
plain = v2.Compose([v2.Resize(size, antialias=True), *normalise])


class Split(torch.utils.data.Dataset):
    def __init__(self, name, transform):
        self.images, self.labels = arrays[f"{name}_images"], arrays[f"{name}_labels"].reshape(-1).astype(np.int64)
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(torch.from_numpy(self.images[i]).unsqueeze(0).expand(3, -1, -1)), self.labels[i]


def auroc(scores, labels):
    # Mann-Whitney U with mid-ranks for ties: the AUROC that scikit-learn and pROC give.
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    positives = labels == 1
    n1, n0 = positives.sum(), (~positives).sum()
    return (ranks[positives].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def evaluate(model, name):
    model.eval()
    scores, labels = [], []
    with torch.inference_mode():
        for x, y in torch.utils.data.DataLoader(Split(name, plain), batch_size=256):
            scores.append(torch.softmax(model(x), 1)[:, 1].numpy())
            labels.append(y.numpy())
    return auroc(np.concatenate(scores), np.concatenate(labels))


train = torch.utils.data.DataLoader(Split("train", augment), batch_size=batch, shuffle=True, drop_last=True, num_workers=1)
model = torchvision.models.squeezenet1_1()
model.load_state_dict(read_safetensors(weights), strict=False)
model.classifier[1] = nn.Conv2d(512, 2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * len(train))
best = (-1.0, 0, None)
for epoch in range(1, epochs + 1):
    model.train()
    for x, y in train:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        schedule.step()
    val = evaluate(model, "val")
    if val > best[0]:
        best = (val, epoch, copy.deepcopy(model.state_dict()))
model.load_state_dict(best[2])
print(json.dumps({"torch": torch.__version__.split("+")[0], "valAuroc": best[0], "bestEpoch": best[1], "testAuroc": evaluate(model, "test")}))
