"""Learners built the tsai way (get_ts_dls + tsai's ts_learner): InceptionTimePlus, XCM and TST explained through their own
pipeline, with the tsai-safe import. Skipped where tsai is not installed (it is in the dev extras)."""
import warnings
import numpy as np
import pytest
import torch
tsai_basics = pytest.importorskip('tsai.basics')
warnings.filterwarnings('ignore')

from tsexplain.data import read_series, untar_ts
import tsexplain.explain                                  # the Learner methods (learn.cam, show_cam, explain)

def tsai_learner(name, arch, epochs=2):
    p = untar_ts(name)
    (Xtr, ytr), (Xte, yte) = read_series(p/f'{name}_TRAIN.arff'), read_series(p/f'{name}_TEST.arff')
    X, y, splits = tsai_basics.combine_split_data([Xtr, Xte], [ytr, yte])
    dls = tsai_basics.get_ts_dls(X, y, splits=splits, tfms=[None, tsai_basics.TSClassification()],
                                 batch_tfms=[tsai_basics.TSStandardize()], bs=16)
    learn = tsai_basics.ts_learner(dls, arch, metrics=tsai_basics.accuracy, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 1e-3)
    return learn, Xte

def test_no_name_shared_with_tsai_models():
    "tsai.models.all's names (LastStep among them) and tsexplain.explain's do not meet: either star import order keeps both"
    ns_tsai, ns_ours = {}, {}
    exec('from tsai.models.all import *', ns_tsai)
    exec('from tsexplain.explain import *', ns_ours)
    shared = {k for k in ns_tsai if not k.startswith('_')} & {k for k in ns_ours if not k.startswith('_')}
    assert not [k for k in shared if ns_tsai[k] is not ns_ours[k]]

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

ARCHS = ['InceptionTimePlus', 'XCM', 'XCMPlus', 'ResNetPlus', 'LSTM_FCN', 'mWDN', 'gMLP', 'OmniScaleCNN', 'TST', 'TSTPlus',
         'TSiT', 'TransformerModel', 'MiniRocketPlus']

@pytest.fixture(scope='module')
def basic_motions():
    p = untar_ts('BasicMotions')
    (Xtr, ytr), (Xte, yte) = read_series(p/'BasicMotions_TRAIN.arff'), read_series(p/'BasicMotions_TEST.arff')
    keep = np.r_[0:40:5]                                          # 8 validation series of the 4 classes (the default is chosen on them)
    return tsai_basics.combine_split_data([Xtr, Xte[keep]], [ytr, yte[keep]]), Xte[keep]

def small_learner(basic_motions, arch, epochs=1):
    "A tsai learner trained on BasicMotions' 40 training series, validated on 8 test series; and those 8 as raw series"
    (X, y, splits), Xv = basic_motions
    dls = tsai_basics.get_ts_dls(X, y, splits=splits, tfms=[None, tsai_basics.TSClassification()],
                                 batch_tfms=[tsai_basics.TSStandardize()], bs=16)
    learn = tsai_basics.ts_learner(dls, arch, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 1e-3)
    return learn, Xv

@pytest.mark.parametrize('arch', ARCHS)
def test_every_tsai_architecture(arch, basic_motions, tmp_path):
    "The default method runs; the map is finite and over the input's steps; raw series give the index maps; a reloaded learner too"
    from fastai.learner import load_learner
    from tsexplain.explain import learner_method
    learn, Xv = small_learner(basic_motions, arch)
    method = learner_method(learn)                                # measured on this model's validation series
    maps = learn.cam([0, 1])
    assert maps.shape[0] == 2 and maps.shape[1] in (1, 6) and maps.shape[-1] == 100 and torch.isfinite(maps).all()
    torch.testing.assert_close(learn.cam(Xv[:2], method=method), maps, atol=1e-5, rtol=1e-4)
    learn.export(tmp_path/'learner.pkl')
    back = load_learner(tmp_path/'learner.pkl')
    torch.testing.assert_close(back.cam(Xv[:2], method=method), maps, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(back.cam(Xv[0], method=method), maps[:1], atol=1e-5, rtol=1e-4)   # one series (C, L) is one series

def test_layers_without_a_time_axis_are_not_resized_as_time(basic_motions):
    "gMLP's blocks are (tokens, features); mWDN lays wavelet halves side by side: neither is taken as time"
    from tsexplain.explain import grad_cam
    (X, y, splits), Xv = basic_motions
    dls = tsai_basics.get_ts_dls(X, y, splits=splits, tfms=[None, tsai_basics.TSClassification()],
                                 batch_tfms=[tsai_basics.TSStandardize()], bs=16)
    g = tsai_basics.ts_learner(dls, 'gMLP', seed=0)
    xb = dls.valid.one_batch()[0].as_subclass(torch.Tensor)[:2]
    with pytest.raises(ValueError, match='does not follow time'): grad_cam(g.model, xb, layer='model.5')
    assert g.cam([0, 1], method='grad_cam').shape == (2, 1, 100)          # from the patcher, whose last axis is time
    w = tsai_basics.ts_learner(dls, 'mWDN', seed=0)
    with pytest.raises(ValueError, match="keeps the series' time axis.*integrated_gradients"): grad_cam(w.model, xb)
    assert learner_method_name(w) != 'grad_cam'

def learner_method_name(learn):
    from tsexplain.explain import learner_method
    return learner_method(learn)

def test_tst_transformer(basic_motions):
    learn, _ = small_learner(basic_motions, 'TST', epochs=2)
    fig = learn.show_cam(n=2, show=False)                 # 'Could not find a convolutional layer' before: now the most faithful method
    assert list(learn.evaluate_cams(n=4).index) == ['attention_relevance', 'attention_rollout', 'occlusion', 'integrated_gradients']
    assert fig._suptitle.get_text().split(' · ')[1].startswith('deletion ')   # the most faithful method on TST, with its score
    maps = learn.cam([0, 1], method='attention_relevance')
    assert maps.shape == (2, 1, 100) and torch.isfinite(maps).all()
    assert learn.explain(method='attention_relevance', progress=False)['maps'].shape == (8, 1, 100)

def test_tstplus_evidence_runs_every_pass_on_a_copy(basic_motions):
    "TSTPlus writes x[nan] = 0 into its input: evaluate_cams ran attention_pass on the leaf input and aborted (in-place on a leaf)"
    learn, _ = small_learner(basic_motions, 'TSTPlus')
    table = learn.evaluate_cams(methods=('attention_relevance', 'attention_rollout', 'integrated_gradients'), n=4)
    assert list(table.index) == ['attention_relevance', 'attention_rollout', 'integrated_gradients']
    assert np.isfinite(table['deletion_ratio']).all()
