"""What would change the model's mind, measured side by side: tsexplain's counterfactuals (Native Guide on our maps,
the sparse optimisation, channel substitution) and the peers of `counterfactuals-for-time-series` (cfts: its Native Guide,
Wachter's gradient method, CoMTE, Sub-SpaCE) on the same trained model and the same test series.

Sets: ECG200 and GunPoint (univariate), BasicMotions (6 channels); one FCN each (tsexplain's ts_learner). For each method:
validity, the share of time steps changed, contiguous changed segments, L1 relative to the nearest unlike neighbour (as
Native Guide reports it), plausibility (the share flagged out of distribution by an isolation forest and by LOF fitted on
the training series; `test` rows give the share for real test series, the bar to meet, and `the series explained, before`
the share of the chosen test series themselves before any change: 12 series can hold more outliers than the test set), seconds
per series.

`tsexplain sparse (free)` is `plausible=False`: the optimisation without the guard that keeps each step between the
series and real neighbours of the wanted class.

    pip install counterfactuals-for-time-series        # the peers (import without TensorFlow); skipped when missing
    python bench/counterfactual_benchmark.py --quick   # 12 series per set, the fast Sub-SpaCE: a few minutes on 2 cores
    python bench/counterfactual_benchmark.py           # 40 series per set, and Sub-SpaCE as published on 3 of them: 6 minutes
    # sets the project does not bundle, from a folder of NAME/NAME_TRAIN.ts + NAME_TEST.ts (aeon's wheel ships these):
    python bench/counterfactual_benchmark.py --sets ItalyPowerDemand ArrowHead OSULeaf JapaneseVowels \
        --data .../site-packages/aeon/datasets/data --arch FCN InceptionTime
"""
import argparse, time, warnings
from pathlib import Path
import numpy as np
import torch
warnings.filterwarnings('ignore')
from tsexplain.all import *
from tsexplain.counterfactual import Counterfactuals, nearest_unlike, _train_labels, _result

def train(dsname, epochs, arch='FCN', data=None, seed=0):
    set_seed(seed)
    local = Path(data or '.')/dsname
    files = [local/f'{dsname}_TRAIN.ts', local/f'{dsname}_TEST.ts']
    dls = (TSDataLoaders.from_files(files, bs=16, pad=True) if data and files[0].exists() else TSDataLoaders.from_dsname(dsname, bs=16))
    learn = ts_learner(dls, {'FCN': FCN, 'InceptionTime': InceptionTime, 'ResNet': ResNet}[arch], seed=seed)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 1e-2 if arch == 'FCN' else 3e-3)
    return learn

def as_counterfactuals(model, x, xc, target, train_x, train_y, method, seconds) -> Counterfactuals:
    "A peer's counterfactuals (B, C, L), measured on the model exactly as ours are (`_result`); their neighbour: the one our Native Guide uses"
    src = nearest_unlike(x, train_x, _train_labels(model, train_x, train_y), target)
    cf = _result(model, method, x, xc, target, src, time.perf_counter())
    cf.seconds = seconds
    return cf

def peers(multichannel: bool, quick: bool) -> dict:
    try: import cfts  # noqa: F401
    except ImportError: print('counterfactuals-for-time-series is not installed: its columns are skipped'); return {}
    if not hasattr(np, 'in1d'): np.in1d = np.isin       # NumPy 2.4 removed in1d, which cfts 0.1.7's Sub-SpaCE still calls
    from cfts.cf_native_guide.native_guide import native_guide_uni_cf
    from cfts.cf_wachter.wachter import wachter_gradient_cf
    from cfts.cf_comte.comte import comte_cf
    from cfts.cf_subspace.subspace import subspace_fast, subspace_cf
    out = {'cfts native guide': native_guide_uni_cf, 'cfts wachter (gradient)': wachter_gradient_cf, 'cfts sub-space (fast)': subspace_fast}
    if multichannel: out['cfts comte'] = comte_cf
    if not quick: out['cfts sub-space (as published)'] = subspace_cf
    return out

def run_peer(f, model, x, target, train_x, train_y, n=None):
    "The peer series by series (its contract: one sample (C, L), the dataset as (series, label) pairs, the target class; an (N, C, L) array is read as N univariate series when C > 1)"
    data = [(s.cpu().numpy(), int(y)) for s, y in zip(train_x, train_y)]
    xs, t0 = [], time.perf_counter()
    for i in range(len(x) if n is None else n):
        try: cf, _ = f(x[i].cpu().numpy(), model, target_class=int(target[i]), dataset=data)
        except Exception as e: print(f'    failed on series {i}: {type(e).__name__}: {str(e)[:80]}'); cf = x[i].cpu().numpy()
        cf = np.asarray(cf, dtype=np.float32).reshape(x.shape[1:]) if np.size(cf) == x[i].numel() else x[i].cpu().numpy()
        xs.append(torch.as_tensor(cf))
    return torch.stack(xs), (time.perf_counter() - t0) / len(xs)

KEYS = ('validity', 'cells_changed', 'steps_changed', 'segments', 'l1_vs_neighbour', 'ood_iforest', 'ood_lof', 'seconds')

def main(quick, sets, archs, data, epochs=None, series=None):
    n, epochs = (12, epochs or 15) if quick else (40, epochs or 30)
    n = series or n
    for dsname, arch in [(d, a) for d in sets for a in archs]:
        t0 = time.perf_counter()
        learn = train(dsname, epochs, arch, data)
        print(f'\n{dsname} {arch}: trained {epochs} epochs in {time.perf_counter() - t0:.0f} s', flush=True)
        model = learn.model.eval()
        train_x, train_y = dl_batch(learn.dls.train)
        test_x, _ = dl_batch(learn.dls.valid)
        idxs = torch.linspace(0, len(test_x) - 1, n).round().long()
        x = test_x[idxs]
        with torch.no_grad(): acc = float((learn.model(test_x).argmax(1) == dl_batch(learn.dls.valid)[1]).float().mean())
        print(f"\n== {dsname}: {arch} test accuracy {acc:.3f}; {n} test series; the class wanted: the most probable other one")
        rows = {}
        ours = ['native_guide', 'sparse'] + (['channel_substitution'] if x.shape[1] > 1 else [])
        frozen = missing_mask(learn.dls.valid, idxs.tolist(), x)         # padding (pad=True): never changed
        for m, kw in [(m, {}) for m in ours] + [('sparse (free)', {'plausible': False})]:
            cf = counterfactual(model, x, train_x, train_y, method=m.split()[0], frozen=frozen, progress=False, **kw)
            rows[f'tsexplain {m}'] = evaluate_counterfactuals(cf, train_x, test_x, train_y=train_y)
            print(f'  tsexplain {m}: {cf.seconds * len(x):.0f} s', flush=True)
            target = cf.target
        for name, f in peers(x.shape[1] > 1, quick).items():
            m = 3 if 'published' in name else None
            t0 = time.perf_counter()
            xc, secs = run_peer(f, model, x, target, train_x, train_y, m)
            print(f'  {name}: {time.perf_counter() - t0:.0f} s', flush=True)
            xs = x if m is None else x[:m]
            cf = as_counterfactuals(model, xs, xc.to(xs.device), target[:len(xs)], train_x, train_y, name, secs)
            rows[name] = evaluate_counterfactuals(cf, train_x, test_x, train_y=train_y)
        ref = evaluate_counterfactuals(counterfactual(model, x[:1], train_x, train_y), train_x, test_x)
        print(f"  {'method':30s}" + ''.join(f'{k:>15s}' for k in KEYS))
        for name, ev in rows.items(): print(f"  {name:30s}" + ''.join(f'{ev[k]:15.3f}' for k in KEYS))
        print(f"  {'real test series (the bar)':30s}" + ''.join(f"{ref.get('test_' + k, float('nan')):15.3f}" for k in KEYS))
        ng = rows['tsexplain native_guide']           # the series explained, before their change (valid ones: here all)
        print(f"  {'the series explained, before':30s}" + ''.join(f"{ng.get('original_' + k, float('nan')):15.3f}" for k in KEYS))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--sets', nargs='+', default=['ECG200', 'GunPoint', 'BasicMotions'])
    ap.add_argument('--arch', nargs='+', default=['FCN'], choices=['FCN', 'InceptionTime', 'ResNet'])
    ap.add_argument('--series', type=int, default=None, help='test series per set (default 40; 12 with --quick)')
    ap.add_argument('--epochs', type=int, default=None, help='training epochs (default 30; 15 with --quick)')
    ap.add_argument('--data', default=None, help='a folder of NAME/NAME_TRAIN.ts and NAME_TEST.ts (else bundled or downloaded)')
    a = ap.parse_args()
    main(a.quick, a.sets, a.arch, a.data, a.epochs, a.series)
