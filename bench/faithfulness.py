"""Faithfulness and localisation of every method of the engine, on planted motifs (known ground truth) and on ECG200.

1. Planted motifs: D = 3, 6, 10 channels of noise, one informative channel holding a class motif (sine, 20 steps, random
   position). FCN and InceptionTime are trained on 600 series and every method is scored on 200 test series against
   the ground-truth mask: PR-AUC, pointing game, relevance mass. Also the joint two-motif variant (D = 6).
   Goal: per-channel PR-AUC >= 0.80 at D = 10 (dCAM reports 0.755 / 0.671 on its D = 10 sets).
2. ECG200 (InceptionTime, the default recipe): deletion / insertion / top-10% against random orders for every method.
   Goal: Grad-CAM deletion AUC <= 0.7 x random-order deletion AUC.
3. Randomisation sanity check (Adebayo et al. 2018) on ECG200: CAM and Grad-CAM should pass (rank corr < 0.3).
Run: python bench/faithfulness.py [--quick] [--skip_ecg | --skip_planted | --only_sweep]
"""
import argparse, time
import numpy as np
import pandas as pd
import torch
from tsexplain.all import *
from tsexplain.evaluate import *

LENGTH_WISE = ['cam', 'grad_cam', 'grad_cam_pp', 'xgrad_cam', 'hires_cam', 'layer_cam', 'eigen_cam', 'score_cam', 'ablation_cam']
PER_CHANNEL = ['saliency', 'input_x_grad', 'integrated_gradients', 'smooth_grad', 'guided_grad_cam', 'occlusion', 'channel_cam']
KW = {'integrated_gradients': dict(n_steps=32), 'smooth_grad': dict(n_samples=16), 'occlusion': dict(window=10, stride=5)}
for _m in ('score_cam', 'ablation_cam', 'occlusion', 'channel_cam', 'integrated_gradients', 'smooth_grad'):
    KW[_m] = {**KW.get(_m, {}), 'progress': False}

def train(X, y, Xv, yv, arch, epochs, seed=0):
    dls = TSDataLoaders.from_arrays(X, y, Xv, yv, bs=32, normalize=None)
    learn = ts_learner(dls, arch, seed=seed)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(epochs, lr_max=3e-3)
        return learn, float(learn.validate()[1])

def planted(D, arch, epochs, n_train, n_test, joint=False):
    kw = dict(channels=D, length=100, window=20, motif='sine', joint=joint,
              channels_informative=[1, D - 2] if joint else [D // 2])   # the same channels in training and test sets
    X, y, _ = make_planted_dataset(n_train, seed=1, **kw)
    Xv, yv, mask = make_planted_dataset(n_test, seed=2, **kw)
    learn, acc = train(X, y, Xv, yv, arch, epochs)
    x = torch.as_tensor(Xv)
    rows = []
    for name in LENGTH_WISE + PER_CHANNEL:
        t0 = time.perf_counter()
        try: maps = METHODS[name](learn.model, x, **KW.get(name, {}))
        except ValueError: continue
        sc = localization_scores(maps.abs() if name in ('input_x_grad', 'integrated_gradients', 'guided_grad_cam', 'occlusion') else maps, mask)
        rows.append(dict(method=name, kind=METHODS[name].kind, **{k: round(v, 3) for k, v in sc.items()}, seconds=round(time.perf_counter() - t0, 1)))
    return acc, pd.DataFrame(rows).set_index('method')

def baseline_sweep(learn):
    "Deletion ratio (AUC / random-order AUC) of a few methods with each way of removing a time step"
    print('\n### ECG200: deletion AUC / random-order deletion AUC for each baseline (lower is better)\n')
    sweep = {b: learn.evaluate_cams(methods=['cam', 'grad_cam', 'occlusion', 'integrated_gradients'], n=100, steps=20,
                                    baseline=b, method_kwargs=KW).deletion_ratio.round(3) for b in ('zero', 'mean', 'noise', 'interp')}
    print(pd.DataFrame(sweep).to_markdown())

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='fewer series and epochs (a smoke run, not the reported numbers)')
    p.add_argument('--skip_ecg', action='store_true', help='only the planted-motif part')
    p.add_argument('--skip_planted', action='store_true', help='only the ECG200 part')
    p.add_argument('--only_sweep', action='store_true', help='only the ECG200 baseline sweep')
    a = p.parse_args()
    torch.set_num_threads(2)
    n_train, n_test, ep = (200, 64, 6) if a.quick else (600, 200, 20)
    for arch in () if a.skip_planted or a.only_sweep else (FCN, InceptionTime):
        for D, joint in ((3, False), (6, False), (10, False), (6, True)):
            acc, df = planted(D, arch, ep if arch is FCN else max(ep // 2, 4), n_train, n_test, joint)
            print(f'\n### Planted motif, D = {D}{" (joint two-motif variant)" if joint else ""}, {arch.__name__} (test accuracy {acc:.2f})\n')
            print(df.to_markdown())
    if a.skip_ecg: return
    if a.only_sweep:
        learn, acc = train_ts('ECG200', 'InceptionTime', epochs=50, bs=16, seed=0, progress=False)
        return baseline_sweep(learn)
    learn, acc = train_ts('ECG200', 'InceptionTime', epochs=10 if a.quick else 50, bs=16, seed=0, progress=False)
    print(f'\n### ECG200, InceptionTime (test accuracy {acc:.2f}): faithfulness on the 100 test series, zero baseline\n')
    df = learn.evaluate_cams(methods=LENGTH_WISE + PER_CHANNEL, n=100, steps=20, method_kwargs=KW)
    print(df.round(3).to_markdown())
    r = df.loc['grad_cam']
    print(f"\nGrad-CAM deletion AUC / random = {r.deletion_auc:.3f} / {r.deletion_random:.3f} = {r.deletion_ratio:.2f} (goal <= 0.7)")
    baseline_sweep(learn)
    x = learn.dls.valid.new(shuffle=False).one_batch()[0][:64]
    print('\n### Randomisation check (ECG200, cascading from the head down; rank correlation with the trained maps)\n')
    rows = []
    for m in ('cam', 'grad_cam', 'guided_grad_cam', 'saliency', 'integrated_gradients'):
        rc = randomization_check(learn.model, x, m, **KW.get(m, {}))
        rows.append(dict(method=m, **{f'down to {n}': round(v, 3) for n, v in zip(rc.randomized_down_to, rc.rank_corr)},
                         passes=rc.attrs['passes']))
    print(pd.DataFrame(rows).set_index('method').to_markdown())

if __name__ == '__main__': main()
