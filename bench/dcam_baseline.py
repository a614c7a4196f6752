"""dCAM (Boniol et al., SIGMOD 2022) as a baseline on the planted type-2 motifs, beside tsexplain's methods.

Type 2: the class is whether the motifs planted in two channels agree in sign, so no single channel tells it. dCAM is the
field's answer: retrain the data as a dCNN on the cube C(T) (every row a rotation of the channels) and explain it with the
variance of its CAM over the channels' positions, averaged over random permutations. tsexplain's answer needs no
retraining: `hierarchical_occlusion` (and `occlusion`) on the user's own model. This script trains both models on the same
series and scores both maps against the planted truth, on the same held-out series, in one run:

    OMP_NUM_THREADS=2 python bench/dcam_baseline.py [--k 40] [--epochs 20] [--dcnn-epochs 40]

dCAM is written here from the paper (and its reference code, github.com/boniolp/dCAM), as a baseline only: the model it
explains is not the user's. The dCNN has the reference's ConvNet2D layers ((1, 3) kernels; 128, 128, 256, 256, 256
filters; global average pooling; one linear layer). dCAM of dimension d at time t = the variance over positions of the
permutation-averaged CAM cube M[d, ·, t], times the mean of M at t (the paper's formula; the reference code broadcasts
the per-dimension mean over the wrong axis). Permutations the dCNN misclassifies are left out, as in the reference.
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
import torch
from torch import nn
sys.path.insert(0, str(Path(__file__).resolve().parent))
from xai_benchmark import train, scores
from tsexplain.all import *

def cube(x: torch.Tensor, perm) -> torch.Tensor:
    "C(T) for series x (B, D, L) with the channels in order `perm`: (B, D, D, L), row i holding the channels rotated by i"
    D = x.shape[1]
    return torch.stack([x[:, [perm[(i + j) % D] for j in range(D)]] for i in range(D)], 1)

class DCNN(nn.Module):
    "The reference's ConvNet2D: (1, 3) convolutions over the cube (channels = rotations), global average pooling, linear"
    def __init__(self, D: int, n_classes: int):
        super().__init__()
        block = lambda i, o, bn=True: [nn.Conv2d(i, o, (1, 3), padding=(0, 1))] + ([nn.BatchNorm2d(o)] if bn else []) + [nn.ReLU()]
        self.body = nn.Sequential(*block(D, 128), *block(128, 128), *block(128, 256), *block(256, 256), *block(256, 256, bn=False))
        self.fc = nn.Linear(256, n_classes)
    def features(self, c): return self.body(c)                         # (B, 256, D, L)
    def forward(self, c): return self.fc(self.features(c).mean((2, 3)))

def train_dcnn(X, y, epochs: int, seed: int = 0) -> tuple[DCNN, float]:
    "The dCNN on the cubes of the identity order (as the paper trains it), Adam, the same 75/25 split as the other models"
    torch.manual_seed(seed)
    n = len(X); idx = np.random.default_rng(seed).permutation(n); tr, va = idx[: int(0.75 * n)], idx[int(0.75 * n):]
    Xt, yt = torch.as_tensor(X).float(), torch.as_tensor(y).long()
    model, ident = DCNN(X.shape[1], int(yt.max()) + 1), list(range(X.shape[1]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for b in np.array_split(np.random.default_rng(epoch).permutation(tr), max(1, len(tr) // 32)):
            opt.zero_grad(); nn.functional.cross_entropy(model(cube(Xt[b], ident)), yt[b]).backward(); opt.step()
    model.eval()
    with torch.no_grad(): acc = float((model(cube(Xt[va], ident)).argmax(1) == yt[va]).float().mean())
    return model, acc

@torch.no_grad()
def dcam(model: DCNN, x: torch.Tensor, labels: torch.Tensor, k: int, seed: int = 0) -> tuple[torch.Tensor, float]:
    "dCAM maps (B, D, L) of series x (B, D, L) for their `labels`, from `k` random channel orders; and the share of orders kept"
    B, D, L = x.shape
    rng = np.random.default_rng(seed)
    total, kept = torch.zeros(B, D, D, L), torch.zeros(B)
    for _ in range(k):
        perm = rng.permutation(D).tolist()
        f = model.features(cube(x, perm))                                 # (B, 256, D rows, L)
        logits = model.fc(f.mean((2, 3)))
        cam = torch.einsum('bf,bfjl->bjl', model.fc.weight[labels], f)   # the CAM of each row j of the cube
        lo, hi = cam.amin((1, 2), keepdim=True), cam.amax((1, 2), keepdim=True)
        cam = (cam - lo) / (hi - lo).clamp_min(1e-12)
        ok = (logits.argmax(1) == labels).float()                         # misclassified orders are left out
        M = torch.zeros(B, D, D, L)
        for i in range(D):                                                # row j of the cube, position i: channel perm[(i + j) % D]
            for j in range(D): M[:, perm[(i + j) % D], i] = cam[:, j]
        total += M * ok[:, None, None, None]; kept += ok
    M = total / kept.clamp_min(1)[:, None, None, None]                    # (B, dimension, position, L)
    maps = M.var(2, unbiased=False) * M.mean((1, 2))[:, None]             # variance over positions x the mean at each step
    return maps, float(kept.mean() / k)

def aligned_type2(n: int, channels: int = 5, length: int = 100, window: int = 20, amplitude: float = 3.0, seed: int = 0):
    "Planted type 2 with both motifs at the same (random) step of a series: what a dCNN's 11-step receptive field can compare"
    rng = np.random.default_rng(seed)
    chans = sorted(rng.choice(channels, size=2, replace=False).tolist())
    X = rng.normal(0, 1, (n, channels, length)).astype(np.float32); mask = np.zeros(X.shape, bool)
    signs = rng.choice([-1, 1], size=(n, 2)); y = (signs[:, 0] == signs[:, 1]).astype(int)
    motif = np.sin(np.linspace(0, 2 * np.pi, window)).astype(np.float32)
    for i in range(n):
        s = int(rng.integers(0, length - window + 1))
        for j, c in enumerate(chans): X[i, c, s:s + window] += amplitude * signs[i, j] * motif; mask[i, c, s:s + window] = True
    return X, y.astype(str), mask

def compare(name, X, y, mask, epochs, dcnn_epochs, k):
    "Both models trained on (X, y); their maps scored against `mask` on the last 48 series: table rows"
    yi = np.unique(y, return_inverse=True)[1]                               # class indices for the dCNN
    held, rows = slice(len(X) - 48, len(X)), []                             # the series xai_benchmark scores
    t0 = time.perf_counter(); learn = train(X, y, 'InceptionTime', epochs=epochs); t_train = time.perf_counter() - t0
    with learn.no_bar(): acc = float(learn.validate()[1])
    xb = learner_inputs(learn, X[held])
    for m in ('hierarchical_occlusion', 'occlusion', 'channel_cam', 'integrated_gradients'):
        t0 = time.perf_counter(); maps = get_method(m)(learn.model, xb); secs = (time.perf_counter() - t0) / len(xb)
        rows.append((name, f'tsexplain {m}', "InceptionTime (the user's model)", acc, t_train, None if acc < 0.7 else scores(maps, mask[held]), secs))
    t0 = time.perf_counter(); dcnn, dacc = train_dcnn(X, yi, dcnn_epochs); t_dtrain = time.perf_counter() - t0
    xt = torch.as_tensor(X[held]).float()
    t0 = time.perf_counter(); maps, share = dcam(dcnn, xt, torch.as_tensor(yi[held]).long(), k); secs = (time.perf_counter() - t0) / len(xt)
    label = f'dCAM (k={k}; {share:.0%} of orders kept)'
    rows.append((name, label, f'dCNN (retrained for dCAM, {dcnn_epochs} epochs)', dacc, t_dtrain, None if dacc < 0.7 else scores(maps, mask[held]), secs))
    return rows

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--k', type=int, default=40, help='random channel orders per series (dCAM)')
    p.add_argument('--epochs', type=int, default=20, help="the user's model (InceptionTime)")
    p.add_argument('--dcnn-epochs', type=int, default=40)
    p.add_argument('--n', type=int, default=1000)
    a = p.parse_args()
    torch.set_num_threads(2)
    rows = compare('motifs at independent steps', *make_planted_dataset(a.n, channels=5, length=100, window=20, amplitude=3.0, joint=True, seed=0),
                   a.epochs, a.dcnn_epochs, a.k)
    rows += compare('motifs at the same step', *aligned_type2(a.n), a.epochs, a.dcnn_epochs, a.k)
    print(f'planted type 2: {a.n} series, 5 channels x 100 steps, a motif of 20 steps in two channels, the class = whether their '
          'signs agree; scored on the last 48 series (a model under 0.7 accuracy guesses: its maps are not scored)\n')
    print('| set | method | model explained | model acc. | training s | PR-AUC | AUP | AUR | s / series |\n|---|---|---|---|---|---|---|---|---|')
    for name, method, model, acc_, t, s, secs in rows:
        sc = '| – | – | – ' if s is None else f"| {s['AUPRC']:.3f} | {s['AUP']:.3f} | {s['AUR']:.3f} "
        print(f"| {name} | {method} | {model} | {acc_:.2f} | {t:.0f} {sc}| {secs:.4f} |")

if __name__ == '__main__': sys.exit(main())
