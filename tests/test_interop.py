"""Users' own data and models: channels-last arrays, unequal lengths with the official split, models returning tuples,
plain fastai DataLoaders with a single-logit BCE model, the 2020 get_batch path, XCM-like 2D layers, and images refused by name."""
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *
from fastcore.test import test_eq as expect_eq

DATA = Path(__file__).parent/'data'

def quiet_fit(learn, epochs=1, lr=1e-3):
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    return learn

def test_channels_last_arrays():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 250, 12)).astype(np.float32)             # seed 000: Keras (N, L, C) ECG
    y = np.array(['MI', 'normal'] * 20)
    with pytest.raises(ValueError, match="250 channels of 12 time steps each.*layout='NLC'"): TSDataLoaders.from_arrays(X, y)
    dls = TSDataLoaders.from_arrays(X, y, layout='NLC', bs=8, seed=0)
    expect_eq(dls.one_batch()[0].shape, (8, 12, 250))
    short = rng.standard_normal((40, 50, 12)).astype(np.float32)          # under 64 "channels": read as given, with a warning
    with pytest.warns(UserWarning, match="50 channels of 12 time steps each.*layout='NLC'"): TSDataLoaders.from_arrays(short, y, seed=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        TSDataLoaders.from_arrays(short, y, layout='NCL', seed=0)         # said explicitly: no warning

class ChannelsLastModel(nn.Module):
    "A model that takes (B, L, C) and transposes inside forward, as Keras ports do"
    def __init__(self, c, k): super().__init__(); self.body = FCN(c, k)
    def forward(self, x): return self.body(x.transpose(1, 2))

def test_model_that_transposes_inside_is_not_refused():
    m = ChannelsLastModel(12, 2).eval()
    x = torch.randn(3, 250, 12)                                            # (B, L, C): the first Conv1d reads 12 channels
    expect_eq(saliency(m, x).shape, (3, 250, 12))                          # input methods: one value per input cell, as given
    # a layer map would be resized from its 250 steps onto the input's last axis, the 12 channels: refused, with the fix
    with pytest.raises(ValueError, match=r'does not follow time.*channels-last.*wrap'): grad_cam(m, x, layer='body.2')
    wrapped = nn.Sequential(m.body)                                        # the same network taking (B, C, L)
    expect_eq(grad_cam(wrapped, x.transpose(1, 2), layer='0.2').shape, (3, 1, 250))

def test_unequal_lengths_with_the_official_split():
    files = [DATA/'JapaneseVowels_TRAIN.ts', DATA/'JapaneseVowels_TEST.ts']    # TRAIN up to 26 steps, TEST up to 29
    dls = TSDataLoaders.from_files(files, pad=True, bs=32)
    expect_eq(dls.train.one_batch()[0].shape[1:], (12, 29)); expect_eq(dls.valid.one_batch()[0].shape[1:], (12, 29))
    assert torch.isfinite(dls.one_batch()[0]).all()                        # padding and missing values: the training mean
    learn = quiet_fit(ts_learner(dls, FCN, seed=0))
    assert np.isfinite(learn.recorder.values[-1]).all()
    dls = TSDataLoaders.from_files([DATA/'PickupGestureWiimoteZ_TRAIN.ts', DATA/'PickupGestureWiimoteZ_TEST.ts'],
                                   pad=True, valid_pct=0.2, seed=0, bs=16)   # a raw numpy error before
    expect_eq(dls.one_batch()[0].shape[1:], (1, 361))
    dls = TSDataLoaders.from_files(files, pad=True, seq_len=40, bs=32)
    expect_eq(dls.one_batch()[0].shape[-1], 40)

def test_nan_inputs_stop_at_the_first_batch():
    X = np.random.default_rng(0).standard_normal((32, 1, 30)).astype(np.float32); X[:, :, 20:] = np.nan
    learn = ts_learner(TSDataLoaders.from_arrays(X, np.array(['a', 'b'] * 16), bs=8, normalize=None, seed=0), FCN)
    with pytest.raises(ValueError, match=r'batch 0: the batch holds NaN'): quiet_fit(learn)

class TupleModel(nn.Module):
    "seed 003's shape: returns (logits, attention weights over time)"
    def __init__(self, c=2, k=3):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(c, 16, 5, padding=2), nn.ReLU())
        self.score, self.head = nn.Linear(16, 1), nn.Linear(16, k)
    def forward(self, x):
        h = self.conv(x).transpose(1, 2)
        w = self.score(h)[..., 0].softmax(1)
        return self.head((h * w[..., None]).sum(1)), w

class DictModel(nn.Module):
    "Returns a dict, as Hugging Face models do"
    def __init__(self, inner): super().__init__(); self.inner = inner
    def forward(self, x):
        logits, attn = self.inner(x)
        return {'attn': attn, 'logits': logits}

def test_models_returning_tuples_and_their_attention():
    torch.manual_seed(0)
    m, x = TupleModel().eval(), torch.randn(4, 2, 50)
    for f in (grad_cam, saliency, occlusion, integrated_gradients):
        assert f(m, x).shape[0] == 4
    a = attention_map(m, x)
    torch.testing.assert_close(a.received[:, 0], m(x)[1])                 # the weights the model returned, in input time
    dict_model = DictModel(m)
    torch.testing.assert_close(grad_cam(dict_model, x, layer='inner.conv'), grad_cam(m, x, layer='conv'))

def test_plain_fastai_dataloaders_single_logit():
    "DataLoaders.from_dsets with float (1,) targets and no vocab, a single-logit model trained with BCE"
    X, y = read_arff(untar_ts('ECG200')/'ECG200_TRAIN.arff')
    X = (X - X.mean()) / X.std()
    items = [(torch.tensor(x), torch.tensor([float(l == '1')])) for x, l in zip(X, y)]
    dls = DataLoaders.from_dsets(items[:80], items[80:], bs=16)
    model = FCN(1, 1)
    learn = quiet_fit(Learner(dls, model, loss_func=BCEWithLogitsLossFlat(), metrics=binary_accuracy), 3)
    fig = learn.show_cam(n=3, show=False)                                  # TypeError: int() argument ... 'list' before
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    assert len(titles) == 3 and all(' / ' in t for t in titles)
    xb, yb = dls.valid.one_batch()
    fig = show_cam((xb, yb), model, func_cam='grad_cam', multi_fig=True, show=False)   # 'stack expects each tensor...' before
    assert fig is not None
    expect_eq(learn.cam([0, 1], method='grad_cam').shape, (2, 1, 96))
    expect_eq(learn.explain(method='grad_cam', progress=False)['maps'].shape, (20, 1, 96))
    expect_eq(list(learn.evaluate_cams(methods=('grad_cam', 'occlusion'), n=16).index), ['grad_cam', 'occlusion'])

def test_single_logit_learner_offers_the_right_loss_and_metric():
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    learn = ts_learner(dls, FCN, single_logit=True, seed=0)
    assert isinstance(learn.loss_func, BCEWithLogitsLossFlat().__class__) and learn.metrics[0].func is binary_accuracy
    logits = torch.tensor([[2.], [1.], [-0.5]]); targ = torch.tensor([1, 1, 0])
    assert float(binary_accuracy(logits, targ)) == 1.0
    assert abs(float(accuracy(logits, targ)) - 1 / 3) < 1e-6              # fastai's accuracy: argmax of one column is 0, always

def test_2020_get_batch_path_is_scaled_as_the_model_sees_it():
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=8)
    learn = quiet_fit(ts_learner(dls, FCN, seed=0), 3)
    items = get_batch(dls.valid.dataset, [0, 5, 9])
    x, y = as_batch(items)
    xb, yb = dl_batch(dls.valid, [0, 5, 9])
    torch.testing.assert_close(x, xb.cpu()); expect_eq(y.tolist(), yb.tolist())
    torch.testing.assert_close(compute_maps(learn.model, x, 'grad_cam'), learn.cam([0, 5, 9], method='grad_cam').cpu())

class XCMish(nn.Module):
    "XCM's idea: a Conv2d(1, nf) over the (channels x time) plane, then 1D"
    def __init__(self, c, k):
        super().__init__()
        self.conv2dblock = nn.Sequential(nn.Conv2d(1, 8, (1, 5), padding=(0, 2)), nn.ReLU())
        self.conv1dblock = nn.Sequential(nn.Conv1d(c, 8, 5, padding=2), nn.ReLU())
        self.head = nn.Linear(16, k)
    def forward(self, x):
        return self.head(torch.cat([self.conv2dblock(x[:, None]).mean((2, 3)), self.conv1dblock(x).mean(-1)], 1))

def test_xcm_like_models():
    torch.manual_seed(0)
    m, x = XCMish(6, 4).eval(), torch.randn(3, 6, 40)
    expect_eq(grad_cam(m, x).shape, (3, 1, 40))                            # refused: 'expects 1 input channel(s) but x has 6'
    expect_eq(grad_cam(m, x, layer='conv2dblock').shape, (3, 6, 40))       # one map per channel from the 2D layer

def test_images_are_refused_by_name():
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)).eval()
    img = torch.randn(2, 3, 16, 16)
    for f in (occlusion, channel_cam):
        with pytest.raises(ValueError, match=f'{f.__name__} works on series'): f(m, img)
    with pytest.raises(ValueError, match='for images use show_cam'): show_methods(img[:1], m, show=False)
    with pytest.raises(ValueError, match='threshold= is for images'): show_cam(torch.randn(2, 1, 30), FCN(1, 2).eval(), threshold=0.5, show=False)
    fig = show_cam(img, m, func_cam='grad_cam', threshold=0.5, show=False)
    assert fig.axes[-1].get_ylabel() == 'map / its largest |value|'

def test_padding_is_not_coloured_by_the_map():
    dls = TSDataLoaders.from_files([DATA/'PickupGestureWiimoteZ_TRAIN.ts', DATA/'PickupGestureWiimoteZ_TEST.ts'], pad=True, bs=8)
    learn = quiet_fit(ts_learner(dls, FCN, seed=0))
    length = int((~torch.isnan(dls.valid.dataset[0][0])).sum())             # 267 of 361 steps are data
    fig = learn.show_cam(idxs=[0], show=False)
    colours = np.ma.filled(fig.axes[0].collections[0].get_array(), np.nan)   # one value per segment
    assert np.isnan(colours[length:]).all() and not np.isnan(colours[:length - 1]).any()

def test_channels_last_raw_arrays_at_the_learner_methods_say_so():
    "learn.cam on a raw (N, L, C) array failed with 'The size of tensor a (250) must match the size of tensor b (12)'"
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=16)
    learn = ts_learner(dls, FCN, seed=0)
    X = read_series(untar_ts('BasicMotions')/'BasicMotions_TEST.arff')[0][:3]
    with pytest.raises(ValueError, match=r"channels-last, \(N, L, C\).*layout=.NLC.*transpose\(0, 2, 1\)"): learn.cam(X.transpose(0, 2, 1), method='grad_cam')
    assert learn.cam(X, method='grad_cam').shape == (3, 1, 100)
