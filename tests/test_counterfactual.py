"""Counterfactuals: known answers (a model that reads one window: only that window changes), validity measured and never
claimed, batched = one at a time, the nearest unlike neighbour the same as the peer library's, figures, evaluation."""
import warnings
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *

warnings.filterwarnings('ignore')


class ReadsOneWindow(nn.Module):
    "Class 1 when the mean of steps 20..29 of channel `ch` is above 0"
    def __init__(self, ch=0): super().__init__(); self.ch = ch
    def forward(self, x): m = x[:, self.ch, 20:30].mean(1); return torch.stack([-m, m], 1) * 4


def window_data(C=1, ch=0, seed=0):
    g = torch.Generator().manual_seed(seed)
    train_x = torch.randn(60, C, 50, generator=g); train_x[:30, ch, 20:30] += 2; train_x[30:, ch, 20:30] -= 2
    x = torch.randn(6, C, 50, generator=g); x[:, ch, 20:30] -= 2
    return train_x, (train_x[:, ch, 20:30].mean(1) > 0).long(), x


@pytest.mark.parametrize('method', ['native_guide', 'sparse'])
def test_only_the_window_the_model_reads_changes(method):
    train_x, train_y, x = window_data()
    cf = counterfactual(ReadsOneWindow(), x, train_x, train_y, method=method, map_method='occlusion')
    assert cf.valid.all() and (cf.pred == 1).all() and (cf.target == 1).all()
    assert not cf.changed[..., :20].any() and not cf.changed[..., 30:].any()
    assert 'of 6 counterfactuals valid' in cf.summary() and cf.map_method == 'occlusion'


def test_channel_substitution_of_one_channel_is_refused():
    "With one channel CoMTE's change is the neighbour itself: refused with the methods that apply"
    train_x, train_y, x = window_data()
    with pytest.raises(ValueError, match="with one channel it would return the neighbour itself.*native_guide"):
        counterfactual(ReadsOneWindow(), x, train_x, train_y, method='channel_substitution')


def test_multichannel_changes_the_channel_the_model_reads():
    train_x, train_y, x = window_data(C=4, ch=2)
    for method in ('native_guide', 'channel_substitution'):
        cf = counterfactual(ReadsOneWindow(ch=2), x, train_x, train_y, method=method,
                            **({'map_method': 'occlusion'} if method == 'native_guide' else {}))
        assert cf.valid.all(), method
        assert not cf.changed[:, [0, 1, 3]].any(), f'{method} changed channels the model does not read'


def test_validity_is_measured_never_claimed():
    "No training series of the wanted class: nothing changes and nothing is called valid; every valid flag agrees with the model"
    train_x, train_y, x = window_data()
    model = ReadsOneWindow()
    lonely = counterfactual(model, x, train_x[30:], train_y[30:], map_method='occlusion')
    assert not lonely.valid.any() and (lonely.source == -1).all() and not lonely.changed.any()
    assert 'not valid' in lonely.summary()
    cf = counterfactual(model, x, train_x, train_y, method='sparse', map_method='occlusion', n_steps=3)   # too few steps
    with torch.no_grad(): truly = model(cf.x).argmax(1) == cf.target
    assert torch.equal(cf.valid, truly)
    ev = evaluate_counterfactuals(cf, train_x)
    assert ev['validity'] == float(truly.float().mean())


def test_batched_equals_one_at_a_time():
    train_x, train_y, x = window_data()
    model = ReadsOneWindow()
    for method in ('native_guide', 'sparse'):
        whole = counterfactual(model, x, train_x, train_y, method=method, map_method='occlusion')
        ones = torch.cat([counterfactual(model, x[i:i + 1], train_x, train_y, method=method, map_method='occlusion').x for i in range(len(x))])
        torch.testing.assert_close(whole.x, ones, atol=1e-5, rtol=1e-5)


def test_nearest_unlike_neighbour_is_the_peers():
    """The neighbour Native Guide copies from: the same training series as counterfactuals-for-time-series' Native Guide finds (its
    rule, from cfts/cf_native_guide/native_guide.py, applied here with scikit-learn: importing cfts takes 75 s on 2 cores, so
    the library itself runs only in bench/counterfactual_benchmark.py)"""
    from sklearn.neighbors import NearestNeighbors
    train_x, train_y, x = window_data(seed=3)
    model = ReadsOneWindow()
    cf = native_guide(model, x, train_x, map_method='occlusion')
    # the peer's rule (cfts/cf_native_guide): the model's own labels for the training series, Euclidean 1-NN among the wanted class
    with torch.no_grad(): labels = model(train_x).argmax(1).numpy()
    for i in range(len(x)):
        pool = np.flatnonzero(labels == int(cf.target[i]))
        nn_ = NearestNeighbors(n_neighbors=1).fit(train_x[pool].flatten(1).numpy())
        assert int(cf.source[i]) == int(pool[nn_.kneighbors(x[i:i + 1].flatten(1).numpy())[1][0, 0]])


def test_learner_counterfactuals_in_user_units_and_figure(tmp_path, capsys):
    dls = TSDataLoaders.from_dsname('GunPoint', bs=16)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(32, 32, 32)))
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(4, 3e-3)
    cf = learn.counterfactual([0, 1, 2, 3], map_method='grad_cam')
    assert 'of 4 counterfactuals valid' in capsys.readouterr().out
    raw = read_series(untar_ts('GunPoint')/'GunPoint_TEST.arff')[0][:4]
    unchanged = ~cf.changed
    np.testing.assert_allclose(cf.units[unchanged].numpy(), torch.as_tensor(raw)[unchanged].numpy(), atol=1e-4)   # the user's units
    fig = show_counterfactuals(cf, vocab=['Gun', 'Point'], savefig=tmp_path/'cf.png', show=False)
    assert (tmp_path/'cf.png').stat().st_size > 10_000 and 'What would change the prediction' in fig._suptitle.get_text()
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert all('→' in t or 'no valid counterfactual' in t for t in titles)


def test_regression_models_without_a_value_are_refused():
    with pytest.raises(ValueError, match='needs the value wanted, target_value='):
        counterfactual(declare_output(FCN(1, 1), 'regression'), torch.randn(2, 1, 30), torch.randn(10, 1, 30))


def test_interactive_figure_draws_the_same_panels():
    "interactive=True: one column per series, the original and the counterfactual on each channel, the changed stretches shaded, titles as text"
    train_x, train_y, x = window_data(C=2)
    cf = native_guide(ReadsOneWindow(), x, train_x, train_y, map_method='occlusion')
    panels, title = counterfactual_panels(cf, max_n=3, vocab=['<b>lo</b>', 'hi'])
    fig = show_counterfactuals(cf, max_n=3, vocab=['<b>lo</b>', 'hi'], interactive=True, show=False)
    assert [a.text for a in fig.layout.annotations[:3]] == [p['title'].replace('<', '&lt;').replace('>', '&gt;') for p in panels]
    originals = [t for t in fig.data if t.name == 'original']
    assert len(originals) == 3 * 2 and len([t for t in fig.data if t.type == 'heatmap']) == 3
    shaded = [s for s in fig.layout.shapes if s.type == 'rect']
    assert len(shaded) == sum(len(r) for p in panels for r in p['runs']) > 0
    for p in panels: assert all(20 <= a and b <= 30 for r in p['runs'] for a, b in r)     # only the window the model reads
    assert title.endswith(f'({cf.n_valid} of {len(cf)} valid)')


def test_a_target_must_be_another_class_by_index():
    "A target the series already is was reported valid ('1 (1.00) → 1 (1.00)'); a float 1.7 became class 1: both refused"
    train_x, train_y, x = window_data()                            # every x predicted class 0
    with pytest.raises(ValueError, match='already predicted as the class wanted'):
        counterfactual(ReadsOneWindow(), x, train_x, train_y, target=0)
    for bad in (1.7, True, 'abnormal'):
        with pytest.raises(ValueError, match='class index'): counterfactual(ReadsOneWindow(), x, train_x, train_y, target=bad)
    assert counterfactual(ReadsOneWindow(), x, train_x, train_y, target=1, map_method='occlusion').valid.all()


def test_learner_targets_by_class_name():
    X, y = window_data()[0].numpy(), np.where(window_data()[1].numpy() == 1, 'b_high', 'a_low')   # vocab order = the model's classes
    dls = TSDataLoaders.from_arrays(X, y, bs=16, normalize=None)
    learn = Learner(dls, ReadsOneWindow(), loss_func=CrossEntropyLossFlat())
    eq_vocab = list(map(str, dls.vocab)); assert eq_vocab == ['a_low', 'b_high']
    lows = [i for i in range(len(dls.valid_ds)) if int(dls.valid_ds[i][1]) == 0][:2]
    cf = learn.counterfactual(lows, target='b_high', map_method='occlusion', verbose=False)
    assert (cf.target == 1).all() and cf.valid.all()
    with pytest.raises(ValueError, match="'medium' is not a class of this model"): learn.counterfactual(lows, target='medium', verbose=False)


def padded_learner():
    "A learner on series whose last steps are padding (NaN, as pad=True reads JapaneseVowels), of a model that reads steps 35..49"
    train_x, train_y, _ = window_data(seed=1)
    X = train_x.numpy().copy()
    X[:, :, 35:50] = X[:, :, 17:32]                                               # the class lives in 38..47 too
    for i in range(0, len(X), 2): X[i, :, 36 + i % 5:] = np.nan                   # every other series padded from step 36..40
    dls = TSDataLoaders.from_arrays(X, np.where(train_y.numpy() == 1, 'hi', 'lo'), bs=16, seed=0)
    class Reads(nn.Module):
        def forward(self, x): m = x[:, 0, 35:50].mean(1); return torch.stack([m, -m], 1) * 4    # vocab ['hi', 'lo']
    return Learner(dls, Reads(), loss_func=CrossEntropyLossFlat()), X


@pytest.mark.parametrize('method', ['native_guide', 'sparse'])
def test_padding_is_never_changed_and_drawn_as_gaps(method):
    "JapaneseVowels with pad=True: native_guide changed padding cells of 6 of 40 series and drew them as data"
    learn, X = padded_learner()
    ds = learn.dls.valid_ds
    padded = [i for i in range(len(ds)) if np.isnan(np.asarray(ds[i][0])).any()]
    assert padded
    cf = learn.counterfactual(padded, method=method, map_method='occlusion', verbose=False)
    assert cf.missing is not None and cf.valid.any()
    assert torch.equal(cf.missing, torch.stack([torch.isnan(torch.as_tensor(np.asarray(ds[i][0]))) for i in padded]))
    assert not cf.changed[cf.missing].any() and torch.equal(cf.x[cf.missing], cf.original[cf.missing])
    panels, _ = counterfactual_panels(cf, idxs=range(len(cf)))
    for p, m in zip(panels, cf.missing.numpy()):
        assert np.isnan(p['original'][m]).all() and np.isnan(p['counterfactual'][m]).all() and not np.isnan(p['original'][~m]).any()
    raw = X[:8].copy(); raw[1::2, :, 38:] = np.nan                                # raw series with NaN: the same cells kept
    cf_raw = learn.counterfactual(raw, method=method, map_method='occlusion', verbose=False, target=None)
    assert torch.equal(cf_raw.missing, torch.isnan(torch.as_tensor(raw))) and not cf_raw.changed[cf_raw.missing].any()


def test_titles_name_the_indices_asked_for(tmp_path):
    "Panel titles showed batch positions (#0, #1) for learn.counterfactual([5, 7]); idxs beyond the result gave an IndexError"
    learn, _ = padded_learner()
    cf = learn.counterfactual([5, 7], map_method='occlusion', verbose=False)
    assert cf.idxs == [5, 7]
    fig = show_counterfactuals(cf, savefig=tmp_path/'cf.png', show=False)
    assert [a.get_title().split(':')[0] for a in fig.axes if a.get_title()] == ['#5', '#7']
    with pytest.raises(ValueError, match=r"idxs \[99\] out of range.*holds 2 series.*dataset indices are \[5, 7\]"):
        show_counterfactuals(cf, idxs=[99], show=False)


def test_a_one_class_learner_is_refused():
    "A one-class learner gave '0 of 2 valid' and an IndexError in the figure"
    X = window_data()[0].numpy()
    dls = TSDataLoaders.from_arrays(X, np.array(['only'] * len(X)), bs=16)
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(50, 1)), loss_func=CrossEntropyLossFlat())
    with pytest.raises(ValueError, match=r"has 1 class.*at least two"): learn.counterfactual([0, 1], verbose=False)


def test_one_answer_per_series_in_any_batch():
    "The map method was chosen on the first batch explained and cached: 17 of 40 series differed with the batch; now chosen on the training series"
    train_x, train_y, x = window_data(seed=4)
    model = ReadsOneWindow()
    whole = native_guide(model, x, train_x, train_y)
    saliency(model, x[:2])                                                      # another explanation in between changes nothing
    later = torch.cat([native_guide(model, x[i:i + 1], train_x, train_y).x for i in reversed(range(len(x)))][::-1])
    assert torch.equal(whole.x, later) and whole.map_method == counterfactual_map_method(model, train_x)
    assert whole.map_method in whole.summary()


def test_bounds_and_shapes_are_refused_before_work():
    "positions=10**5 took 174 s and 7.4 GB, n_steps=10**9 ran unbounded, negative values and train_x of another length raised raw errors"
    train_x, train_y, x = window_data()
    m = ReadsOneWindow()
    for kw, msg in ((dict(positions=10 ** 5), 'positions'), (dict(positions=-1), 'positions'), (dict(lengths=[0, 3]), 'lengths')):
        with pytest.raises(ValueError, match=msg): native_guide(m, x, train_x, train_y, map_method='occlusion', **kw)
    for kw, msg in ((dict(n_steps=10 ** 9), 'n_steps'), (dict(lr=-1.), 'lr'), (dict(area=0), 'area'), (dict(l1=float('nan')), 'l1')):
        with pytest.raises(ValueError, match=msg): sparse_counterfactual(m, x, train_x, train_y, map_method='occlusion', **kw)
    with pytest.raises(ValueError, match='same channels and length'): native_guide(m, x, train_x[..., :40], train_y)


def test_l1_vs_neighbour_has_one_reference_for_every_method():
    "L1 / neighbour divided by each method's own source (a DTW neighbour looked closer): now by the nearest unlike neighbour by true label"
    train_x, train_y, x = window_data(seed=2)
    m = ReadsOneWindow()
    for metric in ('euclidean', 'dtw'):
        cf = native_guide(m, x, train_x, train_y, map_method='occlusion', metric=metric)
        ev = evaluate_counterfactuals(cf, train_x, train_y=train_y)
        ref = nearest_unlike(x, train_x, train_y, cf.target)
        want = ((cf.x - x).abs().sum((1, 2)) / (x - train_x[ref]).abs().sum((1, 2)))[cf.valid].mean()
        assert ev['l1_vs_neighbour'] == pytest.approx(float(want), rel=1e-5)
    assert np.isnan(evaluate_counterfactuals(cf, train_x)['l1_vs_neighbour'])   # no true labels: no reference, never a guess


def test_plausible_sparse_stays_between_the_series_and_real_neighbours():
    "plausible=True: every changed step lies between the series and the range of its n_refs nearest unlike neighbours at that step; plausible=False may leave it (a sawtooth the model rewards)"
    train_x, train_y, x = window_data()
    model = ReadsOneWindow()
    from tsexplain.counterfactual import _nearest_unlike_k, _train_labels
    near = _nearest_unlike_k(x, train_x, _train_labels(model, train_x, train_y), torch.ones(6, dtype=torch.long), 5)
    refs = train_x[near]                                                             # (6, 5, 1, 50)
    lo = torch.minimum(x, refs.amin(1)) - 1e-5
    hi = torch.maximum(x, refs.amax(1)) + 1e-5
    cf = counterfactual(model, x, train_x, train_y, method='sparse', map_method='occlusion', n_refs=5)
    assert cf.valid.all() and ((cf.x >= lo) & (cf.x <= hi)).all()
    assert (cf.changed.any(1).sum(1) > 0).all() and (_segments_of(cf) == 1).all()
    free = counterfactual(model, x, train_x, train_y, method='sparse', map_method='occlusion', plausible=False, margin=8.)
    assert free.valid.all() and not ((free.x >= lo) & (free.x <= hi)).all()
    with pytest.raises(ValueError, match='n_refs'): counterfactual(model, x, train_x, train_y, method='sparse', n_refs=0)
    # one optimisation step flips nothing: a plausible counterfactual falls back to Native Guide's stretch (valid, real values);
    # the free one reports what it found, not valid
    short = counterfactual(model, x, train_x, train_y, method='sparse', map_method='occlusion', n_steps=1)
    assert short.valid.all() and not short.changed[..., :20].any() and not short.changed[..., 30:].any()
    short_free = counterfactual(model, x, train_x, train_y, method='sparse', map_method='occlusion', n_steps=1, plausible=False)
    assert not short_free.valid.all()


def _segments_of(cf):
    from tsexplain.counterfactual import _segments
    return _segments(cf.changed)


@pytest.mark.parametrize('method', ['native_guide', 'sparse'])
def test_several_answers_come_from_different_neighbours(method):
    "n_answers=3: three answers per series, the k-th from the (k+1)-th nearest unlike neighbour (distinct sources), each measured; too few neighbours: not valid, unchanged"
    train_x, train_y, x = window_data()
    model = ReadsOneWindow()
    cfs = counterfactual(model, x, train_x, train_y, method=method, map_method='occlusion', n_answers=3)
    assert len(cfs) == 3 and all(cf.valid.all() for cf in cfs)
    sources = torch.stack([cf.source for cf in cfs], 1)
    assert all(len(set(row)) == 3 for row in sources.tolist())
    first = counterfactual(model, x, train_x, train_y, method=method, map_method='occlusion')
    torch.testing.assert_close(cfs[0].x, first.x)                          # the first answer is the single answer
    few = counterfactual(model, x[:2], train_x[28:], train_y[28:], method=method, map_method='occlusion', n_answers=3)  # 2 of class 1
    assert few[0].valid.all() and few[1].valid.all() and not few[2].valid.any() and not few[2].changed.any()
    with pytest.raises(ValueError, match='n_answers'): counterfactual(model, x, train_x, train_y, n_answers=0)


def test_training_predictions_are_computed_once_per_weights():
    "Each call needs the model's class for every training series: one pass per weights and training set, again after the weights change"
    train_x, train_y, x = window_data()
    class Counting(ReadsOneWindow):
        passes = 0
        def forward(self, x):
            if len(x) == len(train_x): Counting.passes += 1
            return super().forward(x)
    model = Counting()
    for i in range(3): counterfactual(model, x[i:i + 1], train_x, train_y, map_method='occlusion')
    assert Counting.passes == 1
    model.register_buffer('w', torch.ones(1))                      # new weights: predicted again
    counterfactual(model, x[:1], train_x, train_y, map_method='occlusion')
    assert Counting.passes == 2
    # two models without weights (the same empty fingerprint) never share what was computed for the other
    from tsexplain.counterfactual import _train_labels
    class Flipped(ReadsOneWindow):
        def forward(self, x): return -super().forward(x)
    plain = _train_labels(ReadsOneWindow(), train_x)
    assert torch.equal(_train_labels(Flipped(), train_x), 1 - plain)

def test_a_regressor_is_moved_to_the_value_asked_for():
    "counterfactual(target_value=) and learn.counterfactual(target_value=): within the tolerance, checked on the model again; several answers from different neighbours; classes-only arguments refused"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 1, 30)).astype(np.float32); y = 3 * X[:, 0, 5:15].mean(1)
    learn = ts_learner(TSDataLoaders.from_arrays(X, y, bs=32, valid_pct=0.25, seed=0), FCN, seed=0, lags=False)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(6, 3e-3)
    train_x, _ = dl_batch(learn.dls.train)
    with torch.no_grad(): tp = learn.model.eval()(train_x)[:, 0]
    x, _ = dl_batch(learn.dls.valid)
    x = x[:6]
    with torch.no_grad(): now = learn.model(x)[:, 0]
    wanted = torch.where(now < tp.median(), tp.quantile(0.8), tp.quantile(0.2))
    cf = counterfactual(learn.model, x, train_x, target_value=wanted)
    assert isinstance(cf, ValueCounterfactuals) and cf.valid.all() and cf.tolerance == pytest.approx(0.1 * float(tp.std()), rel=1e-4)
    with torch.no_grad(): again = learn.model(cf.x)[:, 0]
    assert torch.allclose(again, cf.pred, atol=1e-5) and ((again - wanted).abs() <= cf.tolerance).all()
    assert ((cf.x != cf.original) == cf.changed).all() and cf.changed.float().mean() < 0.9
    first, second = learn.counterfactual([0, 1, 2], target_value=float(tp.quantile(0.9)), n_answers=2, verbose=False)
    assert (first.source != second.source).all() and first.idxs == [0, 1, 2] and first.units is not None
    assert 'ŷ' in show_counterfactuals(first, show=False).axes[0].get_title()
    with pytest.raises(ValueError, match='target_value='): learn.counterfactual([0], target=1)
    with pytest.raises(ValueError, match='target_value='): native_guide(learn.model, x, train_x)
    with pytest.raises(ValueError, match='names a class'): counterfactual(learn.model, x, train_x, target=1, target_value=1.0)
    with pytest.raises(ValueError, match="method='sparse'"): counterfactual(learn.model, x, train_x, target_value=1.0, method='sparse')
    clf = nn.Sequential(nn.Flatten(), nn.Linear(30, 2)).eval()
    with pytest.raises(ValueError, match='for models that predict numbers'): counterfactual(clf, x, train_x, target_value=1.0)

def test_auto_measures_once_per_model_and_records_why(monkeypatch):
    "method='auto': native_guide and sparse measured on 8 training series once per model (any batch after gets the same method without measuring), the choice by validity, plausibility against the real series, then cells, written into the result"
    import tsexplain.counterfactual_value as cv
    train_x, train_y, x = window_data()
    model, runs = ReadsOneWindow().eval(), []
    real = cv.class_counterfactual
    monkeypatch.setattr(cv, 'class_counterfactual', lambda *a, **k: runs.append(k.get('method', a[5] if len(a) > 5 else None)) or real(*a, **k))
    cf = counterfactual(model, x, train_x, train_y, method='auto', map_method='occlusion')
    assert runs[:2] == ['native_guide', 'sparse'] and len(runs) == 3             # two measured on the sample, then the answer
    best, scores = auto_method(model, train_x, train_y, map_method='occlusion')
    assert cf.method == best and cf.valid.all() and 'method chosen on 8 training series' in cf.summary()
    plausible = lambda m: scores[m][1] <= scores['real'] + 1 / 8 + 1e-9              # flagged no more than the real series, one of slack
    assert best == min(['native_guide', 'sparse'], key=lambda m: (-scores[m][0], not plausible(m), scores[m][2]))
    again = counterfactual(model, x[:2], train_x, train_y, method='auto', map_method='occlusion')
    assert len(runs) == 4 and again.method == best                                # cached: no second measurement


class ReadsWideWindow(nn.Module):
    "Class 1 when the mean of steps 5..44 is above 0"
    def forward(self, x): m = x[:, 0, 5:45].mean(1); return torch.stack([-m, m], 1) * 4


def wide_window_data():
    "40 training series, half with steps 5..44 raised by 2 (class 1), half lowered; 3 series lowered (class 0)"
    g = torch.Generator().manual_seed(0)
    train_x = torch.randn(40, 1, 50, generator=g); train_x[:20, 0, 5:45] += 2; train_x[20:, 0, 5:45] -= 2
    x = torch.randn(3, 1, 50, generator=g); x[:, 0, 5:45] -= 2
    return train_x, (train_x[:, 0, 5:45].mean(1) > 0).long(), x


def count_steps(monkeypatch) -> list:
    "A list that gets, for each run of sparse's optimisation, the number of steps it took (each step asks for the changed series once, and the end once more)"
    import tsexplain.counterfactual_sparse as CF
    runs, real = [], CF._optimise
    def counted(model, xb, tb, params, changed, *a):
        runs.append(0)
        def step(): runs[-1] += 1; return changed()
        return real(model, xb, tb, params, step, *a)
    monkeypatch.setattr(CF, '_optimise', counted)
    return runs


def test_sparse_answers_do_not_depend_on_the_batch():
    "A series gets bitwise the same sparse answer alone or in a batch: each is optimised on its own (a conv net in one batch of 6 gave 5 of 6 answers that differed in the last bits, and over 100+ Adam steps on OSULeaf InceptionTime 11 of 12, 2 in which cells changed)"
    train_x, train_y, x = window_data()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 64, 7, padding=3), nn.ReLU(), nn.Conv1d(64, 64, 5, padding=2), nn.ReLU(),
                          nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(64, 2))
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    for _ in range(60): opt.zero_grad(); nn.functional.cross_entropy(model(train_x), train_y).backward(); opt.step()
    model.eval()
    together = sparse_counterfactual(model, x, train_x, train_y, map_method='occlusion')
    assert together.valid.all()
    for i in range(len(x)):
        assert torch.equal(sparse_counterfactual(model, x[i:i + 1], train_x, train_y, map_method='occlusion').x[0], together.x[i]), i


def test_sparse_skips_hopeless_stretches(monkeypatch):
    "Speed without other answers: a stretch (area 0.2 of a 40-step window) that no neighbour's copy comes near flipping is not optimised for 150 steps; the same answer as trying it"
    import tsexplain.counterfactual_sparse as CF
    train_x, train_y, x = wide_window_data()
    runs = count_steps(monkeypatch)
    model = ReadsWideWindow()
    refs = CF._setup(model, x, train_x, train_y, None, None, n_refs=5)[-1]
    first = CF._first_hopeful(model, x, torch.ones(3, 50), refs, torch.ones(3, dtype=torch.long), [0.2, 0.4, 0.8, 1.])
    assert (first >= 1).all()                                   # 10 of 40 steps copied cannot move the mean past 0
    skipped = sparse_counterfactual(model, x, train_x, train_y, map_method='occlusion')
    n_skipping = len(runs); runs.clear()
    monkeypatch.setattr(CF, 'HOPELESS_MARGIN', float('inf'))
    tried = sparse_counterfactual(model, x, train_x, train_y, map_method='occlusion')
    assert skipped.valid.all() and torch.equal(skipped.x, tried.x) and n_skipping < len(runs)


def test_sparse_gives_up_a_stretch_that_will_not_flip(monkeypatch):
    "Speed without other answers: the optimisation on a stretch whose lead, at its pace, would still be far behind at the last step is given up before the 150 steps; the same answer as running them all"
    import tsexplain.counterfactual_sparse as CF
    train_x, train_y, x = wide_window_data()
    runs = count_steps(monkeypatch)
    monkeypatch.setattr(CF, 'HOPELESS_MARGIN', float('inf'))       # every area is optimised: the 10-step stretch cannot flip
    given_up = sparse_counterfactual(ReadsWideWindow(), x, train_x, train_y, map_method='occlusion')
    steps_given_up = runs[0]; runs.clear()
    monkeypatch.setattr(CF, 'SHORT_AT_END', float('inf'))
    kept_on = sparse_counterfactual(ReadsWideWindow(), x, train_x, train_y, map_method='occlusion')
    assert runs[0] == 151 and steps_given_up < 100                  # 150 steps (+ the final change) against far fewer
    assert given_up.valid.all() and torch.equal(given_up.x, kept_on.x)


def test_plausibility_is_also_measured_on_the_series_explained():
    "A few series chosen from a test set can be outliers before any change: evaluate_counterfactuals says how many (`original_ood_*`), by the same detectors, beside the share of their counterfactuals"
    from sklearn.ensemble import IsolationForest
    train_x, train_y, x = window_data()
    x[:2] = x[:2] * 6                                            # two series far outside the training series
    cf = counterfactual(ReadsOneWindow(), x, train_x, train_y, map_method='occlusion')
    ev = evaluate_counterfactuals(cf, train_x, test_x=train_x[:10])
    forest = IsolationForest(random_state=0).fit(train_x.flatten(1).numpy())
    by_hand = (forest.predict(cf.original[cf.valid].flatten(1).numpy()) == -1).mean()
    assert cf.valid.all() and ev['original_ood_iforest'] == pytest.approx(by_hand) and ev['original_ood_iforest'] >= 2 / 6
    assert 0 <= ev['original_ood_lof'] <= 1



def test_whole_channel_swaps_compete_with_the_answer_found():
    "sparse on several channels: whole channels of the nearest unlike neighbour compete with the optimised answer (`_channel_swaps` with an incumbent): the valid one with the fewest cells (+ the segments' cost) wins"
    import tsexplain.counterfactual_sparse as CF
    model = ReadsOneWindow(ch=1)                                     # reads steps 20..29 of channel 1
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 50, generator=g); x[:, 1, 20:30] -= 2
    nun = x.clone(); nun[:, 1] = torch.randn(2, 50, generator=g) + 2     # differs from x on channel 1 only: 50 cells
    wasteful = x.clone(); wasteful[:, :2] = nun[:, 1:2] + 1          # valid, but 100 cells on two channels
    frugal = x.clone(); frugal[:, 1, 20:30] += 5                     # valid, 10 cells
    t, cost = torch.ones(2, dtype=torch.long), CF._segment_cost(3, 50)
    swapped = CF._channel_swaps(model, x, nun, t, incumbent=wasteful, segment_cost=cost)
    assert torch.equal(swapped[:, 1], nun[:, 1]) and torch.equal(swapped[:, [0, 2]], x[:, [0, 2]])
    assert torch.equal(CF._channel_swaps(model, x, nun, t, incumbent=frugal, segment_cost=cost), frugal)


class CountsRows(ReadsOneWindow):
    "ReadsOneWindow that counts the series it is given"
    seen = 0
    def forward(self, x): self.seen += len(x); return super().forward(x)


def test_repeated_candidates_go_through_the_model_once():
    "The undo step's candidates repeat (a change on one stretch is also its largest stretch and its span): each distinct series is scored once, with the probabilities scoring every copy gives"
    from tsexplain.counterfactual import _distinct_probs, _probs_of
    _, _, x = window_data()
    cands = x[:, None].repeat(1, 5, 1, 1)
    cands[:, 1::2, 0, 20:30] += 3                                      # per series: the series 3 times, one change twice
    every, distinct = CountsRows(), CountsRows()
    probs = _probs_of(every, cands.flatten(0, 1))
    extra = every.seen - cands.shape[0] * cands.shape[1]                  # the engine's own probe passes, if any
    assert torch.equal(_distinct_probs(distinct, cands.flatten(0, 1)), probs)
    assert distinct.seen == 2 * len(x) + extra
