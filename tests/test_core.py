"""TensorTS, scaling transforms, TSDataLoaders (the archive's split is kept), show_batch / show_results, get_batch."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from tsexplain.data import *
from tsexplain.core import *
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

def test_official_split_is_kept():
    path = untar_ts('GunPoint')
    dls = TSDataLoaders.from_files([path/'GunPoint_TRAIN.arff', path/'GunPoint_TEST.arff'], bs=16)
    Xt, yt = read_arff(path/'GunPoint_TRAIN.arff'); Xv, yv = read_arff(path/'GunPoint_TEST.arff')
    expect_eq(len(dls.train_ds), 50); expect_eq(len(dls.valid_ds), 150)
    np.testing.assert_array_equal(np.stack([dls.valid_ds[i][0].numpy() for i in range(150)]), Xv)
    expect_eq([dls.vocab[int(dls.valid_ds[i][1])] for i in range(150)], list(yv))
    np.testing.assert_array_equal(np.stack([dls.train_ds[i][0].numpy() for i in range(50)]), Xt)

def test_valid_pct_random_split_is_seeded():
    a = TSDataLoaders.from_dsname('ECG200', valid_pct=0.3, seed=1)
    b = TSDataLoaders.from_dsname('ECG200', valid_pct=0.3, seed=1)
    expect_eq(len(a.valid_ds), 60); expect_eq(len(a.train_ds), 140)
    expect_eq(a.valid_ds[0][0], b.valid_ds[0][0])

def test_from_arrays_shapes_and_errors():
    X, y = np.random.randn(30, 2, 40).astype('float32'), np.array(['a', 'b', 'c'] * 10)
    dls = TSDataLoaders.from_arrays(X, y, bs=8, seed=0)
    xb, yb = dls.one_batch()
    expect_eq(xb.shape, (8, 2, 40)); expect_eq(dls.c, 3); expect_eq(dls.n_channels, 2)
    with pytest.raises(ValueError, match='30 series but y has 29'): TSDataLoaders.from_arrays(X, y[:-1])
    with pytest.raises(ValueError, match='must match'): TSDataLoaders.from_arrays(X, y, X[:, :1], y)
    with pytest.raises(ValueError, match=r'\(N, C, L\)'): TSDataLoaders.from_arrays(X[..., None], y)

def test_dataset_standardisation_uses_training_stats():
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=40, shuffle=False)
    xb, _ = dls.train.one_batch()
    torch.testing.assert_close(xb.mean(dim=(0, 2)), torch.zeros(6, device=xb.device), atol=1e-4, rtol=0)
    torch.testing.assert_close(xb.std(dim=(0, 2), unbiased=False), torch.ones(6, device=xb.device), atol=1e-3, rtol=0)

def test_label_map():
    dls = TSDataLoaders.from_dsname('ECG200', label_map={'-1': 'Myocardial Infarction', '1': 'Normal'})
    expect_eq(list(dls.vocab), ['Myocardial Infarction', 'Normal'])

def test_show_batch_and_channels(tmp_path):
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=8)
    dls.show_batch(chs=[0, 3], max_n=4)
    ax = plt.gcf().axes[0]
    expect_eq(len(ax.lines), 2); assert ax.get_title() in dls.vocab
    plt.close('all')
    u = TSDataLoaders.from_dsname('ECG200', bs=8)
    u.show_batch(chs=range(0, 12, 3), max_n=2)
    expect_eq(len(plt.gcf().axes[0].lines), 1)
    plt.close('all')
    with pytest.raises(ValueError, match='has 1 channel'): TensorTS.create(np.zeros(10)).show(chs=[3])

def test_get_batch_returns_every_item():
    dls = TSDataLoaders.from_dsname('ECG200')
    items = get_batch(dls.train.dataset, [0, 2, 4, 6, 8])
    expect_eq(len(items), 5); expect_eq(items[3][0], dls.train_ds[6][0])
    with pytest.raises(IndexError, match='out of range'): get_batch(dls.train.dataset, [1000])

def test_scaling_modes():
    x = TensorTS(torch.randn(4, 3, 20) * 7 + 2)
    for by in ('sample', 'channel'):
        s = Standardize(by=by)(x); d = (1, 2) if by == 'sample' else (2,)
        torch.testing.assert_close(s.mean(dim=d), torch.zeros_like(s.mean(dim=d)), atol=1e-5, rtol=0)
        n = Normalize(by=by, range=(0, 1))(x)
        torch.testing.assert_close(n.amin(dim=d), torch.zeros_like(n.amin(dim=d)), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match='by must be one of'): Normalize(by='global')
