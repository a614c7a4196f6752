"""Maps of regression and forecasting models against planted truth: which cells make the predicted number, found by each
method of tsexplain, by its evidence-chosen default, and by captum's IG on the same model (target = output index).

Sets (noise with planted structure; the truth is known cell by cell):
- bump: one output, y = the amplitude (-2..2) of a bump at a random place (a CNN with global pooling learns it);
- two outputs: two channels, output k = the amplitude of the bump in channel k (maps of output k must find channel k's bump);
- autoregressive forecast: x_t = sum of three known lags + noise; forecast step h is planted on the lag 4h+3 before the
  window's end (y_h = 0.9 x[L-4h-3] + 0.1 noise): the map of step h must find that one cell (±1);
- per-channel: 4 channels with bumps in each; y = the amplitude of channel 2's bump (the others distract).

For each (set, method): PR-AUC (|map| against the truth, per series, averaged), the deletion ratio (random order's
movement of ŷ over the map's, lower is better), seconds per series; the evidence-chosen default; captum's IG beside ours
(equal where the method is the same: the largest difference is printed).

    python bench/regression_benchmark.py --quick     # about 3 minutes on 2 cores
    python bench/regression_benchmark.py --quick --truth core    # the bumps' truth: only their cells above the noise
"""
import argparse, time, warnings
import numpy as np
import torch
from torch import nn
warnings.filterwarnings('ignore')
from sklearn.metrics import average_precision_score
from tsexplain.all import *

NOISE = 0.3
TRUTH = 'support'            # or 'core' (--truth core): only the bump's cells that rise above the noise's standard deviation

def bumps(rng, n, C, L, w=10):
    "Noise (n, C, L) with one bump per channel of random place and amplitude; the amplitudes (n, C) and the truth (n, C, L): the bump's support, or with TRUTH 'core' its cells higher than the noise's sd (a Hanning bump's edges are ~0.08 of its amplitude: below the noise, they carry nothing a map could find)"
    X = rng.normal(scale=NOISE, size=(n, C, L)).astype(np.float32)
    amp, truth = rng.uniform(-2, 2, (n, C)).astype(np.float32), np.zeros((n, C, L), bool)
    starts = rng.integers(0, L - w, (n, C))
    for i in range(n):
        for c in range(C):
            bump = amp[i, c] * np.hanning(w + 2)[1:-1]
            X[i, c, starts[i, c]:starts[i, c] + w] += bump
            truth[i, c, starts[i, c]:starts[i, c] + w] = np.abs(bump) > NOISE if TRUTH == 'core' else True
    return X, amp, truth

def make_set(name, n, seed=0):
    "X (n, C, L), y (n,) or (n, K), truth (n, K, C, L): the cells output k depends on"
    rng = np.random.default_rng(seed)
    if name == 'bump':
        X, amp, truth = bumps(rng, n, 1, 64); return X, amp[:, 0], truth[:, None]
    if name == 'two outputs':
        X, amp, truth = bumps(rng, n, 2, 64)
        tk = np.zeros((n, 2, 2, 64), bool); tk[:, 0, 0], tk[:, 1, 1] = truth[:, 0], truth[:, 1]
        return X, amp, tk
    if name == 'per-channel':
        X, amp, truth = bumps(rng, n, 4, 64)
        tk = np.zeros((n, 1, 4, 64), bool); tk[:, 0, 2] = truth[:, 2]
        return X, amp[:, 2], tk
    if name == 'autoregressive':
        L, H = 48, 4
        X = rng.normal(size=(n, 1, L)).astype(np.float32)
        lags = [L - 4 * h - 3 for h in range(H)]
        y = np.stack([0.9 * X[:, 0, lg] + 0.1 * rng.normal(size=n) for lg in lags], 1).astype(np.float32)
        tk = np.zeros((n, H, 1, L), bool)
        for h, lg in enumerate(lags): tk[:, h, 0, lg - 1:lg + 2] = True
        return X, y, tk
    raise ValueError(name)

def cnn(C, K):
    return nn.Sequential(nn.Conv1d(C, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.Conv1d(32, 32, 5, padding=2),
                         nn.BatchNorm1d(32), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, K))

class Linearish(nn.Module):
    "For the autoregressive set: a conv feature extractor over the whole window, flattened into the head (position matters)"
    def __init__(self, C, L, K):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(C, 16, 3, padding=1), nn.ReLU(), nn.Conv1d(16, 16, 3, padding=1))
        self.head = nn.Linear(16 * L, K)
    def forward(self, x): return self.head(self.body(x).flatten(1))

def train(X, y, name, epochs, seed=0):
    set_seed(seed)
    dls = TSDataLoaders.from_arrays(X, y, bs=32, valid_pct=0.25, seed=seed, normalize=None)
    K = dls.c
    model = Linearish(X.shape[1], X.shape[2], K) if name == 'autoregressive' else cnn(X.shape[1], K)
    learn = Learner(dls, model, loss_func=MSELossFlat(), metrics=rmse)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 3e-3)
    with learn.no_bar(): p, t = learn.get_preds()
    p, t = p.reshape(len(p), -1), t.reshape(len(t), -1)
    return learn, float(1 - ((p - t) ** 2).sum() / ((t - t.mean(0)) ** 2).sum())

METHODS = ['grad_cam', 'input_x_grad', 'integrated_gradients', 'occlusion', 'channel_cam', 'saliency']

def pr_auc(maps, truth):
    "Mean over series of the average precision of |map| (broadcast to the truth's channels) for the truth (n, C, L)"
    m = np.broadcast_to(np.abs(maps.numpy()), truth.shape)
    return float(np.mean([average_precision_score(truth[i].ravel(), m[i].ravel()) for i in range(len(truth)) if truth[i].any()]))

def run(quick):
    n, epochs, n_explain = (600, 15, 48) if quick else (1500, 25, 200)
    rows = []
    for name in ('bump', 'two outputs', 'autoregressive', 'per-channel'):
        X, y, truth = make_set(name, n)
        learn, r2 = train(X, y, name, epochs)
        model = declare_output(learn.model.eval(), 'regression')
        x, tr = torch.as_tensor(X[-n_explain:]), truth[-n_explain:]
        K = tr.shape[1]
        default = choose_method(model, x, verbose=False)
        print(f"\n== {name}: R² {r2:.2f} on its validation series; {K} output(s); the default chose {default}")
        for method in METHODS:
            prs, ratios, t0 = [], [], time.perf_counter()
            try:
                for k in range(K):
                    maps = get_method(method)(model, x, target=k if K > 1 else None)
                    prs.append(pr_auc(maps, tr[:, k])); ratios.append(faithfulness(model, x, maps, target=k if K > 1 else None).ratio)
            except (ValueError, RuntimeError) as e: print(f"  {method:22s} skipped: {str(e)[:80]}"); continue
            sec = (time.perf_counter() - t0) / (len(x) * K)
            rows.append(dict(set=name, method=method, pr_auc=np.mean(prs), deletion=np.mean(ratios), s=sec, default=method == default))
            print(f"  {method:22s} PR-AUC {np.mean(prs):.3f}   deletion {np.mean(ratios):.2f} × random   {sec * 1e3:.2f} ms/series{'   <- default' if method == default else ''}")
        try:
            from captum.attr import IntegratedGradients
            t0, diffs, prs = time.perf_counter(), [], []
            for k in range(K):
                ref = IntegratedGradients(model).attribute(x, target=k, n_steps=50, method='gausslegendre')   # ours: Gauss-Legendre too
                ours = integrated_gradients(model, x, target=k if K > 1 else None)
                diffs.append(float((ref - ours).abs().max())); prs.append(pr_auc(ref.detach(), tr[:, k]))
            sec = (time.perf_counter() - t0) / (len(x) * K) / 2
            print(f"  captum IG (target=k)   PR-AUC {np.mean(prs):.3f}   max |captum - ours| {max(diffs):.1e}   ~{sec * 1e3:.2f} ms/series")
        except ImportError: print('  captum not installed: its column is skipped')
    print('\n== summary: best method per set, and the default')
    for name in dict.fromkeys(r['set'] for r in rows):
        rs = [r for r in rows if r['set'] == name]
        best = max(rs, key=lambda r: r['pr_auc']); d = next((r for r in rs if r['default']), None)
        print(f"  {name:16s} best {best['method']} {best['pr_auc']:.3f}; default {d['method'] if d else '-'} "
              f"{d['pr_auc'] if d else float('nan'):.3f} ({(d['pr_auc'] / best['pr_auc'] if d else float('nan')):.0%} of the best)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--truth', choices=('support', 'core'), default='support',
                    help="what counts as informative in the bump sets: the bump's whole support, or its cells above the noise's sd")
    args = ap.parse_args()
    TRUTH = args.truth
    run(args.quick)
