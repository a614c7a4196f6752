"""time-interpret's HMM state benchmark, side by side: tsexplain's methods and the peers that are installed, on one
trained state classifier, scored against the known salient cells.

The data follow time-interpret's `tint.datasets.HMM` (Crabbé & van der Schaar 2021; Enguehard 2023), generated here:
3 features x 200 steps, a hidden state that switches between 0 and 1 (stays with p = 0.95 minus the time spent in it / 500),
each step drawn from the state's Gaussian; the label at each step is Bernoulli(sigmoid(the state's important feature)).
The salient cells are the current state's important feature at every step (tint's `true_saliency`). The model is a GRU that
labels every step (logits (B, L, 2)), as tint's StateClassifier.

Protocol (tint's): each step's prediction is explained from the series up to that step (`per_step`, tint's
TimeForwardTunnel); the learned masks (ours and tint's ExtremalMask with return_all) explain every step at once.
Scores: AUPRC, tint's AUP and AUR (|map| scaled to [0, 1] per series), seconds per series.

    python bench/hmm_benchmark.py --quick          # about 5 minutes on 2 cores; with tint installed, its columns too
    python bench/hmm_benchmark.py --n-test 48 --only extremal   # the learned masks alone, both replacement networks
    python bench/hmm_benchmark.py --n-test 48      # time-interpret's sizes (800 training series, 50 epochs, masks 300 epochs), 48 test series: about 20 minutes
"""
import argparse, sys, time, warnings
import numpy as np
import torch
from torch import nn
warnings.filterwarnings('ignore')
from tsexplain.all import *
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent))
from xai_benchmark import scores

MEANS = np.array([[0.1, 1.6, 0.5], [-0.1, -0.4, -1.5]])           # tint's HMM: the mean of each state
IMPORTANT, CORRELATED = [1, 2], [0, 0]                             # the feature that sets the label, in each state

def hmm_series(n: int, L: int = 200, seed: int = 0):
    "X (n, 3, L) float32, per-step labels y (n, L), salient cells (n, 3, L): tint's HMM generator, seeded"
    rng = np.random.default_rng(seed)
    covs = []
    for s in range(2):
        c = np.eye(3) * 0.8
        c[IMPORTANT[s], CORRELATED[s]] = c[CORRELATED[s], IMPORTANT[s]] = 0.01
        covs.append(c + np.eye(3) * 1e-3)
    X, Y, truth = np.zeros((n, 3, L), np.float32), np.zeros((n, L), np.int64), np.zeros((n, 3, L), bool)
    for i in range(n):
        prev, since = int(rng.binomial(1, 0.5)), 0
        for t in range(L):
            p = 0.95 if prev == 1 else 0.05
            p = p - since / 500 if p > 0.8 else p
            state = int(rng.binomial(1, p))
            since = since + 1 if state == prev else 0
            truth[i, IMPORTANT[state], t] = True                    # tint's true_saliency: the state's feature, every step
            X[i, :, t] = rng.multivariate_normal(MEANS[state], covs[state])
            Y[i, t] = rng.binomial(1, 1 / (1 + np.exp(-X[i, IMPORTANT[state], t])))
            prev = state
    return X, Y, truth

class StateGRU(nn.Module):
    "tint's StateClassifier: a GRU over the steps, a label at every step: (B, 3, L) -> logits (B, L, 2)"
    def __init__(self, C=3, hidden=200, K=2):
        super().__init__(); self.gru, self.head = nn.GRU(C, hidden, batch_first=True), nn.Sequential(nn.ReLU(), nn.Linear(hidden, K))
    def forward(self, x): return self.head(self.gru(x.transpose(1, 2))[0])

def train(X, Y, epochs, seed=0):
    torch.manual_seed(seed)
    model, x, y = StateGRU(), torch.as_tensor(X), torch.as_tensor(Y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(32):
            loss = nn.functional.cross_entropy(model(x[idx]).flatten(0, 1), y[idx].flatten())
            opt.zero_grad(); loss.backward(); opt.step()
    return model.eval()

def tint_methods(epochs: int):
    try:
        import tint  # noqa: F401
    except ImportError: return {}
    def tint_extremal(model, x):
        import logging
        from pytorch_lightning import Trainer
        from tint.attr import ExtremalMask
        from tint.attr.models import ExtremalMaskNet
        from tint.models import MLP, RNN
        logging.getLogger('pytorch_lightning').setLevel(logging.ERROR); logging.getLogger('lightning').setLevel(logging.ERROR)
        forward = lambda z, return_all=True: model(z.transpose(1, 2)).softmax(-1)    # tint reads (B, T, F); every step
        trainer = Trainer(max_epochs=epochs, accelerator='cpu', logger=False, enable_checkpointing=False,
                          enable_progress_bar=False, enable_model_summary=False)
        torch.manual_seed(0)
        net = ExtremalMaskNet(forward_func=forward, model=nn.Sequential(RNN(input_size=3, rnn='gru', hidden_size=3, bidirectional=True),
                              MLP([6, 3])), lambda_1=1., lambda_2=1., optim='adam', lr=0.01)
        z = x.transpose(1, 2).contiguous()
        return ExtremalMask(forward).attribute(z, trainer=trainer, mask_net=net, batch_size=len(x)).detach().transpose(1, 2)
    # tint's TemporalIntegratedGradients through TimeForwardTunnel did not finish 16 series in 10 minutes here (ours: 45 s)
    return {'tint ExtremalMask (every step)': tint_extremal}

def run(quick: bool, n_test: int = None, only: str = None):
    n_train, n_test_, epochs = (300, 16, 20) if quick else (800, 100, 50)
    n_test = n_test or n_test_
    X, Y, _ = hmm_series(n_train, seed=0)
    Xt, Yt, truth = hmm_series(n_test, seed=1)
    t0 = time.perf_counter(); model = train(X, Y, epochs)
    x = torch.as_tensor(Xt)
    with torch.no_grad(): acc = float((model(x).argmax(-1) == torch.as_tensor(Yt)).float().mean())
    print(f'state classifier: per-step accuracy {acc:.3f} on {n_test} test series (trained in {time.perf_counter() - t0:.0f} s)', flush=True)
    mask_epochs = 100 if quick else 300
    methods = {f'per_step({m})': (lambda m=m, kw=kw: lambda model, x: per_step(m)(model, x, progress=False, **kw))()
               for m, kw in [('saliency', {}), ('input_x_grad', {}), ('integrated_gradients', dict(n_steps=16)),
                             ('smooth_grad', dict(n_samples=16))]}
    methods['extremal_mask (every step)'] = lambda model, x: extremal_mask(model, x, n_epochs=mask_epochs, progress=False)
    methods["extremal_mask (every step, loss='mse', lr=0.01: tint's settings)"] = lambda model, x: extremal_mask(
        model, x, n_epochs=mask_epochs, loss='mse', lr=0.01, progress=False)
    methods["extremal_mask (every step, replacement='gru': tint's network, hidden 3)"] = lambda model, x: extremal_mask(
        model, x, n_epochs=mask_epochs, replacement='gru', hidden=3, progress=False)
    methods["extremal_mask (every step, replacement='gru', hidden 3, loss='mse', lr=0.01: tint's setup)"] = lambda model, x: extremal_mask(
        model, x, n_epochs=mask_epochs, replacement='gru', hidden=3, loss='mse', lr=0.01, progress=False)
    methods['dyna_mask (every step)'] = lambda model, x: dyna_mask(model, x, n_epochs=mask_epochs, progress=False)
    methods.update(tint_methods(mask_epochs))
    if only: methods = {k: f for k, f in methods.items() if only in k}
    print('| method | AUPRC | AUP | AUR | s / series |\n|---|---|---|---|---|', flush=True)
    for label, f in methods.items():
        t0 = time.perf_counter()
        maps = f(model, x)
        secs = (time.perf_counter() - t0) / len(x)
        r = scores(maps, truth)
        print(f"| {label} | {r['AUPRC']:.3f} | {r['AUP']:.3f} | {r['AUR']:.3f} | {secs:.3f} |", flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='300 training series, 20 epochs, 16 test series, masks 100 epochs')
    p.add_argument('--n-test', type=int, default=None, help='how many test series to explain (default 16 quick, 100 full)')
    p.add_argument('--only', default=None, help="run only the methods whose row label holds this text (e.g. extremal_mask)")
    a = p.parse_args()
    torch.set_num_threads(2)
    run(a.quick, a.n_test, a.only)

if __name__ == '__main__': sys.exit(main())
