"""learn.cam, learn.explain (streamed to .npz), explain_recording and shap_values on a real trained learner."""
import numpy as np
import pytest
import torch
from tsexplain.models import train_ts
from tsexplain.cam import grad_cam
from tsexplain.attention import *
from tsexplain.attribution import *
from tsexplain.scale import *                    # learn.explain
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

@pytest.fixture(scope='module')
def learn():
    return train_ts('ECG200', 'FCN', epochs=3, bs=16, seed=0, progress=False)[0]

def test_learn_cam_by_index_matches_model_input(learn):
    maps = learn.cam([0, 3, 5], method='grad_cam')
    expect_eq(maps.shape, (3, 1, 96))
    xb = learn.dls.valid.new(shuffle=False, bs=6).one_batch()[0][[0, 3, 5]]
    torch.testing.assert_close(maps, grad_cam(learn.model, xb))
    expect_eq(learn.cam(method='occlusion', window=8).shape, (learn.dls.valid.bs, 1, 96))

def test_explain_streams_to_npz(learn, tmp_path):
    out = learn.explain(method='grad_cam', save=tmp_path/'maps.npz', progress=False)
    expect_eq(out, tmp_path/'maps.npz')
    d = np.load(out)
    expect_eq(d['maps'].shape, (100, 1, 96)); expect_eq(d['preds'].shape, (100,)); expect_eq(d['probs'].shape, (100, 2)); expect_eq(d['targets'].shape, (100,))
    mem = learn.explain(method='grad_cam', progress=False)
    np.testing.assert_allclose(d['maps'], mem['maps'], atol=1e-6)
    expect_eq(list(d['preds']), list(mem['probs'].argmax(1)))
    expect_eq(sorted(p.name for p in tmp_path.iterdir()), ['maps.npz'])  # no temporary parts left behind

def test_explain_interrupted_leaves_nothing(learn, tmp_path):
    calls = {'n': 0}
    def failing(model, x, target=None, layer=None):
        calls['n'] += 1
        if calls['n'] == 2: raise KeyboardInterrupt
        return grad_cam(model, x)
    with pytest.raises(KeyboardInterrupt): learn.explain(method=failing, save=tmp_path/'maps.npz', progress=False)
    expect_eq(list(tmp_path.iterdir()), [])

def test_explain_recording(learn):
    fs, model_fs = 250, 96 / 1.0                          # the model sees 1-second beats at 96 samples
    t = np.arange(0, 60, 1 / fs)
    sig = np.sin(2 * np.pi * 1.2 * t) + 0.1 * np.random.default_rng(0).normal(size=t.size)
    r = explain_recording(learn.model, sig, fs=fs, model_fs=model_fs, window_s=1.0, step_s=0.5, method='grad_cam')
    expect_eq(r.maps.shape, (1, t.size)); expect_eq(r.time.shape, (t.size,))
    expect_eq(len(r.window_starts), 119); assert np.isfinite(r.maps).all()
    with pytest.raises(ValueError, match='shorter than one window'): explain_recording(learn.model, sig[:100], fs, model_fs, 1.0)

def test_shap_values(learn):
    pytest.importorskip('shap')
    xb = learn.dls.valid.new(shuffle=False).one_batch()[0]
    bg = learn.dls.train.new(shuffle=False).one_batch()[0][:32]
    v = shap_values(learn.model, xb[:4], bg, n_samples=100)
    expect_eq(v.shape, (4, 1, 96)); assert torch.isfinite(v).all()


def test_channels_last_series_get_the_fix_for_their_shape():
    "A single (L, C) series is told to pass layout='NLC' (or x.T): the (N, L, C) fix fails on a 2-D array; layout= works on the Learner verbs"
    import warnings
    from tsexplain.all import TSDataLoaders, ts_learner, FCN, read_ts, bundled_path
    warnings.filterwarnings('ignore')
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=8)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
    X = read_ts(bundled_path('BasicMotions')/'BasicMotions_TEST.ts')[0]
    with pytest.raises(ValueError, match=r"\(L, C\) = \(100, 6\): pass layout='NLC' \(or x.T\)"): learn.cam(X[0].T)
    with pytest.raises(ValueError, match=r"\(N, L, C\) = \(2, 100, 6\)"): learn.cam(X[:2].transpose(0, 2, 1))
    torch.testing.assert_close(learn.cam(X[0].T, layout='NLC', method='grad_cam'), learn.cam(X[:1], method='grad_cam'))
    assert len(learn.show_cam(X[:2].transpose(0, 2, 1), layout='NLC', method='grad_cam', show=False).axes) > 1
    with pytest.raises(ValueError, match='layout must be'): learn.cam(X[:1], layout='CL')


def test_layout_hints_never_loop():
    "Every verb that names layout='NLC' in its hint takes it; with layout='NLC' on a channels-first array the hint says to drop it"
    import warnings
    from tsexplain.all import TSDataLoaders, ts_learner, FCN, read_ts, bundled_path
    warnings.filterwarnings('ignore')
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=8)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    X = read_ts(bundled_path('BasicMotions')/'BasicMotions_TEST.ts')[0][:2]
    nlc = X.transpose(0, 2, 1)
    cf = learn.counterfactual(nlc, layout='NLC', verbose=False, method='native_guide')
    torch.testing.assert_close(torch.as_tensor(cf.x), torch.as_tensor(learn.counterfactual(X, verbose=False, method='native_guide').x))
    assert learn.explore(nlc, layout='NLC', show=False, check=False, methods='grad_cam') is not None
    with pytest.raises(ValueError, match=r"looks channels-first, \(N, C, L\), already: drop layout='NLC'"): learn.cam(X, layout='NLC')
    with pytest.raises(ValueError, match=r"looks channels-first.*drop layout"): learn.counterfactual(X, layout='NLC')


def test_default_method_probes_a_model_without_convolutions():
    "MiniRocketPlus refuses gradients and has no Conv1d: its recorded (c_in, seq_len) makes the probe, so the default runs on it"
    pytest.importorskip('tsai')
    from tsai.models.MINIROCKETPlus_Pytorch import MiniRocketPlus
    from tsexplain.all import default_method, get_method
    m = MiniRocketPlus(3, 2, 60).eval()
    name = default_method(m)
    assert name == 'occlusion'
    assert torch.isfinite(get_method(name)(m, torch.randn(2, 3, 60))).all()
