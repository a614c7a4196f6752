"""Forecasters worth explaining: ts_learner's default for forecasting DataLoaders (`CNNWithLags`: a CNN plus a linear map of
every input step), trained the library's way (`learn.fit_forecaster`: rolling-origin folds of the training windows
decide whether training beats its start, the ridge on the lags), against the CNN alone (global pooling: it barely knows which step is the newest), the naive forecast (the
last value), the seasonal naive forecast (the value one season before) and a ridge regression on the same lags — RMSE on
the validation windows (the last 20 %, after every training window in time), in the series' own units. A planted set checks
that the model and its maps find known lags: the series is 0.9 × its value 12 steps before plus noise, so forecast step h
reads lag 13 − h (lag 1 = the newest input step).

Series: Airline and solar (bundled), Lynx (log counts) and ShampooSales from aeon's wheel when aeon is installed (its data
folder is found in `AEON_DATA` or in the aeon package), and a made nonlinear AR series where training must win.

    python bench/forecast_benchmark.py --quick     # 1 seed, fewer epochs: about 15 minutes on 2 cores
    python bench/forecast_benchmark.py             # 3 seeds
    python bench/forecast_benchmark.py --quick --planted-only    # the planted sets alone
"""
import argparse, os, warnings
from pathlib import Path
import numpy as np
import torch
warnings.filterwarnings('ignore')
from tsexplain.all import *

# name: (loader, lookback, horizons, season)
def _aeon_csv(name):
    base = os.environ.get('AEON_DATA')
    if base is None:
        try:
            import importlib.util
            spec = importlib.util.find_spec('aeon')
            base = str(Path(spec.origin).parent/'datasets'/'data') if spec else None
        except Exception: base = None
    f = Path(base)/name/f'{name}.csv' if base else None
    return f if f is not None and f.exists() else None

def nonlinear_ar(T=1500, seed=0):
    "A series the lags alone cannot forecast: x[t] = 0.5 x[t-1] + 1.2 cos(2 x[t-2]) + noise (training should win here)"
    rng = np.random.default_rng(seed); x = np.zeros(T, np.float32)
    for t in range(2, T): x[t] = 0.5 * x[t - 1] + 1.2 * np.cos(2 * x[t - 2]) + 0.2 * rng.normal()
    return x

def series():
    out = {'Airline': (read_forecast_series('Airline')[0], 24, (1, 6), 12), 'solar': (read_forecast_series('solar')[0], 48, (1, 6), 48)}
    lynx, shampoo = _aeon_csv('Lynx'), _aeon_csv('ShampooSales')
    if lynx is not None: out['Lynx (log)'] = (np.log(read_forecast_series(lynx)[0]), 20, (1, 4), 10)
    if shampoo is not None: out['ShampooSales'] = (read_forecast_series(shampoo)[0], 12, (1, 3), 12)
    out['nonlinear AR (made)'] = (nonlinear_ar(), 24, (1,), 12)
    if lynx is None: print('aeon is not installed (or AEON_DATA unset): Lynx and ShampooSales are skipped')
    return out

def baselines(dls, s, lookback, H, season):
    "RMSE of the naive, seasonal naive and ridge forecasts on the validation windows (the series' units)"
    f = dls.forecast
    def windows(starts):
        X = np.stack([s[i:i + lookback] for i in starts]); Y = np.stack([s[i + lookback:i + lookback + H] for i in starts])
        return X, Y
    Xt, Yt = windows(f['train_starts']); Xv, Yv = windows(f['valid_starts'])
    rmse = lambda p: float(np.sqrt(((p - Yv) ** 2).mean()))
    naive = np.repeat(Xv[:, -1:], H, 1)
    snaive = np.stack([Xv[:, lookback - season + (h % season)] for h in range(H)], 1) if season <= lookback else naive
    from sklearn.linear_model import RidgeCV
    ridge = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(Xt, Yt).predict(Xv)
    return rmse(naive), rmse(snaive), rmse(ridge)

def model_rmse(dls, arch, lags, epochs, seed, recipe='one_cycle'):
    "Validation RMSE of `arch` (in CNNWithLags with `lags`) and the learner: as ts_learner starts it (`epochs` 0), after `epochs` of fit_one_cycle, or after `learn.fit_forecaster` (`recipe='fit_forecaster'`: trained only where rolling-origin folds of the training windows say training beats the start)"
    learn = ts_learner(dls, arch, seed=seed, lags=lags)
    with learn.no_bar(), learn.no_logging():
        if epochs and recipe == 'fit_forecaster': learn.fit_forecaster(epochs, 3e-3, seed=seed, progress=False)
        elif epochs: learn.fit_one_cycle(epochs, 3e-3)
        preds, targs = learn.get_preds(dl=dls.valid.new(shuffle=False, drop_last=False))
    return float(((preds - targs) ** 2).mean().sqrt()), learn

def both_models(dls, epochs, seed):
    "(name, trained learner, validation R² per step) for the CNN alone and CNNWithLags"
    for name, lags in (('CNN alone (FCN)', False), ('CNNWithLags (the default)', True)):
        _, learn = model_rmse(dls, FCN, lags, epochs, seed)
        with learn.no_bar(): preds, targs = learn.get_preds(dl=dls.valid.new(shuffle=False, drop_last=False))
        yield name, learn, 1 - ((preds - targs) ** 2).mean(0) / targs.var(0)

def planted(seed, epochs, L=36, H=3, T=1500):
    "A seasonal AR series (0.9 × the value 12 steps before, plus noise): step h reads lag 13 − h. R² per step and the lag each step's maps and permutation peak at"
    rng = np.random.default_rng(seed)
    s = np.zeros(T, np.float32); e = rng.normal(size=T).astype(np.float32)
    for t in range(T): s[t] = (0.9 * s[t - 12] if t >= 12 else 0) + e[t]
    dls = TSDataLoaders.from_series(s, lookback=L, horizon=H, bs=64)
    out = {}
    for name, learn, r2 in both_models(dls, epochs, seed):
        x, y = learner_data(learn)
        li = lag_importance(learn.model, x, y, method='saliency', n_repeats=2)
        out[name] = (r2.numpy(), li.peak_lags('maps')[:, 0], li.peak_lags('permutation')[:, 0])
    return out

def planted_copy(seed, epochs, L=36, H=3, T=1500):
    "The issue's fixed-lag set: channel 0 is noise, channel 1 is channel 0 delayed 12 steps; forecasting channel 1's next H steps from both, step h is channel 0 at lag 13 − h (exactly: R² can reach 1). R² per step, and each step's hit rate: the share of series whose saliency map (channel 0) peaks at that lag"
    rng = np.random.default_rng(seed)
    x0 = rng.normal(size=T).astype(np.float32)
    s = np.stack([x0, np.concatenate([np.zeros(12, np.float32), x0[:-12]])])
    dls = TSDataLoaders.from_series(s, lookback=L, horizon=H, target_channels=[1], bs=64)
    out = {}
    for name, learn, r2 in both_models(dls, epochs, seed):
        x, _ = learner_data(learn)
        x = x[:200]
        hits = []
        for h in range(H):
            m = get_method('saliency')(learn.model, x, target=h)[:, 0]                 # channel 0, (n, L)
            hits.append(float(((L - m.argmax(-1)) == 13 - (h + 1)).float().mean()))
        out[name] = (r2.numpy(), np.array(hits))
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--planted-only', action='store_true', help='only the planted sets (a minute or two)')
    args = ap.parse_args()
    torch.set_num_threads(2)
    seeds = [0] if args.quick else [0, 1, 2]
    epochs = 40 if args.quick else 60
    print(f'## Validation RMSE in the series\' units ({len(seeds)} seed(s), {epochs} epochs of fit_one_cycle, FCN as the CNN)\n')
    print('| series | horizon | **fit_forecaster** (what it chose) | fit_forecaster vs naive | vs seasonal naive | vs ridge | naive | '
          'seasonal naive | ridge on the lags | CNNWithLags: its start, untrained | trained (fit_one_cycle) | CNN alone (FCN) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for name, (s, lookback, horizons, season) in ({} if args.planted_only else series()).items():
        for H in horizons:
            dls = TSDataLoaders.from_series(s, lookback=lookback, horizon=H, bs=16)
            naive, snaive, ridge = baselines(dls, s, lookback, H, season)
            cnn = np.mean([model_rmse(dls, FCN, False, epochs, sd)[0] for sd in seeds])
            trained = np.mean([model_rmse(dls, FCN, True, epochs, sd)[0] for sd in seeds])
            start = model_rmse(dls, FCN, True, 0, 0)[0]              # the lags path at the leave-one-out ridge, the CNN silent
            runs = [model_rmse(dls, FCN, True, epochs, sd, recipe='fit_forecaster') for sd in seeds]
            ours, chosen = np.mean([r for r, _ in runs]), ', '.join(f"{l.forecast_fit['chosen']}, folds {l.forecast_fit['ratio']:.2f}×"
                                                                for _, l in runs)
            print(f'| {name} | {H} | **{ours:.4g}** ({chosen}) | {ours / naive:.2f}× | {ours / snaive:.2f}× | {ours / ridge:.2f}× | '
                  f'{naive:.4g} | {snaive:.4g} | {ridge:.4g} | {start:.4g} | {trained:.4g} | {cnn:.4g} |', flush=True)
    print('\n## Planted lags (0.9 × the value 12 steps before, plus noise: step h reads lag 13 − h, so 12, 11, 10): R² per step (at most 0.81: the rest is noise) and the peak lag of each step\n')
    print('| seed | model | R² steps 1-3 | peak lag (saliency maps) | peak lag (permutation) |\n|---|---|---|---|---|')
    for sd in seeds:
        for name, (r2, pm, pp) in planted(sd, epochs).items():
            print(f'| {sd} | {name} | {", ".join(f"{v:.2f}" for v in r2)} | {pm.tolist()} | {pp.tolist()} |', flush=True)
    print('\n## Planted fixed lag (channel 1 = channel 0 delayed 12 steps; forecast channel 1: step h is channel 0 at lag 13 − h, '
          'exactly): R² per step and the share of series whose saliency map peaks at that lag\n')
    print('| seed | model | R² steps 1-3 | hit rate steps 1-3 |\n|---|---|---|---|')
    for sd in seeds:
        for name, (r2, hits) in planted_copy(sd, epochs).items():
            print(f'| {sd} | {name} | {", ".join(f"{v:.2f}" for v in r2)} | {", ".join(f"{v:.2f}" for v in hits)} |', flush=True)

if __name__ == '__main__':
    main()
