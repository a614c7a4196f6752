"""aeon's RDST on a planted motif set: for each class, the shapelet its ridge classifier weighs most for that class, scored
against the planted shape (Pearson r at the best shift, the planted shape sampled at the shapelet's dilation) in the class's
planted channel (generous to RDST: its shapelets span every channel). Run by bench/global_benchmark.py in a Python that has
aeon (aeon needs numba; tsexplain does not):

    python -m venv /tmp/aeonvenv && /tmp/aeonvenv/bin/pip install aeon
    AEON_PYTHON=/tmp/aeonvenv/bin/python python bench/global_benchmark.py

Reads an .npz (X, y, shapes (K, m), channels (K,), seed), prints one JSON line: {class: r}."""
import json, sys
import numpy as np


def sliding_corr(a: np.ndarray, b: np.ndarray) -> float:
    "The largest Pearson r of a and b over their relative shifts, on overlaps of at least 3/4 of the shorter one"
    best, short = -1., min(len(a), len(b))
    for s in range(-(len(b) - 1), len(a)):
        i0, j0 = max(0, s), max(0, -s)
        n = min(len(a) - i0, len(b) - j0)
        if n < max(3, int(0.75 * short)): continue
        u, v = a[i0:i0 + n], b[j0:j0 + n]
        if u.std() > 0 and v.std() > 0: best = max(best, float(np.corrcoef(u, v)[0, 1]))
    return best


def main(path):
    from aeon.classification.shapelet_based import RDSTClassifier
    d = np.load(path)
    X, y, shapes, channels = d['X'], d['y'], d['shapes'], d['channels']
    clf = RDSTClassifier(shapelet_lengths=[shapes.shape[1]], random_state=int(d['seed']), n_jobs=1).fit(X, y)
    values, starts, lengths, dilations = (clf.transformer_.shapelets_[i] for i in range(4))
    ridge = clf.estimator_.steps[-1][1]
    coef = np.abs(ridge.coef_)                                                     # (K or 1, 3 * n_shapelets)
    per_shapelet = coef.reshape(coef.shape[0], -1, 3).sum(-1)                       # the three features of a shapelet together
    out = {}
    for k in range(len(shapes)):
        row = per_shapelet[k] if per_shapelet.shape[0] > 1 else per_shapelet[0]
        s = int(row.argmax())
        vals = values[s, channels[k], :lengths[s]]
        truth = np.interp(np.arange(0, shapes.shape[1], dilations[s]), np.arange(shapes.shape[1]), shapes[k])
        out[str(k)] = sliding_corr(vals, truth)
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
