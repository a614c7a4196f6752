"""Regression and forecasting models explained as numbers, never as classes: the task told by the learner, maps of output k,
the sign of a map following the predicted value, [0, 1]-valued regression outputs not read as probabilities, planted
windows found, tsai's regressors and forecasters live and reloaded."""
import warnings
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *
from tsexplain.show import horizon_maps

warnings.filterwarnings('ignore')


def window_data(n=160, L=64, w=10, seed=0):
    "Noise with one bump of random place and amplitude (-2 to 2) per series; y = the amplitude: the planted truth is the bump"
    rng = np.random.default_rng(seed)
    X = rng.normal(scale=0.3, size=(n, 1, L)).astype(np.float32)
    starts, amp = rng.integers(0, L - w, n), rng.uniform(-2, 2, n).astype(np.float32)
    truth = np.zeros((n, L), bool)
    for i, s in enumerate(starts): X[i, 0, s:s + w] += amp[i] * np.hanning(w + 2)[1:-1]; truth[i, s:s + w] = True
    return X, amp, truth


@pytest.fixture(scope='module')
def regressor():
    X, y, truth = window_data()
    dls = TSDataLoaders.from_arrays(X, y, valid_pct=0.25, seed=0, bs=32, normalize=None)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(32, 32, 32)))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(12, 3e-3)
    return learn, X, y, truth


def test_float_targets_make_a_regression_learner(regressor):
    learn, X, y, _ = regressor
    assert learn.dls.task == 'regression' and learn.dls.c == 1
    assert 'MSELoss' in str(learn.loss_func) and [m.name for m in learn.metrics] == ['_rmse', 'mae']
    preds, targs = learn.get_preds()
    r2 = 1 - ((preds[:, 0] - targs) ** 2).sum() / ((targs - targs.mean()) ** 2).sum()
    assert r2 > 0.5, f'the planted window should be learnt: R2 {r2:.2f}'


def test_no_sign_flip_on_negative_predictions(regressor):
    "A single-output regressor is explained as ŷ: series predicted below zero get the map of ŷ, not of -ŷ"
    learn, X, y, _ = regressor
    x = torch.as_tensor(X[:40])
    with torch.no_grad(): pred = learn.model.eval()(x)[:, 0]
    assert (pred < 0).sum() > 5
    torch.testing.assert_close(learn.cam(X[:40], method='input_x_grad'), learn.cam(X[:40], method='input_x_grad', target=0))
    ig = integrated_gradients(learn.model, x, n_steps=200)            # completeness: the map sums to ŷ(x) - ŷ(0), sign included
    with torch.no_grad(): base = learn.model(torch.zeros_like(x))[:, 0]
    torch.testing.assert_close(ig.sum((1, 2)), pred - base, atol=2e-2, rtol=2e-2)


def test_planted_window_found(regressor):
    from sklearn.metrics import average_precision_score
    learn, X, y, truth = regressor
    maps = learn.cam(X[:32], method='occlusion').abs().numpy()[:, 0]
    pr = np.mean([average_precision_score(truth[i], maps[i]) for i in range(32)])
    assert pr >= 0.8, f'occlusion: PR-AUC {pr:.2f} on the planted bumps'


def test_cam_of_output_k_is_exact():
    "GAP + linear regressor with 3 outputs: CAM of output k is w_k · A(t), and its time mean plus the bias is ŷ_k"
    m = declare_output(FCN(2, 3), 'regression').eval()
    x = torch.randn(5, 2, 40)
    before, _, head = gap_linear_head(m)
    with torch.no_grad():
        acts = {}
        h = before.register_forward_hook(lambda mod, i, o: acts.__setitem__('a', o))
        y = m(x); h.remove()
    for k in range(3):
        c = cam(m, x, target=k)
        torch.testing.assert_close(c[:, 0], torch.einsum('c,bcl->bl', head.weight[k], acts['a']), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(c[:, 0].mean(-1) + head.bias[k], y[:, k], atol=1e-5, rtol=1e-5)
    one = declare_output(FCN(1, 1), 'regression').eval()           # one output: its own weights, never the (-w, w) of a class pair
    xs = torch.randn(4, 1, 30)
    with torch.no_grad(): y1 = one(xs)[:, 0]
    torch.testing.assert_close(cam(one, xs).mean((1, 2)) + gap_linear_head(one)[2].bias[0], y1, atol=1e-5, rtol=1e-5)


def test_unit_interval_regression_is_not_a_probability():
    "A regressor whose outputs all lie in [0, 1] (a final sigmoid, Covid3Month's rates) is explained as its value, not as a logit"
    m = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), GAP1d(), nn.Linear(4, 1), nn.Sigmoid()).eval()
    x = torch.randn(8, 1, 20)
    as_class = input_x_grad(m, x, target=1)         # a bare model with a final Sigmoid: a class probability, explained as its logit
    declare_output(m, 'regression')
    xi = x.clone().requires_grad_(True)
    m(xi)[:, 0].sum().backward()
    torch.testing.assert_close(input_x_grad(m, x), (xi.grad * x))    # the gradient of the sigmoid's value, not of its logit
    assert not torch.allclose(input_x_grad(m, x), as_class)
    dls = TSDataLoaders.from_dsname('Covid3Month', bs=32)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
    xb = dls.valid.one_batch()[0]
    assert learn.cam(xb[:6], method='grad_cam').shape == (6, 1, 84)   # targets in [0, 0.2]: not refused, not a probability


def test_forecaster_steps_are_never_classes():
    air, _ = read_forecast_series('Airline')
    dls = TSDataLoaders.from_series(air, lookback=24, horizon=4, bs=16)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
    xb = dls.valid.one_batch()[0][:3].as_subclass(torch.Tensor)      # the first three validation windows, as the model sees them
    with pytest.raises(ValueError, match='target=k'): learn.cam([0, 1, 2])
    steps = horizon_maps(learn.model, xb, 'grad_cam')
    for k in range(4): torch.testing.assert_close(learn.cam([0, 1, 2], method='grad_cam', target=k), steps[:, k])
    out = learn.explain(method='input_x_grad', target=1, progress=False)
    assert 'probs' not in out and out['preds'].shape[1] == 4 and (out['explained'] == 1).all()
    assert out['targets'].dtype == np.float32


def test_regression_evidence_is_brute_force(regressor):
    "The deletion evidence of a regressor: how far ŷ moves from its own value, random order over the map's, by hand"
    learn, X, y, _ = regressor
    x = torch.as_tensor(X[:8]); m = learn.model.eval()
    maps = integrated_gradients(m, x)
    ev = faithfulness(m, x, maps)
    grid = [0., .1, .2, .3, .5, 1.]
    def moved(order):
        with torch.no_grad():
            y0, ys = m(x)[:, 0], []
            for f in grid:
                xr = x.clone()
                for b in range(len(x)): xr[b, 0, order[b, :round(f * 64)]] = 0
                ys.append((m(xr)[:, 0] - y0).abs())
        return torch.trapezoid(torch.stack(ys, 1), torch.tensor(grid), dim=1)
    gen = torch.Generator().manual_seed(0)
    by_map = moved(maps.abs().flatten(1).argsort(1, descending=True))      # by size: either sign moves ŷ
    by_random = moved(torch.stack([torch.randperm(64, generator=gen) for _ in range(8)]))
    assert abs(ev.ratio - (by_random.mean() / by_map.mean()).item()) < 1e-4
    assert ev.ratio < 0.9


def test_figures_say_the_value(regressor):
    learn, *_ = regressor
    fig = learn.show_cam(n=3, method='grad_cam', show=False)
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert len(titles) == 3 and all(t.startswith('ŷ = ') and '(true ' in t for t in titles)
    assert 'of ŷ' in fig._suptitle.get_text()
    fig = learn.show_cam(top_losses=True, n=2, method='grad_cam', show=False)
    assert all(t.startswith('#') for t in [a.get_title() for a in fig.axes if a.get_title()])


def test_learner_task_disagreement_refused():
    X, y, _ = window_data(n=40)
    dls = TSDataLoaders.from_arrays(X, y, valid_pct=0.25, seed=0, bs=8)
    learn = ts_learner(dls, FCN, seed=0, loss_func=CrossEntropyLossFlat())
    with pytest.raises(ValueError, match='classification loss'): learn.cam([0])


tsai = pytest.importorskip('tsai.basics')


def test_tsai_regressor_live_and_reloaded(tmp_path):
    X, y, _ = window_data(n=120)
    splits = tsai.get_splits(y, valid_size=.25, stratify=False, random_state=0, shuffle=True, show_plot=False)
    learn = tsai.TSRegressor(X, y, splits=splits, arch='FCNPlus', batch_tfms=[tsai.TSStandardize()], seed=0, verbose=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 3e-3)
    live = learn.cam([0, 1, 2, 3], method='input_x_grad')
    torch.testing.assert_close(live, learn.cam([0, 1, 2, 3], method='input_x_grad', target=0))   # ŷ, no sign flip
    learn.export(tmp_path/'reg.pkl')
    back = tsai.load_learner(tmp_path/'reg.pkl')
    torch.testing.assert_close(back.cam(X[splits[1][:4]], method='input_x_grad'), learn.cam(X[splits[1][:4]], method='input_x_grad'),
                               atol=1e-5, rtol=1e-4)
    fig = learn.show_cam(n=2, method='grad_cam', show=False)
    assert all(t.startswith('ŷ = ') for t in [a.get_title() for a in fig.axes if a.get_title()])


def test_tsai_forecaster_steps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 1, 30)).astype(np.float32)
    y = np.stack([X[:, 0, 5 * k:5 * k + 5].mean(1) for k in range(4)], 1).astype(np.float32)   # step k reads window k
    splits = tsai.get_splits(y, valid_size=.2, stratify=False, random_state=0, shuffle=True, show_plot=False)
    learn = tsai.TSForecaster(X, y, splits=splits, arch='FCNPlus', seed=0, verbose=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
    with pytest.raises(ValueError, match='4 numbers'): learn.cam([0, 1])
    assert learn.cam([0, 1], target=3, method='input_x_grad').shape == (2, 1, 30)
    fig = learn.show_cam(n=2, method='saliency', target=3, show=False, check=False)       # a forecaster's output 3 is step 4
    assert all(a.get_title().startswith('step 4: ŷ = ') for a in fig.axes[:2]), [a.get_title() for a in fig.axes]
    reg = tsai.TSRegressor(X, y, splits=splits, arch='FCNPlus', seed=0, verbose=False)     # four outputs, not steps: by index
    fig = reg.show_cam(n=1, method='saliency', target=3, show=False, check=False)
    assert fig.axes[0].get_title().startswith('output 3: ŷ = ')


def test_reloaded_tsai_regressor_with_its_own_loss_is_refused_until_declared(tmp_path):
    """A tsai regressor trained with a loss of its own, exported and reloaded: neither its loss nor its empty DataLoaders tell the task.
    It was explained as a classifier (maps unlike the live learner's); now refused with the fix, and right once declared"""
    def my_loss(p, t): return ((p.view(-1) - t.view(-1)) ** 2).mean()
    X, y, _ = window_data(n=80)
    splits = tsai.get_splits(y, valid_size=.25, stratify=False, random_state=0, shuffle=True, show_plot=False)
    learn = tsai.TSRegressor(X, y, splits=splits, arch='FCNPlus', loss_func=my_loss, seed=0, verbose=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
    live = learn.cam(X[:2], method='input_x_grad')                       # live: its DataLoaders hold float targets
    learn.export(tmp_path/'r.pkl')
    back = tsai.load_learner(tmp_path/'r.pkl')
    with pytest.raises(ValueError, match="declare_output\\(learn.model, 'regression'\\)"): back.cam(X[:2], method='input_x_grad')
    declare_output(back.model, 'regression')
    torch.testing.assert_close(back.cam(X[:2], method='input_x_grad'), live, atol=1e-5, rtol=1e-4)


def test_a_forecasters_store_takes_its_target(tmp_path):
    "explain_to_zarr on a 3-step forecaster: target=2 (step 3) and target=(step, channel) reach the first series' trial run too"
    series = np.random.default_rng(0).normal(size=80).astype(np.float32).cumsum()
    dls = TSDataLoaders.from_series(series, lookback=24, horizon=3, bs=4)
    X = np.stack([series[i:i + 24] for i in range(12)])[:, None]
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    with pytest.raises(ValueError, match='target=k'): explain_to_zarr(learn, X, tmp_path/'none.zarr', method='saliency', progress=False)
    import zarr
    for target, name in ((2, 'two.zarr'), ((2, 0), 'pair.zarr')):
        g = zarr.open_group(str(explain_to_zarr(learn, X, tmp_path/name, method='saliency', target=target, chunk=5, progress=False)), mode='r')
        assert (g['explained'][:] == 2).all() and g['maps'].shape == (12, 1, 24)
    two, pair = (zarr.open_group(str(tmp_path/n), mode='r')['maps'][:] for n in ('two.zarr', 'pair.zarr'))
    np.testing.assert_array_equal(two, pair)                 # step 3 of channel 0 either way


def test_evaluate_cams_of_a_regressor_measures_how_far_y_moves(regressor):
    "Never ŷ integrated as a probability (ratios of -6.57 and -1e11 before): the ratio random / map of |ŷ moved| is positive, the planted map beats random"
    learn = regressor[0] if isinstance(regressor, tuple) else regressor
    df = learn.evaluate_cams(methods=('saliency', 'occlusion'), n=32)
    assert df.attrs['regression'] and (df['deletion_ratio'] > 0).all() and (df['deletion_ratio'] < 1).all(), df
    assert 'insertion_auc' not in df and set(df.attrs['deletion_curves']) == set(df.index)
    assert len(show_evaluation(df, show=False).axes) == 2


def test_forecasters_know_the_newest_step_and_beat_naive(tmp_path):
    "from_series DataLoaders get CNNWithLags (a CNN plus a linear map of every lag): channel 0 is channel 1 twelve steps later, so forecast step h reads channel 1 at lag 13 - h. It beats the naive forecast, its maps equal captum's and peak at the planted lags, and it saves and reloads"
    from captum.attr import IntegratedGradients
    rng = np.random.default_rng(0)
    driver = rng.normal(size=1000).astype(np.float32)
    target = np.r_[np.zeros(12, np.float32), driver[:-12]] + 0.1 * rng.normal(size=1000).astype(np.float32)
    dls = TSDataLoaders.from_series(np.stack([target, driver]), lookback=24, horizon=2, target_channels=[0], bs=64)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
    assert isinstance(learn.model, CNNWithLags) and learn.model.hparams['seq_len'] == 24
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(15, 3e-3)
    preds, targs = learn.get_preds(dl=dls.valid.new(shuffle=False, drop_last=False))
    xv = np.stack([target[i:i + 24] for i in dls.forecast['valid_starts']])
    naive = float(np.sqrt(((xv[:, -1:] - targs.numpy()) ** 2).mean()))
    assert float(((preds - targs) ** 2).mean().sqrt()) < 0.5 * naive
    x = dl_batch(dls.valid, n=4)[0]
    m = learn.model.eval()
    torch.testing.assert_close(integrated_gradients(m, x, target=1), IntegratedGradients(m).attribute(x, target=1, n_steps=50, method='gausslegendre'),
                               atol=1e-6, rtol=1e-4)
    li = learn.lag_importance(method='saliency', n_repeats=2)
    assert li.peak_lags('maps')[:, 1].tolist() == [12, 11] and li.peak_lags('permutation')[:, 1].tolist() == [12, 11]
    back = load_ts_model(save_ts_model(learn, tmp_path/'fc'))
    torch.testing.assert_close(back.model(x), m(x))
    with pytest.raises(ValueError, match='reads 24 steps'): m(torch.zeros(1, 2, 30))
    with pytest.raises(ValueError, match='lags=False'): ts_learner(dls, CNNLSTMAttention)
    assert not isinstance(ts_learner(dls, FCN, lags=False).model, CNNWithLags)


def test_from_series_refuses_what_it_would_misread_and_scales():
    "valid_pct as a string, target channels that are not distinct ints, a (T, C) table: refused with the fix; 10⁵ steps in seconds (fastai's item repr was 97 % of the time)"
    import time
    s = np.sin(np.arange(600) / 10).astype(np.float32)
    two = np.stack([s, s])
    with pytest.raises(ValueError, match=r"valid_pct must be a number in \(0, 1\).*'0.2'"): TSDataLoaders.from_series(s, lookback=24, valid_pct='0.2')
    with pytest.raises(ValueError, match=r"valid_pct must be a number"): TSDataLoaders.from_arrays(np.zeros((20, 1, 30)), np.arange(20) % 2, valid_pct='0.2')
    for bad in (1.7, True, '1', [0, 0], [2]):
        with pytest.raises(ValueError, match='target_channels must be distinct channel indices'):
            TSDataLoaders.from_series(two, lookback=24, target_channels=bad)
    with pytest.raises(ValueError, match=r"shape \(600, 3\).*looks like \(T, C\).*series.T"): TSDataLoaders.from_series(np.stack([s] * 3).T, lookback=24)
    dls = TSDataLoaders.from_series(two, lookback=24, target_channels=np.int64(1))
    assert dls.forecast['target_channels'] == [1]
    from tsexplain.core import SeriesItems             # what fastai formats into its "Collecting items" line: never the arrays
    items = SeriesItems((np.zeros((1, 24), np.float32), 0.) for _ in range(100_000))
    assert repr(items) == '100000 (series, target) pairs'
    dls = TSDataLoaders.from_series(np.sin(np.arange(100_000) / 10).astype(np.float32), lookback=24)
    assert len(dls.train_ds) + len(dls.valid_ds) == 100_000 - 24


def test_forecast_titles_name_the_input_channel():
    "target_channels=[3, 0]: titles and show_horizon_maps(channel=) speak of input channels 3 and 0, never of positions 0 and 1"
    rng = np.random.default_rng(0)
    series = rng.normal(size=(4, 120)).astype(np.float32).cumsum(1)
    dls = TSDataLoaders.from_series(series, lookback=24, horizon=2, target_channels=[3, 0], bs=8)
    learn = ts_learner(dls, FCN, seed=0, lags=False, model_kwargs=dict(layers=(8, 8, 8)))
    fig = learn.show_horizon_maps(channel=3, method='saliency', n=1, show=False, check=False)
    assert 'of channel 3' in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"channel=1: the learner forecasts input channel\(s\) \[3, 0\]"): learn.show_horizon_maps(channel=1, show=False)
    from tsexplain.figure_data import value_titles, forecast_channels
    x = dls.valid.one_batch()[0][:2]
    titles = value_titles(learn.model, x, target=3, channels=forecast_channels(dls))   # output 3: step 2 of the second block
    assert all(t.startswith('step 2 of ch 0:') for t in titles), titles
    fig = learn.show_cam(n=2, method='saliency', target=1, show=False, check=False)
    assert any('step 2 of ch 3' in a.get_title() for a in fig.axes), [a.get_title() for a in fig.axes]


def test_show_forecast_draws_history_forecast_and_truth_in_the_users_units():
    "learn.show_forecast: the history is the window's own values (not standardised), the truth its continuation, the forecast the model's; the step map below spans the history; classifiers and a missing channel are refused"
    rng = np.random.default_rng(1)
    series = np.stack([50 + 5 * np.sin(np.arange(300) / 5), 200 + rng.normal(0, 3, 300)]).astype(np.float32)
    dls = TSDataLoaders.from_series(series, lookback=20, horizon=3, target_channels=[1, 0], bs=16)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    fig = learn.show_forecast([2], channel=0, method='saliency', show=False, check=False)
    history, truth, forecast = (l.get_ydata() for l in fig.axes[0].lines[:3])
    start = dls.forecast['valid_starts'][2]
    np.testing.assert_allclose(history, series[0, start:start + 20], atol=1e-3)        # input channel 0, in its own units
    np.testing.assert_allclose(truth[1:], series[0, start + 20:start + 23], atol=1e-3)
    from tsexplain.figure_data import predicted_values
    x, _ = dl_batch(dls.valid, [2])
    np.testing.assert_allclose(forecast[1:], predicted_values(learn.model, x)[0, 3:6].numpy(), atol=1e-4)   # block 1 predicts channel 0
    assert truth[0] == history[-1] == forecast[0]                                       # joined to the last value seen
    assert fig.axes[1].images[0].get_array().shape == (3, 20)                           # forecast steps × history
    assert 'of channel 0' in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"channel=5: the learner forecasts input channel\(s\) \[1, 0\]"): learn.show_forecast(channel=5, show=False)
    from tsexplain.forecast_show import show_forecast
    with pytest.raises(ValueError, match='classifier'): show_forecast(torch.randn(2, 1, 30), FCN(1, 2), show=False)


def test_best_epoch_is_chosen_on_held_out_training_series_and_restored():
    "hold_out + KeepBestEpoch: a fifth of the TRAIN series held out (disjoint, the validation set untouched); after the fit the model has the weights of the epoch with the lowest held-out loss — its loss recomputed equals the one recorded, and is the lowest of every epoch"
    from tsexplain.models import hold_out, KeepBestEpoch
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1, 30)).astype(np.float32); y = X[:, 0, 5:10].mean(1) * 3
    Xv = rng.normal(size=(20, 1, 30)).astype(np.float32); yv = Xv[:, 0, 5:10].mean(1) * 3
    dls = TSDataLoaders.from_arrays(X, y, Xv, yv, y_block='regression', bs=8)
    new, held = hold_out(dls, seed=0, bs=8)
    assert len(new.train_ds) == 40 and len(held.dataset) == 10 and len(new.valid_ds) == 20
    train_rows = {a.tobytes() for a, _ in new.train.items}
    assert not any(a.tobytes() in train_rows for a, _ in held.items)
    learn = ts_learner(new, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    losses = []
    class Record(Callback):
        order = 62
        def after_epoch(self):
            with torch.no_grad(): losses.append(sum(float(self.learn.loss_func(self.model(xb), yb)) * len(xb) for xb, yb in held) / 10)
    keep = KeepBestEpoch(held)
    with learn.no_bar(), learn.no_logging(): learn.fit(6, 0.05, cbs=[keep, Record()])     # a high rate: the loss goes up and down
    epoch, loss, n = keep.kept
    assert n == 10 and loss == pytest.approx(min(losses), rel=1e-5) and epoch == int(np.argmin(losses)) + 1
    learn.model.eval()
    with torch.no_grad(): now = sum(float(learn.loss_func(learn.model(xb), yb)) * len(xb) for xb, yb in held) / 10
    assert now == pytest.approx(loss, rel=1e-4)
    with pytest.raises(ValueError, match='too few to hold 20% out.*best_epoch=False'):
        hold_out(TSDataLoaders.from_arrays(X[:6], y[:6], Xv, yv, y_block='regression', bs=8))


def test_show_forecast_never_guesses_which_input_the_forecast_continues():
    "No forecast record (from_arrays) and two input channels: which one the forecast continues is asked for, then drawn as told"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2, 20)).astype(np.float32); y = X[:, 1, -3:] * 2
    dls = TSDataLoaders.from_arrays(X[:48], y[:48], X[48:], y[48:], y_block='regression', bs=8)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    declare_output(learn.model, 'regression', horizon=3)
    with pytest.raises(ValueError, match=r"2 channels and nothing says which one forecast block 0 continues: pass input_channel="):
        learn.show_forecast([0], method='saliency', show=False, check=False)
    fig = learn.show_forecast([0], method='saliency', input_channel=1, show=False, check=False)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), X[48, 1], atol=1e-4)      # channel 1, in the user's units


def test_fit_forecaster_trains_only_where_training_beats_the_start():
    "Rolling-origin folds never let a training window share a target with the block it forecasts; on a linear AR series (the ridge start is the right model) the start is kept, on a nonlinear one (the lags miss it) the learner is trained and beats its start on the validation windows; refusals with the fix"
    for n, H in ((20, 3), (57, 1), (101, 6)):
        starts = np.arange(n) * 2
        for tr, te in rolling_origin_folds(starts, H, 3):
            assert len(tr) and len(te) and starts[tr].max() + H <= starts[te].min()
        tests = np.concatenate([te for _, te in rolling_origin_folds(starts, H, 3)])
        assert tests.tolist() == list(range(int(round(n / 2)), n))                     # the later half, each window once
    rng = np.random.default_rng(0)
    def fitted(s, epochs=15):
        dls = TSDataLoaders.from_series(s.astype(np.float32), lookback=12, horizon=1, bs=32)
        learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
        valid = dls.valid.new(shuffle=False, drop_last=False)
        def err():
            with learn.no_bar(): p, t = learn.get_preds(dl=valid)
            return float(((p - t) ** 2).mean().sqrt())
        start = err(); rec = learn.fit_forecaster(epochs, 3e-3, progress=False)
        return learn, rec, start, err()
    ar = np.zeros(300)
    for t in range(1, 300): ar[t] = 0.8 * ar[t - 1] + rng.normal()
    learn, rec, start, after = fitted(ar)
    assert rec['chosen'] == 'start' and after == start and len(rec['folds']) == 3 and learn.forecast_fit is rec
    assert [f['train'] for f in rec['folds']] == sorted(f['train'] for f in rec['folds'])
    nonlin = np.zeros(700)
    for t in range(2, 700): nonlin[t] = 0.5 * nonlin[t - 1] + 1.2 * np.cos(2 * nonlin[t - 2]) + 0.2 * rng.normal()
    learn, rec, start, after = fitted(nonlin)
    assert rec['chosen'] == 'trained' and rec['ratio'] < 0.8 and after < 0.8 * start
    with pytest.raises(ValueError, match='trained already'): learn.fit_forecaster(2, progress=False)
    dls = TSDataLoaders.from_series(ar[:20].astype(np.float32), lookback=12, horizon=1, bs=8)
    with pytest.raises(ValueError, match='too few for 3 rolling-origin folds'): ts_learner(dls, FCN).fit_forecaster(2, progress=False)
    dls = TSDataLoaders.from_series(ar[:60].astype(np.float32), lookback=12, horizon=1, bs=8)
    for bad in (dict(folds=-1), dict(epochs=0), dict(margin=1.5)):
        with pytest.raises(ValueError, match='folds|epochs|margin'): ts_learner(dls, FCN).fit_forecaster(**bad, progress=False)
    with pytest.raises(ValueError, match='lags=True'): ts_learner(dls, FCN, lags=False).fit_forecaster(progress=False)
    found = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    with found.no_bar(), found.no_logging(): found.lr_find(show_plot=False)          # puts the weights back: still the start
    assert found.fit_forecaster(1, progress=False)['chosen'] in ('start', 'trained')
    X, y, _ = window_data(n=40)
    with pytest.raises(ValueError, match='from_series'):
        ts_learner(TSDataLoaders.from_arrays(X, y, valid_pct=0.25, seed=0, bs=8), FCN).fit_forecaster(progress=False)
