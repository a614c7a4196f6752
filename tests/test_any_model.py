"""Any model gets the right map or a refusal that names what works: gradient methods on images, per-channel maps on models
without convolutions, SHAP from the Learner methods with the training set as background, layers without a time axis."""
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *

def image_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()

@pytest.mark.parametrize('method', ['integrated_gradients', 'smooth_grad', 'saliency', 'input_x_grad'])
def test_gradient_methods_on_images(method):
    "integrated gradients and SmoothGrad broadcast their per-item weights over (C, H, W) too (they crashed on images)"
    m, x = image_cnn(), torch.randn(2, 3, 8, 8)
    maps = get_method(method)(m, x)
    assert maps.shape == x.shape and torch.isfinite(maps).all()

def test_integrated_gradients_on_images_completeness():
    m, x = image_cnn(), torch.randn(2, 3, 8, 8)
    ig = integrated_gradients(m, x, n_steps=64)
    with torch.no_grad(): out = m(x)
    t = out.argmax(1)
    gap = out[torch.arange(2), t] - m(torch.zeros_like(x))[torch.arange(2), t]
    torch.testing.assert_close(ig.sum((1, 2, 3)), gap.detach(), atol=1e-3, rtol=1e-2)

class TinyTransformer(nn.Module):
    "No convolution: an embedding per step, one encoder layer, mean pooling"
    def __init__(self, c=3, k=2, d=16):
        super().__init__()
        self.embed = nn.Linear(c, d)
        self.enc = nn.TransformerEncoderLayer(d, 2, 32, batch_first=True, dropout=0.)
        self.head = nn.Linear(d, k)
    def forward(self, x): return self.head(self.enc(self.embed(x.transpose(1, 2))).mean(1))

def test_channel_cam_without_convolutions_names_the_per_channel_methods():
    m, x = TinyTransformer().eval(), torch.randn(2, 3, 20)
    with pytest.raises(ValueError, match=r'no convolutional layer.*one map per channel: integrated_gradients, input_x_grad, occlusion') as e:
        channel_cam(m, x)
    assert 'one of []' not in str(e.value)
    assert integrated_gradients(m, x, n_steps=8).shape == (2, 3, 20)

@pytest.fixture(scope='module')
def ecg_learner():
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
    return learn

def test_shap_from_the_learner_methods(ecg_learner):
    pytest.importorskip('shap')
    learn = ecg_learner
    maps = learn.cam([0, 1, 2], method='shap', n_background=16, n_samples=50)
    bg, _ = dl_batch(learn.dls.train, n=16)
    x, _ = dl_batch(learn.dls.valid, idxs=[0, 1, 2])
    torch.testing.assert_close(maps, shap_values(learn.model, x, bg, n_samples=50))      # the training set's first 16 series
    assert learn.explain(method='shap_values', progress=False, n_background=8, n_samples=20)['maps'].shape == (100, 1, 96)
    assert list(learn.evaluate_cams(methods=('shap', 'grad_cam'), n=4, method_kwargs={'shap': dict(n_background=8)}).index) == ['shap_values', 'grad_cam']
    fig = learn.show_cam(n=1, method='shap', show=False)
    assert fig._suptitle.get_text().startswith('SHAP · deletion')
    with pytest.raises(ValueError, match="method='shap'"): get_method('shap')

def test_shap_on_a_reloaded_learner_asks_for_a_background(ecg_learner, tmp_path):
    pytest.importorskip('shap')
    save_ts_model(ecg_learner, tmp_path/'m.safetensors')
    back = load_ts_model(tmp_path/'m.safetensors')
    X = read_series(untar_ts('ECG200')/'ECG200_TEST.arff')[0][:2]
    with pytest.raises(ValueError, match='pass background='): back.cam(X, method='shap')
    bg = learner_inputs(back, read_series(untar_ts('ECG200')/'ECG200_TRAIN.arff')[0][:8])
    assert back.cam(X, method='shap', background=bg, n_samples=20).shape == (2, 1, 96)

class FeaturesWithoutGradients(nn.Module):
    "Features computed under no_grad (as MiniRocket's random kernels are), then a linear head"
    def __init__(self):
        super().__init__(); self.conv, self.head = nn.Conv1d(2, 4, 3), nn.Linear(4, 2)
    def forward(self, x):
        with torch.no_grad(): f = self.conv(x).amax(-1)
        return self.head(f)

@pytest.mark.parametrize('method', ['integrated_gradients', 'saliency', 'smooth_grad', 'grad_cam', 'input_x_grad'])
def test_gradient_methods_on_a_model_without_gradients_name_what_applies(method):
    m, x = FeaturesWithoutGradients().eval(), torch.randn(3, 2, 30)
    with pytest.raises(ValueError, match='gradient methods do not apply.*occlusion'): get_method(method)(m, x)
    assert occlusion(m, x).shape == (3, 2, 30)
    assert default_method(m, x) == 'occlusion'


def test_default_without_series_names_a_method_that_applies():
    "MiniRocket-like features computed without gradients: the default by structure was IG, which refuses; now a method that runs"
    class FeaturesWithoutGradients(nn.Module):
        def __init__(self): super().__init__(); self.conv, self.head = nn.Conv1d(3, 8, 9), nn.Linear(8, 2)
        def forward(self, x):
            with torch.no_grad(): f = self.conv(x).relu().mean(-1)
            return self.head(f)
    m = FeaturesWithoutGradients().eval()
    name = default_method(m)
    assert name == 'occlusion'
    assert get_method(name)(m, torch.randn(2, 3, 50)).shape == (2, 3, 50)
