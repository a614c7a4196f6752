"""Learners built the tsai way (get_ts_dls + tsai's ts_learner): InceptionTimePlus, XCM and TST explained through their own
pipeline, with the tsai-safe import. Skipped where tsai is not installed (it is in the dev extras)."""
import warnings
import numpy as np
import pytest
import torch
tsai_basics = pytest.importorskip('tsai.basics')
warnings.filterwarnings('ignore')

from tsexplain.data import read_series, untar_ts

def tsai_learner(name, arch, epochs=2):
    p = untar_ts(name)
    (Xtr, ytr), (Xte, yte) = read_series(p/f'{name}_TRAIN.arff'), read_series(p/f'{name}_TEST.arff')
    X, y, splits = tsai_basics.combine_split_data([Xtr, Xte], [ytr, yte])
    dls = tsai_basics.get_ts_dls(X, y, splits=splits, tfms=[None, tsai_basics.TSClassification()],
                                 batch_tfms=[tsai_basics.TSStandardize()], bs=16)
    learn = tsai_basics.ts_learner(dls, arch, metrics=tsai_basics.accuracy, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 1e-3)
    return learn, Xte

def test_import_shadows_no_tsai_name():
    ns = {}
    exec('from tsai.basics import *', ns)
    before = {k: v for k, v in ns.items() if not k.startswith('__')}
    exec('from tsexplain.explain import *', ns)
    assert [k for k, v in before.items() if ns[k] is not v] == []

@pytest.fixture(scope='module')
def inception():
    return tsai_learner('ECG200', 'InceptionTimePlus')

def test_inception_time_plus(inception):
    from tsexplain.explain import grad_cam
    learn, Xte = inception
    fig = learn.show_cam(show=False)                     # failed in tsai's create_batch
    assert len([a for a in fig.axes if a.get_title()]) == 4
    maps = learn.cam([0, 1, 2])
    torch.testing.assert_close(learn.cam(Xte[:3]), maps, atol=1e-5, rtol=1e-4)   # raw series through tsai's TSStandardize
    res = learn.explain(method='grad_cam', progress=False)
    assert res['maps'].shape == (100, 1, 96) and (res['preds'] == res['probs'].argmax(1)).all()
    table = learn.evaluate_cams(methods=('grad_cam', 'occlusion'), n=16)
    assert list(table.index) == ['grad_cam', 'occlusion']

def test_xcm_multichannel():
    learn, _ = tsai_learner('BasicMotions', 'XCM')
    assert learn.cam([0, 1], method='grad_cam').shape == (2, 1, 100)        # refused: 'expects 1 input channel(s) but x has 6'
    assert learn.cam([0, 1], layer='conv2dblock').shape == (2, 6, 100)   # one map per channel from the 2D block
    assert learn.cam([0, 1], method='channel_cam').shape == (2, 6, 100)
    assert learn.explain(method='grad_cam', progress=False)['maps'].shape == (40, 1, 100)
    assert list(learn.evaluate_cams(methods=('grad_cam', 'channel_cam'), n=8).index) == ['grad_cam', 'channel_cam']

def test_tst_transformer():
    learn, _ = tsai_learner('BasicMotions', 'TST')
    fig = learn.show_cam(n=2, show=False)                 # 'Could not find a convolutional layer' before: now attention relevance
    assert list(learn.evaluate_cams(n=8).index) == ['attention_relevance', 'attention_rollout', 'occlusion', 'integrated_gradients']
    assert fig._suptitle.get_text().split(' · ')[1].startswith('deletion ')   # the most faithful method on TST, with its score
    maps = learn.cam([0, 1], method='attention_relevance')
    assert maps.shape == (2, 1, 100) and torch.isfinite(maps).all()
    assert learn.explain(method='attention_relevance', progress=False)['maps'].shape == (40, 1, 100)

def test_one_raw_series_is_one_series_on_every_model():
    "(C, L) was read as C univariate series by XCM (its first convolution is 2D over the (C, L) plane)"
    learn, Xte = tsai_learner('BasicMotions', 'XCM', epochs=1)
    one = learn.cam(Xte[0], method='grad_cam')
    assert one.shape[0] == 1 and one.shape[-1] == 100
    torch.testing.assert_close(one, learn.cam(Xte[:1], method='grad_cam'), atol=1e-5, rtol=1e-4)

def test_reloaded_tsai_learner_goes_through_tsais_batch_transforms(inception, tmp_path):
    "After tsai's export + load_learner the raw series go through TSStandardize again (model input mean ~0, not the raw ~100)"
    from fastai.learner import load_learner
    learn, Xte = inception
    learn.export(tmp_path/'tsai.pkl')
    back = load_learner(tmp_path/'tsai.pkl')
    from tsexplain.explain import learner_inputs
    xb = learner_inputs(back, Xte[:8] + 100)
    ref = learner_inputs(learn, Xte[:8] + 100)
    torch.testing.assert_close(xb.cpu(), ref.cpu(), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(back.cam(Xte[:3], method='grad_cam'), learn.cam([0, 1, 2], method='grad_cam'), atol=1e-4, rtol=1e-3)
