"""What the model learned: importance, motifs, prototypes and lags over a data set, against known answers (hand-built
models), brute force, and planted truth (an FCN trained on `make_motif_dataset`)."""
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from fastcore.test import test_eq as eq, test_close as close, test_fail as fails
from tsexplain.all import *


class TwoOutputs(nn.Module):
    "A regressor: output 0 is channel 0's mean, output 1 is channel 2's mean"
    def forward(self, x): return torch.stack([x[:, 0].mean(1), x[:, 2].mean(1)], 1)


def test_regression_importance_per_output():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(150, 3, 16, generator=g)
    model = declare_task(TwoOutputs(), 'regression')
    y = model(x)
    for output, channel in ((0, 0), (1, 2)):
        df = importance(model, x, y, output=output, maps=False)
        eq(df['importance'].idxmax(), channel)
        eq(df.attrs['metric'], 'rmse')
        assert (df.drop(index=channel)['importance'].abs() < 1e-6).all()
    pooled = importance(model, x, y, maps=False)                 # every output pooled: both channels count, channel 1 not
    assert pooled.loc[0, 'importance'] > 0 and pooled.loc[2, 'importance'] > 0 and abs(pooled.loc[1, 'importance']) < 1e-6
    fails(lambda: importance(model, x, y, output=2), contains='output must be')
    fails(lambda: importance(model, x, y, metric='accuracy'), contains='for classification')


def test_interval_covers_a_null_effect_and_classes_by_name():
    "A channel that the model reads only weakly and one it ignores: the ignored one's interval is [0, 0]; class names from vocab"
    g = torch.Generator().manual_seed(1)
    x = torch.randn(200, 2, 20, generator=g)
    y = (x[:, 0].mean(1) > 0).long()
    model = nn.Sequential(nn.Flatten(), nn.Linear(40, 2))
    with torch.no_grad():
        model[1].weight.zero_(); model[1].bias.zero_()
        model[1].weight[1, :20] = 1.; model[1].weight[0, :20] = -1.
    df = importance(model, x, y, classes=['no', 'yes'], vocab=['no', 'yes'], maps=False)
    eq(sorted(df['class'].unique()), ['no', 'yes'])
    null = df[df.channel == 1]
    assert (null['low'] <= 0).all() and (null['high'] >= 0).all()
    fails(lambda: importance(model, x, y, classes=['maybe'], vocab=['no', 'yes']), contains="'maybe' is not a class of this model")


def test_ablation_with_a_tensor_baseline_equals_a_loop():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(60, 2, 12, generator=g)
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(3, 3))
    y = torch.randint(0, 3, (60,), generator=g)
    base = torch.full((2, 12), 0.5)
    df = importance(model, x, y, by='window', window=5, method='ablation', n_repeats=1, baseline=base, metric='loss', maps=False)
    ce = lambda xs: nn.functional.cross_entropy(model(xs), y).item()
    want = []
    for s in (0, 5, 10):
        xa = x.clone(); xa[:, :, s:s + 5] = 0.5
        want.append(ce(xa) - ce(x))
    close(df['importance'].to_numpy(), np.array(want), eps=1e-5)


@pytest.fixture(scope='module')
def planted_learner():
    X, y, truth = make_motif_dataset(n=400, seed=0)
    dls = TSDataLoaders.from_arrays(X[:300], y[:300], X[300:], y[300:], bs=32, seed=0)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(10, 3e-3)
    return learn, truth


def test_planted_motifs_channels_and_nothing_changed(planted_learner):
    learn, truth = planted_learner
    before = {k: v.clone() for k, v in learn.model.state_dict().items()}
    learn.model.train()
    imp = learn.importance(by='channel')
    eq(set(imp.sort_values('importance', ascending=False)['channel'][:3]), {1, 2, 3})
    assert imp[imp.channel.isin([1, 2, 3])]['low'].min() > imp[~imp.channel.isin([1, 2, 3])]['high'].max()
    mo = learn.motifs(length=20)
    for k in range(3):
        first = mo.of(str(k))[0]
        eq(first.channel, truth['channels'][k])
        assert best_aligned_corr(first.shape, truth['shapes'][k]) >= 0.95, (k, mo.table())
        assert abs(first.prevalence - 1.0) <= 0.05 and first.supported
        assert not (first.channel == 0 and best_aligned_corr(first.shape, truth['decoy']) > 0.8)      # never the decoy
    protos = learn.prototypes(n=2)
    eq(sorted(protos['class'].unique()), ['0', '1', '2'])
    eq(learn.model.training, True)                                  # the mode it was in
    for k, v in learn.model.state_dict().items(): eq(torch.equal(v, before[k]), True)   # weights and BatchNorm statistics
    for fig in (learn.show_motifs(length=20, show=False), learn.show_importance(show=False),
                learn.show_importance(by='window', window=10, show=False), learn.show_prototypes(n=2, show=False)):
        assert len(fig.axes) > 1


class BumpStrength(nn.Module):
    "A regressor: ŷ = the best correlation of channel 0 with a bump (a filter and a max over time)"
    def __init__(self, shape):
        super().__init__()
        w = torch.as_tensor((shape - shape.mean()) / shape.std(), dtype=torch.float32)
        self.conv = nn.Conv1d(1, 1, len(w), bias=False); self.conv.weight.data[:] = w
    def forward(self, x): return self.conv(x[:, :1]).amax(-1) / 10


def test_regressor_motifs_of_the_highest_and_lowest_predictions():
    _, _, truth = make_motif_dataset(n=200, channels=2, length=60, n_classes=1, window=12, decoy=False, seed=3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2, 60)).astype(np.float32)
    for i, (s, a) in enumerate(zip(truth['starts'], rng.uniform(0, 5, 200))): X[i, 0, s:s + 12] += a * truth['shapes'][0]   # the bump in channel 0, of every strength
    model = declare_task(BumpStrength(truth['shapes'][0]), 'regression')
    mo = motifs(model, X, n=1, length=12, method='saliency')
    eq([m.cls for m in mo], ['high', 'low'])
    high = mo.of('high')[0]
    eq(high.channel, 0)
    assert best_aligned_corr(high.shape, truth['shapes'][0]) > 0.95 and high.supported
    assert np.isnan(high.flipped) and high.paste_gain > 0            # pasted into the lowest tenth, it raises their ŷ
    fails(lambda: motifs(model, X, n=1, output=3), contains='output must be')
    fails(lambda: importance(model, X, model(torch.as_tensor(X)).detach(), classes=True), contains='classes=')
