"""A saved learner explains new series once reloaded: from learner.pkl (fastai's pickle, in a fresh process that never
imported tsexplain) and from the pickle-free files, with the training normalisation applied."""
import subprocess, sys, textwrap
import numpy as np
import pytest
import torch
from tsexplain.all import *
from fastcore.test import test_eq as expect_eq

@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp('saved')
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
    learn.export(d/'learner.pkl')
    save_ts_model(learn, d/'model.safetensors')
    return learn, d

def test_reloaded_learners_explain_new_series(saved):
    learn, d = saved
    X = read_series(untar_ts('ECG200')/'ECG200_TEST.arff')[0][:5]
    ref = learn.cam(list(range(5)), method='grad_cam')                    # the validation set is ECG200's TEST file: same series, same order
    for back in (load_learner(d/'learner.pkl'), load_ts_model(d/'model.safetensors')):
        torch.testing.assert_close(back.cam(X, method='grad_cam'), ref, atol=1e-5, rtol=1e-4)      # raw series: the training normalisation applied
        torch.testing.assert_close(back.cam(torch.as_tensor(X[0]), method='grad_cam'), ref[:1], atol=1e-5, rtol=1e-4)   # one series (C, L)
        expect_eq(back.cam(untar_ts('ECG200')/'ECG200_TEST.arff', method='grad_cam').shape, (100, 1, 96))   # a file
        with pytest.raises(ValueError, match=r'hold no series .*learn.show_cam\(X\)'): back.show_cam()
        fig = back.show_cam(X[:2], show=False)
        assert [ax.get_title() for ax in fig.axes if ax.get_title()][0].startswith('series 0: ')

def test_learner_pkl_in_a_fresh_process(saved):
    "load_learner imports only tsexplain.models to unpickle the model: show_cam must exist all the same"
    _, d = saved
    code = textwrap.dedent(f"""
        import matplotlib; matplotlib.use('Agg')
        from fastai.learner import load_learner
        from tsexplain.data import read_series, untar_ts
        learn = load_learner({str(d/'learner.pkl')!r})
        X = read_series(untar_ts('ECG200')/'ECG200_TEST.arff')[0][:3]
        print(tuple(learn.cam(X).shape), type(learn.show_cam(X, show=False)).__name__)
    """)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert '(3, 1, 96) ShownOnceFigure' in r.stdout
