"""Metrics on hand-made cases with known answers, the planted dataset, determinism, bad input, evaluate_cams."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from sklearn.metrics import average_precision_score
from tsexplain.all import *
from tsexplain.evaluate import *
from tsexplain.evaluate import interp_fill
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

class FirstHalf(nn.Module):
    "Class-1 logit: twice the mean of the first half of the series (all channels)"
    def forward(self, x):
        s = 2 * x[..., :x.shape[-1] // 2].mean((1, 2))
        return torch.stack([-s, s], 1)

@pytest.fixture
def case():
    torch.manual_seed(0)
    x = torch.cat([torch.rand(8, 2, 20) + 0.5, -torch.rand(8, 2, 20) - 0.5], -1)   # first half high, second half low
    good = torch.cat([torch.ones(8, 2, 20), torch.zeros(8, 2, 20)], -1) + torch.rand(8, 2, 40) * 0.1
    return x, good

@pytest.mark.parametrize('baseline', ['zero', 'mean', 'noise', 'interp'])
def test_perfect_map_beats_random_reversed_is_worse(case, baseline):
    x, good = case
    d, r = deletion_auc(FirstHalf(), x, good, target=1, baseline=baseline), deletion_auc(FirstHalf(), x, -good, target=1, baseline=baseline)
    i = insertion_auc(FirstHalf(), x, good, target=1, baseline=baseline)
    assert (d.auc < r.auc).all() and (i.auc > insertion_auc(FirstHalf(), x, -good, target=1, baseline=baseline).auc).all()
    if baseline != 'interp':   # interpolation refills a scattered removal from its neighbours: no random reference to beat
        assert (d.auc < d.random_auc).all() and (r.auc > r.random_auc).all() and (i.auc > i.random_auc).all()
    expect_eq(d.curve.shape, (8, 21))

def test_length_wise_map_removes_whole_time_steps(case):
    x, good = case
    d = deletion_auc(FirstHalf(), x, good[:, :1], target=1, steps=2)
    with torch.no_grad():
        half = x.clone(); half[..., :20] = 0
        expected = FirstHalf()(half).softmax(1)[:, 1]
    torch.testing.assert_close(d.curve[:, 1], expected)   # half the time steps removed = the whole first half

def test_topk_masking(case):
    x, good = case
    tk = topk_masking(FirstHalf(), x, good, target=1, fractions=(0.1, 0.25, 0.5))
    expect_eq(list(tk.columns), ['fraction', 'top_k_drop', 'random_drop'])
    assert (tk.top_k_drop > tk.random_drop).all()
    with pytest.raises(ValueError, match='fractions'): topk_masking(FirstHalf(), x, good, fractions=(0,))

def test_interp_fill():
    x = torch.tensor([[[0., 10., 20., 30., 40.]]])
    keep = torch.tensor([[[True, False, False, True, False]]])
    torch.testing.assert_close(interp_fill(x, keep), torch.tensor([[[0., 10., 20., 30., 30.]]]))

def test_localization_scores_known_answers():
    mask = torch.zeros(3, 4, 50, dtype=torch.bool); mask[:, 2, 10:20] = True
    perfect = mask.float() * 2 + torch.rand(3, 4, 50) * 0.05
    s = localization_scores(perfect, mask)
    expect_eq(s['pr_auc'], 1.0); expect_eq(s['pointing_game'], 1.0); assert s['relevance_mass'] > 0.8
    rnd = torch.rand(3, 4, 50)
    ap = localization_scores(rnd, mask, per_series=True)['pr_auc']
    ref = [average_precision_score(mask[i].flatten().numpy(), rnd[i].flatten().numpy()) for i in range(3)]
    np.testing.assert_allclose(ap.numpy(), ref, atol=1e-6)
    lw = localization_scores(perfect[:, 2:3], mask)          # a length-wise map, repeated over channels
    assert lw['pr_auc'] < 0.35   # about 1 / C: the right time, but every channel lit

@pytest.mark.parametrize('maps,mask,msg', [(torch.rand(2, 3, 10), torch.ones(2, 3, 12, dtype=torch.bool), 'do not match'),
                                           (torch.rand(2, 2, 10), torch.ones(2, 3, 10, dtype=torch.bool), 'do not match'),
                                           (torch.rand(2, 3, 10), torch.zeros(2, 3, 10, dtype=torch.bool), 'no series has a True cell')])
def test_localization_bad_input(maps, mask, msg):
    with pytest.raises(ValueError, match=msg): localization_scores(maps, mask)

def test_bad_steps_and_baseline(case):
    x, good = case
    with pytest.raises(ValueError, match='steps must be at least 1'): deletion_auc(FirstHalf(), x, good, steps=0)
    with pytest.raises(ValueError, match='Unknown baseline'): deletion_auc(FirstHalf(), x, good, baseline='blur')
    with pytest.raises(ValueError, match='maps must be'): insertion_auc(FirstHalf(), x, good[:3])

def test_planted_dataset_mask_and_determinism():
    X, y, mask = make_planted_dataset(100, channels=5, length=80, window=16, channels_informative=[1], seed=3)
    expect_eq(X.shape, (100, 5, 80)); expect_eq(mask.sum(1).sum(1).tolist(), [16] * 100); assert mask[:, 1].any(1).all() and not mask[:, [0, 2, 3, 4]].any()
    noise_only, _, _ = make_planted_dataset(100, channels=5, length=80, window=16, channels_informative=[1], seed=3, amplitude=0)
    planted = X - noise_only
    assert (planted[~mask] == 0).all() and (np.abs(planted[mask]) > 0).mean() > 0.85   # the signal is exactly where the mask says
    X2, y2, m2 = make_planted_dataset(100, channels=5, length=80, window=16, channels_informative=[1], seed=3)
    expect_eq(X, X2); expect_eq(y, y2); expect_eq(mask, m2)
    Xj, yj, mj = make_planted_dataset(50, channels=4, joint=True, channels_informative=[0, 3], seed=0)
    expect_eq(mj.any(2)[:, [0, 3]].all(), True); expect_eq(set(yj), {'0', '1'})
    for kind in ('square', 'peak'): make_planted_dataset(10, motif=kind, n_classes=3)
    with pytest.raises(ValueError, match='Unknown motif'): make_planted_dataset(10, motif='saw')
    with pytest.raises(ValueError, match='window'): make_planted_dataset(10, length=10, window=20)

def test_rank_correlation():
    a = torch.rand(4, 1, 30)
    torch.testing.assert_close(rank_correlation(a, a * 3 + 1), torch.ones(4))
    torch.testing.assert_close(rank_correlation(a, -a), -torch.ones(4))
    expect_eq(rank_correlation(a, torch.zeros_like(a)).tolist(), [0.] * 4)

@pytest.fixture(scope='module')
def ecg():
    return train_ts('ECG200', 'FCN', epochs=4, bs=16, seed=0, progress=False)[0]

def test_randomization_check(ecg):
    x = ecg.dls.valid.one_batch()[0][:16]
    rc = randomization_check(ecg.model, x, 'grad_cam')
    expect_eq(list(rc.randomized_down_to), ['4', '2', '1', '0'])           # head first, then the conv blocks
    assert rc.rank_corr.iloc[-1] < 0.5 and isinstance(rc.attrs['passes'], bool)
    before = {k: v.clone() for k, v in ecg.model.state_dict().items()}
    randomization_check(ecg.model, x, 'cam')
    assert all(torch.equal(v, before[k]) for k, v in ecg.model.state_dict().items())   # the trained model is untouched

def test_evaluate_cams_table(ecg, tmp_path):
    df = ecg.evaluate_cams(methods=['cam', 'grad_cam', 'saliency'], n=24, steps=5)
    expect_eq(list(df.index), ['cam', 'grad_cam', 'saliency'])
    for col in ('deletion_auc', 'deletion_random', 'deletion_ratio', 'insertion_auc', 'insertion_random', 'top10_drop', 'seconds'):
        assert col in df.columns and df[col].notna().all()
    show_evaluation(df, savefig=tmp_path/'eval.png', show=False)
    assert (tmp_path/'eval.png').stat().st_size > 1000

def test_evaluate_cams_with_mask():
    X, y, mask = make_planted_dataset(120, channels=3, length=60, window=12, channels_informative=[1], seed=0)
    dls = TSDataLoaders.from_arrays(X[:80], y[:80], X[80:], y[80:], bs=16, normalize=None)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, lr_max=3e-3)
    df = learn.evaluate_cams(methods=['grad_cam', 'channel_cam'], n=40, steps=5, mask=mask[80:])
    assert df.loc['channel_cam', 'pr_auc'] > df.loc['grad_cam', 'pr_auc']

def test_localization_skips_series_without_cells():
    "Negatives carry no planted motif: they are skipped and counted, not an error"
    maps, mask = torch.rand(4, 1, 10), torch.zeros(4, 1, 10, dtype=torch.bool)
    mask[1, 0, 2:5] = True; mask[3, 0, 7] = True
    res = localization_scores(maps, mask)
    assert res['localized_series'] == 2 and res['skipped_series'] == 2
    per = localization_scores(maps, mask, per_series=True)
    assert torch.isnan(per['pr_auc'][[0, 2]]).all() and abs(res['pr_auc'] - per['pr_auc'][[1, 3]].mean().item()) < 1e-6

def test_models_that_write_into_their_input():
    "tsai's TSTPlus runs x[mask] = 0 in forward: gradient methods failed with 'a leaf Variable ... in-place operation'"
    class InPlace(nn.Module):
        def __init__(self): super().__init__(); self.lin = nn.Linear(10, 2)
        def forward(self, x):
            x[torch.isnan(x)] = 0
            return self.lin(x.mean(1))
    m, x = InPlace().eval(), torch.randn(3, 2, 10)
    for f in (saliency, input_x_grad, integrated_gradients, smooth_grad):
        assert f(m, x).shape == (3, 2, 10)
