"""The evidence drawn with every map: the cheap deletion score against a brute-force deletion curve, the flag and its
warning, and the default method chosen by evidence (cached by the weights)."""
import warnings
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *
from tsexplain.faithfulness import _chosen

def brute_force_ratio(model, x, maps, target, fractions, seed=0, insertion=False):
    "Deletion by hand, one series and one fraction at a time: zeroes the top cells of the map, and of a random order; `insertion`: starts from zeros and reveals them (the ratio random / map)"
    def curve(order, xi, t):
        ps = []
        for f in [0., *fractions, 1.]:
            top = order[:int(round(f * len(order)))]
            if maps.shape[1] == 1:                              # length-wise: a time step goes with all its channels
                xr = torch.zeros_like(xi) if insertion else xi.clone()
                xr[:, top] = xi[:, top] if insertion else 0
            else:
                xr = torch.zeros_like(xi).flatten() if insertion else xi.clone().flatten()
                xr[top] = xi.flatten()[top] if insertion else 0; xr = xr.view_as(xi)
            with torch.no_grad(): ps.append(model(xr[None]).softmax(1)[0, t].item())
        return np.trapezoid(ps, [0., *fractions, 1.])
    gen = torch.Generator().manual_seed(seed)
    a = r = 0.
    for i in range(len(x)):
        t = int(model(x[i:i + 1]).argmax(1)) if target is None else target
        m = maps[i].flatten()
        a += curve(m.argsort(descending=True), x[i], t)
        r += curve(torch.randperm(len(m), generator=gen), x[i], t)
    return r / a if insertion else a / r

@pytest.mark.parametrize('per_channel', [False, True])
def test_cheap_score_equals_brute_force_deletion(per_channel):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(3, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 2)).eval()
    x = torch.randn(6, 3, 30)
    maps = input_x_grad(model, x) if per_channel else grad_cam(model, x)
    ev = faithfulness(model, x, maps, fractions=(0.1, 0.3, 0.5))
    assert abs(ev.ratio - brute_force_ratio(model, x, maps, None, (0.1, 0.3, 0.5))) < 1e-4
    assert ev.n_series == 6 and ev.per_series.shape == (6,) and ev.method == ''
    ev = faithfulness(model, x, maps, fractions=(0.1, 0.3, 0.5), insertion=True)
    assert abs(ev.insertion - brute_force_ratio(model, x, maps, None, (0.1, 0.3, 0.5), insertion=True)) < 1e-4

class BothStretches(nn.Module):
    "Class 1 only while both stretches are present, steps 0-4 and 30-34: its logit is 8 min(mean of each) - 2"
    def forward(self, x):
        z = 8 * torch.minimum(x[:, 0, :5].mean(1), x[:, 0, 30:35].mean(1)) - 2
        return torch.stack([-z, z], 1)

def test_insertion_separates_what_deletion_ties():
    "Removing either stretch first flips the class, so deletion ties a map ranking both stretches first with one ranking the second last; revealing the cells first shows which map names what the class needs"
    torch.manual_seed(0)
    x = 1 + 0.05 * torch.randn(4, 1, 40)
    both = torch.zeros(4, 1, 40); both[..., :5] = 2; both[..., 30:35] = 1
    apart = torch.ones(4, 1, 40); apart[..., :5] = 2; apart[..., 30:35] = 0
    m = BothStretches().eval()
    e_both, e_apart = (faithfulness(m, x, maps, insertion=True) for maps in (both, apart))
    assert e_both.ratio == pytest.approx(e_apart.ratio, abs=1e-6)
    assert e_both.insertion < 0.8 * e_apart.insertion

def test_near_ties_go_to_the_method_that_measures_removal():
    ev = lambda m, r: (Evidence(m, 0., 0., r, torch.zeros(1), 1), 0.)
    order = lambda rows: [e.method for e, _ in break_ties(rows)]
    assert order([ev('integrated_gradients', 0.55), ev('saliency', 0.60), ev('occlusion', 0.56)]) == ['occlusion', 'integrated_gradients', 'saliency']
    assert order([ev('input_x_grad', 0.31), ev('integrated_gradients', 0.318), ev('occlusion', 0.45)]) == ['integrated_gradients', 'input_x_grad', 'occlusion']
    assert order([ev('input_x_grad', 0.37), ev('occlusion', 0.40)]) == ['input_x_grad', 'occlusion']     # 8 % apart: no tie
    assert order([ev('my_method', 0.50), ev('grad_cam', 0.505)]) == ['grad_cam', 'my_method']            # unknown names last among ties

def test_a_forecaster_is_ranked_on_its_steps_not_the_first_alone():
    torch.manual_seed(0)
    x = torch.randn(5, 1, 30)
    for n_out, outputs in ((3, [0, 1, 2]), (10, [0, 3, 6, 9])):
        m = declare_output(nn.Sequential(nn.Flatten(), nn.Linear(30, n_out)).eval(), 'regression')
        rows, targets = ranking_rows(m, x)
        assert rows.shape == (5 * len(outputs), 1, 30) and targets.tolist() == [k for k in outputs for _ in range(5)]
        assert (rows[5:10] == x).all()
        ranking, _ = rank_methods(m, x, ['saliency', 'input_x_grad'])
        assert all(ev.n_series == 5 * len(outputs) for ev, _ in ranking)
    assert ranking_rows(m, x, target=2)[1] == 2 and len(ranking_rows(m, x, target=2)[0]) == 5     # a target named: that one

def test_flag_and_warning_name_a_better_method():
    "A map that points away from what the model reads is flagged on the figure, and the warning names a method that does better"
    class FirstHalf(nn.Module):
        def __init__(self): super().__init__(); self.w = nn.Parameter(torch.ones(1))
        def forward(self, x): s = 4 * self.w * x[..., :x.shape[-1] // 2].mean((1, 2)); return torch.stack([-s, s], 1)
    x = torch.rand(8, 1, 40) + 0.5
    wrong = lambda model, x, target=None, layer=None: torch.cat([torch.zeros(len(x), 1, 20), torch.ones(len(x), 1, 20)], -1)
    with pytest.warns(UserWarning, match=r"no better than a random order\. On this model (input_x_grad|integrated_gradients|occlusion) does better"):
        fig = show_cam(x[:4], FirstHalf(), func_cam=wrong, multi_fig=True, show=False)
    assert '(no better than random)' in fig._suptitle.get_text() and fig._suptitle.get_color() == 'firebrick'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        fig = show_cam(x[:4], FirstHalf(), func_cam='input_x_grad', multi_fig=True, show=False)
    assert 'Input×Gradient · deletion 0.' in fig._suptitle.get_text() and fig._suptitle.get_color() == 'black'

@pytest.fixture(scope='module')
def ecg():
    learn = ts_learner(TSDataLoaders.from_dsname('ECG200', bs=16), seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(8, lr_max=1e-3)
    return learn

def test_default_is_the_most_faithful_and_cached(ecg, capsys):
    _chosen.clear()
    x = learner_sample(ecg)                                                       # the series the default is chosen on
    ranking, skipped = rank_methods(ecg.model, x)
    assert [ev.method for ev, _ in ranking] and 'attention_relevance' not in [ev.method for ev, _ in ranking]   # no attention here
    chosen = learner_method(ecg)
    assert chosen == ranking[0][0].method and ranking[0][0].ratio <= min(ev.ratio for ev, _ in ranking) * (1 + TIE_TOLERANCE)
    out = capsys.readouterr().out
    assert out.count('tsexplain: explaining with') == 1 and f'explaining with {chosen} (deletion ' in out
    assert learner_method(ecg) == chosen and capsys.readouterr().out == ''        # cached: no second measurement
    maps, ev = ecg.cam([0, 1, 2, 3], check=True)
    assert isinstance(ev, Evidence) and ev.method == chosen and ev.n_series == 4
    assert 'deletion_ratio' in ecg.explain(progress=False)
    assert learner_method(ecg, 'occlusion') == 'occlusion'                        # an explicit method is obeyed

def test_a_method_that_does_not_apply_is_skipped_with_its_reason():
    "A model whose forward is not differentiable (as MiniRocket's features): gradients are skipped, occlusion chosen"
    class Binned(nn.Module):
        def __init__(self): super().__init__(); self.head = nn.Linear(2, 2)
        def forward(self, x):
            feats = torch.stack([(x[..., :20] > 0).float().mean((1, 2)), (x[..., 20:] > 0).float().mean((1, 2))], 1)
            return self.head(feats.detach())
    torch.manual_seed(0)
    m = Binned().eval()
    ranking, skipped = rank_methods(m, torch.randn(8, 1, 40))
    assert {'input_x_grad', 'integrated_gradients'} <= set(skipped) and 'grad_cam' not in skipped    # grad_cam: no conv, not tried
    assert [ev.method for ev, _ in ranking] == ['occlusion']

def test_a_target_per_series_is_ranked_on_the_same_series():
    "More series than the ranking reads, with one target each (as warn_if_unfaithful passes them): each target stays with its series"
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, 2)).eval()
    x, target = torch.randn(20, 1, 30), torch.arange(20) % 2
    rows, t = ranking_rows(m, x, target, max_series=16)
    keep = spread_indices(20, 16)
    assert (rows == x[keep]).all() and (t == target[keep]).all()
    ranking, skipped = rank_methods(m, x, ['saliency', 'occlusion'], target=target)
    assert {ev.method for ev, _ in ranking} == {'saliency', 'occlusion'} and not skipped

def test_a_step_channel_target_is_one_target_for_every_series():
    "A forecaster's target=(step, channel) is one output for all series (it was indexed as two per-series targets: IndexError)"
    s = np.stack([np.sin(np.arange(300) / 5), np.cos(np.arange(300) / 7)]).astype(np.float32)
    dls = TSDataLoaders.from_series(s, lookback=24, horizon=3, bs=16)
    learn = ts_learner(dls, FCN, seed=0)
    x = dl_batch(dls.valid)[0][:20]
    m, flat = learn.model, 1 * 3 + 2                                          # step 2 of channel 1: output 5
    maps = saliency(m, x, target=(2, 1))
    assert torch.equal(maps, saliency(m, x, target=flat))
    assert faithfulness(m, x, maps, target=(2, 1)).ratio == pytest.approx(faithfulness(m, x, maps, target=flat).ratio)
    ranked = rank_methods(m, x, ['saliency', 'occlusion'], target=(2, 1))[0]
    assert [ev.ratio for ev, _ in ranked] == pytest.approx([ev.ratio for ev, _ in rank_methods(m, x, ['saliency', 'occlusion'], target=flat)[0]])
    assert select_targets((2, 1), [0, 3]) == (2, 1) and select_targets(torch.arange(5), [0, 3]).tolist() == [0, 3]
    assert select_targets([4, 5, 6], slice(1, 3)).tolist() == [5, 6] and select_targets(None, [0]) is None
