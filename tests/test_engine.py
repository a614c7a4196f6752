"""The explanation engine: properties with known answers, captum references, batched == per-sample, no side effects, bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from tsexplain.models import *
from tsexplain.targets import *
from tsexplain.hooks import *
from tsexplain.cam import *
from tsexplain.attention import *
from tsexplain.attribution import *
from tsexplain.faithfulness import *
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

ARCHS = [InceptionTime, FCN, ResNet]

def trained_like(arch, c_in=1, c_out=3, seed=0):
    "A model in eval mode with non-trivial batch-norm statistics (as after training)"
    torch.manual_seed(seed)
    m = arch(c_in, c_out)
    with torch.no_grad():
        m.train()
        for _ in range(3): m(torch.randn(16, c_in, 64))
    return m.eval()

@pytest.mark.parametrize('arch', ARCHS)
def test_gradient_cams_equal_cam_on_gap_linear_head(arch):
    m, x = trained_like(arch), torch.randn(6, 1, 64)
    ref = normalize_maps(F.relu(cam(m, x, target=[0, 1, 2, 0, 1, 2])))
    for f in (grad_cam, xgrad_cam, hires_cam):
        torch.testing.assert_close(normalize_maps(f(m, x, target=[0, 1, 2, 0, 1, 2])), ref, atol=1e-5, rtol=0)

@pytest.mark.parametrize('arch', ARCHS + [CNNLSTMAttention])
def test_grad_cam_equals_captum(arch):
    from captum.attr import LayerGradCam, LayerAttribution
    m, x = trained_like(arch, c_in=2), torch.randn(5, 2, 64)
    t = [0, 2, 1, 1, 0]
    layer = find_layer(m, None, x)
    ref = LayerGradCam(m, layer).attribute(x, target=t, relu_attributions=True)
    ref = LayerAttribution.interpolate(ref, (64,), interpolate_mode='linear')
    torch.testing.assert_close(grad_cam(m, x, target=t), ref, atol=1e-5, rtol=1e-4)

def test_cam_all_classes_and_logits():
    m, x = trained_like(InceptionTime), torch.randn(4, 1, 96)
    maps = cam(m, x, target='all')
    expect_eq(maps.shape, (4, 3, 96))
    torch.testing.assert_close(maps.mean(-1) + m[-1].bias, m(x).detach(), atol=1e-4, rtol=1e-4)

METHOD_KW = {'score_cam': dict(batch_size=37), 'ablation_cam': dict(closed_form=False, batch_size=50),
             'integrated_gradients': dict(n_steps=8), 'smooth_grad': dict(n_samples=4), 'occlusion': dict(window=6),
             'tsr': dict(method='saliency'), 'dyna_mask': dict(n_epochs=20), 'extremal_mask': dict(n_epochs=20)}

# transformers: test_transformers; ExtremalMask learns one replacement network per batch (tint does the same): test_masks
@pytest.mark.parametrize('method', sorted(n for n in METHODS if not n.startswith('attention_') and n != 'extremal_mask'))
def test_batched_equals_per_sample(method):
    m, x = trained_like(FCN, c_in=3), torch.randn(5, 3, 48)
    t = [2, 0, 1, 1, 2]
    f, kw = METHODS[method], METHOD_KW.get(method, {})
    batched = f(m, x, target=t, **kw)
    single = torch.cat([f(m, x[i:i + 1], target=t[i], **kw) for i in range(5)])
    if method == 'smooth_grad': return  # its noise is drawn per batch; checked below with n_samples the same
    expect_eq(batched.shape, (5, 1 if f.kind == 'length' else 3, 48)); expect_eq(batched.dtype, torch.float32)
    # methods built on differences of two forwards lose a few digits to rounding that depends on the batch's composition
    rel = 1e-4 if method in ('ablation_cam', 'occlusion', 'channel_cam', 'score_cam') else 1e-5
    torch.testing.assert_close(batched, single, atol=rel * max(1., single.abs().max().item()), rtol=0)

def test_single_logit_model_explains_predicted_class():
    m = declare_output(FCN(2, 1).eval(), 'logits')           # a bare single output is never guessed: said to be a logit
    x = torch.randn(6, 2, 40)
    logit = m(x)[:, 0].detach()
    pred = (logit > 0).long()
    maps = cam(m, x, target='all')
    expect_eq(maps.shape, (6, 2, 40))
    torch.testing.assert_close(maps[:, 1].mean(-1), logit - m[-1].bias.detach(), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(cam(m, x), maps[torch.arange(6), pred][:, None])
    expect_eq(saliency(m, x).shape, (6, 2, 40))

@pytest.fixture(scope='module')
def ecg_learner():
    "InceptionTime trained for a few epochs on ECG200: real data, a real model"
    learn, acc = train_ts('ECG200', 'InceptionTime', epochs=6, bs=16, seed=0, progress=False)
    return learn

def test_integrated_gradients_completeness(ecg_learner):
    m = ecg_learner.model.eval()
    x4 = ecg_learner.dls.valid.one_batch()[0][:4].as_subclass(torch.Tensor)
    x, t = torch.cat([x4, x4]), torch.tensor([0] * 4 + [1] * 4)          # both classes of each series in one call
    for baseline in ('zeros', 'mean', 'noise'):
        ig = integrated_gradients(m, x, target=t, baseline=baseline, n_steps=128)
        with torch.no_grad(): expected = (m(x) - m(make_baseline(x, baseline))).gather(1, t[:, None])[:, 0]
        err = (ig.sum((1, 2)) - expected).abs()
        assert (err <= 0.01 * expected.abs()).all(), (baseline, err.max(), expected.abs().min())

def test_integrated_gradients_equals_captum():
    from captum.attr import IntegratedGradients
    m, x = trained_like(FCN, c_in=2), torch.randn(3, 2, 40)
    ref = IntegratedGradients(m).attribute(x, target=[0, 1, 2], n_steps=40, method='gausslegendre')
    torch.testing.assert_close(integrated_gradients(m, x, target=[0, 1, 2], n_steps=40), ref, atol=1e-5, rtol=1e-4)

def test_occlusion_equals_brute_force_and_captum():
    from captum.attr import Occlusion
    m, x = trained_like(FCN, c_in=2), torch.randn(2, 2, 30)
    t = [1, 2]
    got = occlusion(m, x, target=t, window=5, stride=2, batch_size=9)
    ref = torch.zeros_like(x); cnt = torch.zeros(2, 30)
    with torch.no_grad():
        for b in range(2):
            s0 = m(x[b:b + 1])[0, t[b]]
            for c in range(2):
                for s in range(0, 27, 2):           # 30 - 5 = 25 is not a multiple of 2: the last window, 26-29, is cut at the end
                    xp = x[b:b + 1].clone(); xp[0, c, s:s + 5] = 0
                    ref[b, c, s:s + 5] += s0 - m(xp)[0, t[b]]
                    if b == 0: cnt[c, s:s + 5] += 1
    assert (cnt > 0).all()                                   # every step covered, the last ones too
    torch.testing.assert_close(got, ref / cnt, atol=1e-5, rtol=1e-4)
    # captum places its windows as we do, whether or not they tile the series
    for stride in (1, 2, 4, 5):
        cap = Occlusion(m).attribute(x, target=t, sliding_window_shapes=(1, 5), strides=(1, stride), baselines=0)
        torch.testing.assert_close(occlusion(m, x, target=t, window=5, stride=stride), cap, atol=1e-5, rtol=1e-4)

def test_saliency_equals_captum():
    from captum.attr import Saliency, InputXGradient
    m, x = trained_like(ResNet, c_in=2), torch.randn(3, 2, 40)
    torch.testing.assert_close(saliency(m, x, target=[0, 1, 2]), Saliency(m).attribute(x, target=[0, 1, 2]))
    torch.testing.assert_close(input_x_grad(m, x, target=[0, 1, 2]), InputXGradient(m).attribute(x, target=[0, 1, 2]))

def test_layer_lookup_variants_agree():
    m, x = trained_like(InceptionTime), torch.randn(2, 1, 50)
    a = grad_cam(m, x)
    for layer in (5, '5', m[5]): torch.testing.assert_close(grad_cam(m, x, layer=layer), a)
    with pytest.raises(ValueError, match='candidates'): grad_cam(m, x, layer='nope')

def test_length_changing_layer_is_resized():
    m = CNNLSTMAttention(1, 2).eval()
    maps = grad_cam(m, torch.randn(3, 1, 64))
    expect_eq(maps.shape, (3, 1, 64))
    expect_eq(find_layer(m, None, torch.randn(1, 1, 64)), m.cnn)

def test_attention_map_shapes():
    m = CNNLSTMAttention(2, 3, heads=2).eval()
    a = attention_map(m, torch.randn(2, 2, 48))
    expect_eq(a.heads.shape, (2, 2, 48, 48)); expect_eq(a.received.shape, (2, 1, 48))
    with pytest.raises(ValueError, match='no nn.MultiheadAttention'): attention_map(FCN(2, 3), torch.randn(2, 2, 48))

def test_works_under_outer_no_grad():
    m, x = trained_like(FCN), torch.randn(2, 1, 40)
    ref = grad_cam(m, x)
    with torch.no_grad():
        torch.testing.assert_close(grad_cam(m, x), ref)
        expect_eq(integrated_gradients(m, x, n_steps=4).shape, (2, 1, 40))

# ---- no side effects ----------------------------------------------------------------------------------------------------

class Flaky(FCN):
    "An FCN whose forward raises when told to"
    fail = False
    def forward(self, x):
        if self.fail: raise RuntimeError('boom')
        return super().forward(x)

def _hook_count(m):
    return sum(len(k._forward_hooks) + len(k._forward_pre_hooks) + len(k._backward_hooks) for k in m.modules())

def test_no_side_effects_over_1000_calls():
    m = Flaky(2, 3)
    m[1].train(); m[0][0].weight.requires_grad_(False)
    m[-1].weight.grad = torch.ones_like(m[-1].weight)
    state = {k: v.clone() for k, v in m.state_dict().items()}
    modes = [k.training for k in m.modules()]; flags = [p.requires_grad for p in m.parameters()]
    grads = [None if p.grad is None else p.grad.clone() for p in m.parameters()]
    methods = [grad_cam, cam, hires_cam, saliency, guided_grad_cam, eigen_cam, cam_acts, grad_cam_pp, layer_cam, xgrad_cam]
    x = torch.randn(2, 2, 24)
    for i in range(1000):
        m.fail = i % 10 == 0                      # 100 of the calls raise inside the forward
        f = methods[i % len(methods)] if not m.fail else methods[(i // 10) % len(methods)]
        if m.fail:
            with pytest.raises(RuntimeError, match='boom'): f(m, x)
        else: f(m, x)
    m.fail = False
    expect_eq(_hook_count(m), 0)
    assert all(torch.equal(v, state[k]) for k, v in m.state_dict().items())
    expect_eq([k.training for k in m.modules()], modes); expect_eq([p.requires_grad for p in m.parameters()], flags)
    for p, g in zip(m.parameters(), grads): assert (p.grad is None and g is None) or torch.equal(p.grad, g)

def test_raising_layer_leaves_no_hook():
    m = FCN(2, 3).eval()
    with pytest.raises(ValueError): grad_cam(m, torch.randn(2, 3, 20))
    with pytest.raises(TypeError, match='not a tensor'): grad_cam(CNNLSTMAttention(2, 3), torch.randn(2, 2, 32), layer='lstm')
    expect_eq(_hook_count(m), 0)

# ---- bad input ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('x,msg', [(torch.full((2, 2, 20), float('nan')), 'NaN'), (torch.randn(2, 5, 20), 'expects 2 input channel'),
                                   (torch.randn(20), r'x\[None, None\]'), (torch.randn(0, 2, 20), 'empty batch'),
                                   ('abc', 'tensor or ndarray')])
def test_bad_input(x, msg):
    with pytest.raises((ValueError, TypeError), match=msg): grad_cam(FCN(2, 3), x)

def test_bad_targets_and_options():
    m, x = FCN(2, 3), torch.randn(2, 2, 20)
    with pytest.raises(ValueError, match='3 classes'): grad_cam(m, x, target=5)
    with pytest.raises(ValueError, match='one class per series'): grad_cam(m, x, target=[0, 1, 2])
    with pytest.raises(ValueError, match='reduction'): cam_acts(m, x, reduction='sum')
    with pytest.raises(ValueError, match='window'): occlusion(m, x, window=50)
    with pytest.raises(ValueError, match='Unknown method'): get_method('gradcam')
