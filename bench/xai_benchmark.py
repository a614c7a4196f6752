"""Which map to trust: tsexplain's methods, its evidence-chosen default and TSR, side by side with the peers that are installed
(captum's IG; time-interpret's ExtremalMask/DynaMask when `tint` imports), on synthetic sets whose informative cells are known:

- Ismail et al. (NeurIPS 2020) boxes: 10 features x 50 steps of noise, the class written as +/- a shift inside a box
  (Middle, Small Middle, Moving Middle, Rare Features, Rare Time), on a CNN, and Middle / Rare Time on an LSTM;
- planted motifs: type 1 (one channel carries the class, a CNN), type 2 (the class is whether the motifs of two channels
  agree; InceptionTime, which learns it).

For each (set, method): AUPRC, tint's AUP and AUR (areas under precision and recall over the thresholds), the deletion
ratio against a random order, and seconds per series, all on the same trained model and series. Where a peer's map
covers more of the truth (AUR) than all of ours, a second table compares recall at the same area: the share of the truth
among the cells its mask keeps (>= 0.5 after scaling to [0, 1]) against the share among as many of our maps' top cells.

    python bench/xai_benchmark.py --quick        # about 10 minutes on 2 cores, 20 with time-interpret's columns
    python bench/xai_benchmark.py --only 'type 2' --seeds 0 1 2    # the joint motif's rows as mean ± sd over 3 trainings
"""
import argparse, sys, time, warnings
import numpy as np
import torch
from torch import nn
warnings.filterwarnings('ignore')
from sklearn.metrics import average_precision_score
from tsexplain.all import *

def cnn(C, K=2):
    return nn.Sequential(nn.Conv1d(C, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.Conv1d(32, 32, 5, padding=2),
                         nn.BatchNorm1d(32), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, K))

class LSTMClassifier(nn.Module):
    "Ismail et al.'s recurrent model: an LSTM over the steps, its last hidden state to the classes; reads (B, C, L)"
    def __init__(self, C, K=2, hidden=64):
        super().__init__(); self.lstm, self.head = nn.LSTM(C, hidden, batch_first=True), nn.Linear(hidden, K)
    def forward(self, x): return self.head(self.lstm(x.transpose(1, 2))[0][:, -1])

def train(X, y, arch=None, epochs=10, seed=0):
    "The model of one set, trained the same whatever ran before (Python's, NumPy's and torch's generators all seeded)"
    set_seed(seed)                                          # fastai's shuffling draws from Python's generator
    dls = TSDataLoaders.from_arrays(X, y, bs=32, valid_pct=0.25, seed=seed, normalize=None)
    torch.manual_seed(seed)
    if arch == 'InceptionTime': learn = ts_learner(dls, seed=seed)
    else: learn = Learner(dls, LSTMClassifier(X.shape[1]) if arch == 'LSTM' else cnn(X.shape[1]), metrics=accuracy)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 3e-3)
    return learn

def scaled_cells(maps, shape) -> np.ndarray:
    "|maps| broadcast to `shape` (B, C, L), each series min-max scaled to [0, 1]: (B, C·L)"
    m = np.broadcast_to(np.abs(maps.cpu().numpy()), shape).reshape(shape[0], -1)
    return (m - m.min(1, keepdims=True)) / np.ptp(m, 1, keepdims=True).clip(1e-12)

def scores(maps, mask):
    "AUPRC (|map| scaled to [0, 1] per series, as scores for the truth), time-interpret's AUP and AUR (`precision_recall_areas`), over all cells"
    return dict(AUPRC=average_precision_score(mask.ravel(), scaled_cells(maps, mask.shape).ravel()),
                **{k.upper(): v for k, v in precision_recall_areas(maps, mask).items()})

def kept_share(maps) -> np.ndarray:
    "Per series, the share of cells a map keeps: >= 0.5 once scaled to [0, 1] (a learned mask's own decision)"
    return (scaled_cells(maps, maps.shape) >= 0.5).mean(1)

def recall_at_area(maps, mask, share) -> float:
    "Mean share of the truth among each series' top `share` (n,) of cells by |map|: recall at a given area"
    m = np.broadcast_to(np.abs(maps.cpu().numpy()), mask.shape).reshape(len(mask), -1)
    truth = mask.reshape(len(mask), -1)
    top = [np.argsort(-row, kind='stable')[:int(round(a * len(row)))] for row, a in zip(m, share)]
    return float(np.mean([t[i].sum() / max(1, t.sum()) for t, i in zip(truth, top)]))

def peers():
    out = {}
    try:
        from captum.attr import IntegratedGradients
        def captum_ig(model, x, target=None, layer=None):
            with explaining(model): t = model(x).argmax(1)
            return IntegratedGradients(model).attribute(x, target=t, n_steps=50).detach()
        out['captum IG'] = captum_ig
    except ImportError: pass
    try:
        import tint  # noqa: F401  time-interpret: ExtremalMask / DynaMask need pytorch-lightning; measured where installed
    except ImportError: return out
    out.update(tint_extremal_mask=tint_method('extremal'), tint_dyna_mask=tint_method('dyna'))
    return out

def tint_method(which: str, epochs: int = 300):
    "time-interpret's ExtremalMask (its paper's setup: a bidirectional GRU perturbation, lr 0.01) or DynaMask (Gaussian blur, keep 10 %)"
    def f(model, x, target=None, layer=None):
        import logging
        from pytorch_lightning import Trainer
        from tint.attr import ExtremalMask, DynaMask
        from tint.attr.models import ExtremalMaskNet, MaskNet
        from tint.models import MLP, RNN
        logging.getLogger('pytorch_lightning').setLevel(logging.ERROR); logging.getLogger('lightning').setLevel(logging.ERROR)
        with explaining(model):
            t = model(x).argmax(1)
            forward = lambda z: model(z.transpose(1, 2)).softmax(-1)               # tint reads (B, T, F)
            trainer = Trainer(max_epochs=epochs, accelerator='cpu', logger=False, enable_checkpointing=False,
                              enable_progress_bar=False, enable_model_summary=False)
            z, F_ = x.transpose(1, 2).contiguous(), x.shape[1]
            torch.manual_seed(0)
            if which == 'extremal':
                net = ExtremalMaskNet(forward_func=forward, model=nn.Sequential(RNN(input_size=F_, rnn='gru', hidden_size=F_,
                                      bidirectional=True), MLP([2 * F_, F_])), lambda_1=1., lambda_2=1., optim='adam', lr=0.01)
                a = ExtremalMask(forward).attribute(z, target=t, trainer=trainer, mask_net=net, batch_size=len(x))
            else:
                net = MaskNet(forward_func=forward, perturbation='gaussian_blur', keep_ratio=0.1, time_reg_factor=0.1,
                              optim='adam', lr=0.1, loss='cross_entropy')
                a = DynaMask(forward).attribute(z, trainer=trainer, mask_net=net, batch_size=len(x))
        return a.detach().transpose(1, 2)
    f.__name__ = f'tint_{which}_mask'
    return f

OURS = ('grad_cam', 'channel_cam', 'occlusion', 'hierarchical_occlusion', 'saliency', 'input_x_grad', 'integrated_gradients', 'extremal_mask', 'dyna_mask')

def make_sets(quick: bool) -> list:
    "(name, model, X, y, truth mask) of every set: 240 series each with `quick`, else 1000 and all five box kinds"
    n = 240 if quick else 1000
    sets = [(k, 'CNN', *make_box_dataset(k, n)) for k in (['Middle', 'RareTime', 'RareFeatures'] if quick else
                                               ['Middle', 'SmallMiddle', 'MovingMiddle', 'RareFeatures', 'RareTime'])]
    sets += [(k, 'LSTM', *make_box_dataset(k, n)) for k in ['Middle', 'RareTime']]
    X1, y1, m1 = make_planted_dataset(n, channels=5, length=100, window=20, amplitude=3.0, seed=0)
    sets.append(('planted type 1', 'CNN', X1, y1, m1))
    # type 2 needs a model that learns it (InceptionTime: accuracy 1.00 on 750 series; an FCN stays near 0.67)
    X2, y2, m2 = make_planted_dataset(1000, channels=5, length=100, window=20, amplitude=3.0, joint=True, seed=0)
    sets.append(('planted type 2', 'InceptionTime', X2, y2, m2))
    return sets

def epochs_for(arch: str, quick: bool) -> int:
    "Training epochs: the LSTM learns slowly (Ismail et al. train theirs long too), InceptionTime needs 20 for type 2"
    return 30 if arch == 'LSTM' else 20 if arch == 'InceptionTime' or not quick else 8

def run(quick: bool, only: str = None, seed: int = 0, methods_only: str = None):
    "Rows of scores (one per set and method) and recall-at-area rows, with every model trained from `seed`"
    rows, areas = [], []
    for name, arch, X, y, mask in make_sets(quick):
        if only and only.lower() not in f'{name} {arch}'.lower(): continue
        learn = train(X, y, arch, epochs=epochs_for(arch, quick), seed=seed)   # a model that guesses gets no scores
        with learn.no_bar(): acc = float(learn.validate()[1])
        if acc < 0.7:
            rows.append(dict(set=name, model=arch, acc=acc, method='(the model guesses: its maps are not scored)', AUPRC=np.nan, AUP=np.nan,
                             AUR=np.nan, deletion=np.nan, s_per_series=np.nan)); continue
        k = min(48, len(X) // 4)
        xb = learner_inputs(learn, X[-k:]); mk = mask[-k:]
        methods = {m: m for m in OURS}
        methods['TSR(IG)'] = lambda model, x, target=None, layer=None: tsr(model, x, method='integrated_gradients', n_steps=16)
        # ours with time-interpret's settings for ExtremalMask (its squared-error preservation loss, lr 0.01)
        methods["extremal_mask(loss='mse', lr=0.01)"] = lambda model, x, target=None, layer=None: extremal_mask(model, x, loss='mse', lr=0.01)
        peer_methods = peers()
        methods.update(peer_methods)
        if methods_only: methods = {k: f for k, f in methods.items() if any(m.strip() == k for m in methods_only.split(','))}
        default = learner_method(learn)
        set_maps, set_aur = {}, {}
        for label, f in methods.items():
            t0 = time.perf_counter()
            try: maps = get_method(f)(learn.model, xb)
            except ValueError as e: print(f'  {name}: {label} n/a ({e})'); continue
            secs = (time.perf_counter() - t0) / len(xb)
            ev = faithfulness(learn.model, xb, maps, method=str(label))
            sc = scores(maps, mk)
            set_maps[label], set_aur[label] = maps, sc['AUR']
            rows.append(dict(set=name, model=arch, acc=acc, method=label + (' (default)' if label == default else ''), **sc,
                             deletion=ev.ratio, s_per_series=secs))
        mine = [k for k in set_maps if k not in peer_methods]
        for peer in (k for k in set_maps if k in peer_methods):
            if set_aur[peer] <= max(set_aur[k] for k in mine): continue
            share = kept_share(set_maps[peer])
            ours = {k: recall_at_area(set_maps[k], mk, share) for k in mine}
            best = max(ours, key=ours.get)
            areas.append(dict(set=name, model=arch, peer=peer, AUR=set_aur[peer], area=share.mean(),
                              recall=recall_at_area(set_maps[peer], mk, share), ours=best, our_recall=ours[best]))
    return rows, areas

def print_over_seeds(runs: list, seeds: list):
    "One row per (set, model, method): the mean ± sd of each score over the runs of the training seeds"
    print(f'Mean ± sd over {len(runs)} training seeds ({", ".join(map(str, seeds))}) of each model (the data are the same):')
    print('| set | model (acc.) | method | AUPRC | AUP | AUR | deletion × random | s / series |\n|---|---|---|---|---|---|---|---|')
    groups = {}
    for rows in runs:
        for r in rows: groups.setdefault((r['set'], r['model'], r['method'].replace(' (default)', '')), []).append(r)
    ms = lambda rs, k: f"{np.mean([r[k] for r in rs]):.3f} ± {np.std([r[k] for r in rs], ddof=1) if len(rs) > 1 else 0:.3f}"
    for (name, arch, method), rs in groups.items():
        chosen = sum(r['method'].endswith('(default)') for r in rs)
        label = method + (f' (default in {chosen} of {len(rs)})' if chosen else '')
        print(f"| {name} | {arch} ({ms(rs, 'acc')}) | {label} | {ms(rs, 'AUPRC')} | {ms(rs, 'AUP')} | {ms(rs, 'AUR')} | "
              f"{ms(rs, 'deletion')} | {np.mean([r['s_per_series'] for r in rs]):.4f} |")

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--only', default=None, help="only the sets whose name or model contains this (e.g. 'LSTM', 'type 2')")
    p.add_argument('--seeds', type=int, nargs='+', default=[0],
                   help='training seeds of the models: with several, each row is the mean ± sd over them (e.g. --seeds 0 1 2)')
    p.add_argument('--methods', default=None, help="only these methods, comma-separated (e.g. 'grad_cam,channel_cam,occlusion')")
    a = p.parse_args()
    torch.set_num_threads(2)
    if len(a.seeds) > 1: return print_over_seeds([run(a.quick, a.only, seed, a.methods)[0] for seed in a.seeds], a.seeds)
    rows, areas = run(a.quick, a.only, a.seeds[0], a.methods)
    print('| set | model (acc.) | method | AUPRC | AUP | AUR | deletion × random | s / series |\n|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['set']} | {r['model']} ({r['acc']:.2f}) | {r['method']} | {r['AUPRC']:.3f} | {r['AUP']:.3f} | {r['AUR']:.3f} | "
              f"{r['deletion']:.2f} | {r['s_per_series']:.4f} |")
    if areas:
        print('\nWhere a peer covers more of the truth (AUR), recall at the same area (the share of cells its mask keeps):\n'
              '| set | model | peer | its AUR | area kept | its recall | our best at that area | recall |\n|---|---|---|---|---|---|---|---|')
        for r in areas:
            print(f"| {r['set']} | {r['model']} | {r['peer']} | {r['AUR']:.3f} | {r['area']:.2f} | {r['recall']:.3f} | {r['ours']} | {r['our_recall']:.3f} |")
    if 'tint_extremal_mask' not in peers(): print("\ntime-interpret (tint) is not installed here: its ExtremalMask/DynaMask columns are not measured.")

if __name__ == '__main__': sys.exit(main())
