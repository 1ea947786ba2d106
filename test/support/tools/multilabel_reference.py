"""scikit-learn's multi-label metrics for test/native/multilabel-metrics.test.ts.

Reads {"targets": [[0|1] * L] * N, "probs": [[p] * L] * N} as JSON on stdin and prints, as JSON, the per-label
roc_auc_score and average_precision_score and both with average='macro' and average='micro'.
"""
import json
import sys

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

case = json.load(sys.stdin)
y = np.asarray(case["targets"], dtype=np.int64)
p = np.asarray(case["probs"], dtype=np.float64)
print(json.dumps({
    "perLabel": [{"auroc": roc_auc_score(y[:, l], p[:, l]), "auprc": average_precision_score(y[:, l], p[:, l])} for l in range(y.shape[1])],
    "auroc": roc_auc_score(y, p, average="macro"),
    "auprc": average_precision_score(y, p, average="macro"),
    "microAuroc": roc_auc_score(y, p, average="micro"),
    "microAuprc": average_precision_score(y, p, average="micro"),
}))
