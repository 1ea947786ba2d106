"""DeLong, DeLong & Clarke-Pearson (1988), written from the paper's definitions (not the fast midrank
algorithm ttl-torch uses): the Mann-Whitney kernel psi over every positive/negative pair, structural
components V10/V01, their sample covariances, the AUROC variance and the paired z test.
Reads {"labels": [...], "a": [...], "b": [...]} on stdin, prints the reference values as JSON."""
import json
import math
import sys

import numpy as np


def components(labels, scores):
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)


def main():
    data = json.load(sys.stdin)
    labels = np.asarray(data["labels"])
    a_auc, a10, a01 = components(labels, np.asarray(data["a"], dtype=float))
    b_auc, b10, b01 = components(labels, np.asarray(data["b"], dtype=float))
    m, n = len(a10), len(a01)
    s10 = np.cov(np.vstack([a10, b10]))
    s01 = np.cov(np.vstack([a01, b01]))
    s = s10 / m + s01 / n
    se_a = math.sqrt(s[0, 0])
    var_d = s[0, 0] + s[1, 1] - 2 * s[0, 1]
    z = (a_auc - b_auc) / math.sqrt(var_d)
    p = math.erfc(abs(z) / math.sqrt(2))
    print(json.dumps({"aurocA": a_auc, "aurocB": b_auc, "seA": se_a, "z": z, "p": p,
                      "cdf": [0.5 * math.erfc(-x / math.sqrt(2)) for x in data.get("cdfAt", [])]}))


main()
