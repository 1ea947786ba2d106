"""Prints {model: backbone parameter count} for torchvision's builders (everything but the classifier), as JSON.

usage: torchvision_params.py MODEL...   (PyTorch 2.x with torchvision, e.g. the .venv of setup.sh --libtorch pip)
"""
import json
import sys

import torchvision.models as models
import torchvision.models.video as video

counts = {}
for name in sys.argv[1:]:
    net = getattr(video if name == "r3d_18" else models, name)()
    head = "classifier" if name.startswith(("squeezenet", "densenet", "efficientnet")) else "fc"
    counts[name] = sum(p.numel() for key, p in net.named_parameters() if not key.startswith(head + "."))
print(json.dumps(counts))
