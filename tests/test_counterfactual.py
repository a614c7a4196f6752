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


def test_regression_models_are_refused():
    with pytest.raises(ValueError, match='regression'):
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
