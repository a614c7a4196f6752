"""Models whose forward ends in a sigmoid or a softmax (Keras' Dense(1, activation='sigmoid'), ported literally) are
explained for the class they predict, with the right probabilities, and give the same maps as their logit twins; a single
output that cannot be told apart is refused with the fix."""
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *

def body(k):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(8, k))

class SigmoidInForward(nn.Module):
    "torch.sigmoid called in forward: no module says so"
    def __init__(self, net): super().__init__(); self.net = net
    def forward(self, x): return torch.sigmoid(self.net(x))

@pytest.mark.parametrize('method', ['grad_cam', 'saliency', 'integrated_gradients', 'occlusion'])
def test_sigmoid_output_explained_as_its_logit(method):
    logit = declare_output(body(1).eval(), 'logits')               # a bare single output: said to be a logit
    prob = nn.Sequential(*logit, nn.Sigmoid()).eval()                 # the same weights, a probability out
    x = torch.randn(16, 2, 40) * torch.linspace(0.2, 3, 16).view(-1, 1, 1)
    with torch.no_grad():
        logit[-1].weight *= 20
        logit[-1].bias -= logit(x).median()                              # both classes predicted
        p = prob(x)[:, 0]
    assert 0 < (p > 0.5).float().mean() < 1                              # both classes predicted
    kw = dict(n_steps=8) if method == 'integrated_gradients' else {}
    a, b = get_method(method)(logit, x, **kw), get_method(method)(prob, x, **kw)
    torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-3)              # was: every series explained as class 1
    with explaining(prob), torch.no_grad(): lg = check_logits(prob(x))
    torch.testing.assert_close(resolve_targets(lg), (p > 0.5).long())
    torch.testing.assert_close(class_probs(lg)[:, 1], p, atol=1e-5, rtol=1e-4)   # titles: p, not sigmoid(p)

def test_softmax_output_detected_and_sigmoid_in_forward_refused_then_declared():
    net = body(3).eval()
    soft = nn.Sequential(*net, nn.Softmax(1)).eval()
    x = torch.randn(8, 2, 40)
    with explaining(soft), torch.no_grad(): lg = check_logits(soft(x))
    with torch.no_grad(): torch.testing.assert_close(class_probs(lg), net(x).softmax(1), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(resolve_targets(lg), net(x).argmax(1))
    hidden = SigmoidInForward(body(1)).eval()
    with pytest.raises(ValueError, match=r"declare_output\(model, 'probs'\)"): grad_cam(hidden, x)
    declare_output(hidden, 'probs'); declare_output(hidden.net, 'logits')     # an untrained net's logits are all in (0, 1) too
    torch.testing.assert_close(grad_cam(hidden, x, layer=hidden.net[1]), grad_cam(hidden.net, x, layer=hidden.net[1]), atol=1e-4, rtol=1e-3)
    declare_output(hidden, None)

def test_logit_models_unchanged():
    net = body(2).eval()
    x = torch.randn(4, 2, 40)
    with explaining(net), torch.no_grad(): out = check_logits(net(x))
    with torch.no_grad(): torch.testing.assert_close(out, net(x))

def test_a_softmax_registered_last_but_used_inside_is_not_read_as_the_output():
    "The last registered module is a hint only: logits outside [0, 1] stay logits"
    class AttnLast(nn.Module):
        def __init__(self): super().__init__(); self.net = body(2); self.softmax = nn.Softmax(-1)
        def forward(self, x): return self.net(x * self.softmax(x).shape[-1] * self.softmax(x)) * 10
    m, x = AttnLast().eval(), torch.randn(6, 2, 40)
    with explaining(m), torch.no_grad(): out = check_logits(m(x))
    with torch.no_grad(): torch.testing.assert_close(out, m(x))

@pytest.mark.parametrize('method', ['grad_cam', 'channel_cam', 'occlusion', 'integrated_gradients'])
def test_saturated_probabilities_are_explained_from_the_logit_behind_them(method):
    "A probability that rounds to 1.0 in float32 (logit > ~17) cannot be inverted: the final Sigmoid's own input is used"
    logit = declare_output(body(1).eval(), 'logits')               # a bare single output: said to be a logit
    x = torch.randn(8, 2, 40)
    with torch.no_grad():
        logit[-1].bias -= logit(x).median()
        logit[-1].weight *= 40 / logit(x).abs().max()
        logit[-1].bias *= 40 / logit(x).abs().max()
        assert (logit(x).abs() > 20).any()                               # some probabilities are exactly 0 or 1
    prob = nn.Sequential(logit, nn.Sigmoid()).eval()                     # a trained net with a sigmoid appended
    kw = dict(n_steps=8) if method == 'integrated_gradients' else {}
    torch.testing.assert_close(get_method(method)(prob, x, **kw), get_method(method)(logit, x, **kw))


class _SigmoidInForward(torch.nn.Module):
    "The seed's model: torch.sigmoid inside forward (no module says it), one output"
    def __init__(self): super().__init__(); self.f = FCN(1, 1)
    def forward(self, x): return torch.sigmoid(self.f(x))

@pytest.fixture(scope='module')
def sigmoid_learners():
    "The same sigmoid-in-forward model trained on ECG200, under a loss that says nothing and under BCELossFlat"
    from fastai.losses import BCELossFlat
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    torch.manual_seed(0)
    silent = Learner(dls, _SigmoidInForward(), loss_func=lambda p, y: torch.nn.functional.binary_cross_entropy(p[:, 0], y.float()))
    with silent.no_bar(), silent.no_logging(): silent.fit_one_cycle(3, 1e-3)
    told = Learner(dls, silent.model, loss_func=BCELossFlat())
    return silent, told

def test_few_series_never_get_a_guessed_class(sigmoid_learners):
    "1 to 3 series of a sigmoid-in-forward model: the class-1 map was returned for p = 0.27; now decided on the learner's own series or refused"
    silent, told = sigmoid_learners
    x, _ = dl_batch(silent.dls.valid, n=64)
    with torch.no_grad(): p = silent.model.eval()(x)[:, 0]
    i = int((p < 0.5).nonzero()[0])                               # predicted class 0
    with pytest.raises(ValueError, match="declare_output"): silent.cam([i], method='input_x_grad')   # nothing tells: refused
    bare = _SigmoidInForward(); bare.load_state_dict(silent.model.state_dict())
    with pytest.raises(ValueError, match='too few to tell'): input_x_grad(bare, x[i:i + 1])
    m = told.cam([i], method='input_x_grad')                      # BCELoss: probabilities, explained through their logit
    torch.testing.assert_close(m, input_x_grad(declare_output(bare, 'probs'), x[i:i + 1], target=0))

def test_single_logit_learner_on_one_series_is_never_refused():
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    learn = ts_learner(dls, FCN, seed=0, single_logit=True)
    x, _ = dl_batch(dls.valid, n=2)
    assert learn.cam([0], method='grad_cam').shape == (1, 1, 96)
    assert grad_cam(learn.model, x[:1]).shape == (1, 1, 96)       # the function too: ts_learner says its outputs are logits

class SoftmaxInForward(nn.Module):
    "torch.softmax called in forward: no module says so"
    def __init__(self, net): super().__init__(); self.net = net
    def forward(self, x): return torch.softmax(self.net(x), 1)

@pytest.mark.parametrize('method', ['saliency', 'input_x_grad', 'integrated_gradients', 'occlusion', 'grad_cam'])
def test_softmax_module_and_softmax_in_forward_give_one_map(method):
    "One model, one map: an nn.Softmax module and torch.softmax in forward both explain log p of the class (it was: the logit vs log p)"
    net = body(3).eval()
    module, functional = nn.Sequential(*net, nn.Softmax(1)).eval(), SoftmaxInForward(net).eval()
    x = torch.randn(12, 2, 40) * 3
    kw = dict(n_steps=8) if method == 'integrated_gradients' else dict(layer=net[1]) if method == 'grad_cam' else {}
    a, b = get_method(method)(module, x, **kw), get_method(method)(functional, x, **kw)
    torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-3)
    if method == 'saliency':                                   # and it is log p's gradient, by autograd on the logits
        xi = x.clone().requires_grad_(True)
        lp = net(xi).log_softmax(1)
        t = lp.argmax(1)
        g, = torch.autograd.grad(lp.gather(1, t[:, None]).sum(), xi)
        torch.testing.assert_close(a, g.abs(), atol=1e-5, rtol=1e-4)

def test_several_sigmoid_columns_keep_their_logits():
    "A neighbour of the softmax case: a final nn.Sigmoid over K columns (multi-label, or Keras' Dense(K, 'sigmoid')) is explained on each column's own logit z_k, as its logit twin — not as a softmax's log p"
    net = body(3).eval()
    prob = nn.Sequential(*net, nn.Sigmoid()).eval()
    declare_output(prob, 'probs')
    x = torch.randn(6, 2, 40) * 3
    torch.testing.assert_close(saliency(prob, x, target=1), saliency(net, x, target=1), atol=1e-5, rtol=1e-4)
    declare_output(prob, None)


def test_an_undeclared_single_output_is_never_guessed():
    "One number per series that leaves [0, 1]: a logit or a regressor's value. Read as a logit, every series with ŷ < 0 got the map of -ŷ; now refused until said"
    reg = nn.Sequential(nn.Flatten(), nn.Linear(40, 1)).eval()
    x = torch.randn(12, 1, 40)
    with torch.no_grad(): reg[1].weight *= 5; assert (reg(x) < 0).any() and (reg(x) > 1).any()
    with pytest.raises(ValueError, match="declare_output\\(model, 'regression'\\)"): input_x_grad(reg, x)
    declare_output(reg, 'regression')
    torch.testing.assert_close(input_x_grad(reg, x)[:, 0], x[:, 0] * reg[1].weight.detach())     # x · dŷ/dx: never flipped


class _InForward(nn.Module):
    "torch.sigmoid or torch.softmax applied inside forward (no module says it)"
    def __init__(self, net, how): super().__init__(); self.net, self.how = net, how
    def forward(self, x): return torch.sigmoid(self.net(x)) if self.how == 'sigmoid' else torch.softmax(self.net(x), dim=1)


@pytest.mark.parametrize('how,k', [('sigmoid', 1), ('softmax', 3), ('sigmoid', 2)])
def test_confident_probabilities_made_in_forward_keep_their_maps(how, k):
    "Probabilities saturated at 0 or 1 in float32 have lost their logit (every such series got an all-zero map): the logit is read from the call's input; two sigmoid columns are two logits, not softmax rows"
    net = body(k).eval()
    x = torch.randn(16, 2, 40)
    with torch.no_grad():
        net[-1].bias -= net(x).median()
        s = (200 if how == 'sigmoid' else 40) / net(x).abs().max(); net[-1].weight *= s; net[-1].bias *= s
    m = _InForward(net, how).eval()
    if k == 1: declare_output(m, 'probs')                            # one column in [0, 1]: said, never guessed
    declare_output(net, 'logits')
    with torch.no_grad(): p = m(x)
    assert ((p == 0) | (p == 1)).any()                                 # saturated
    got, want = saliency(m, x), saliency(net, x)
    if how == 'softmax':                                               # log p of the class: log_softmax of the logits
        with torch.enable_grad():
            xx = x.clone().requires_grad_(True)
            t = net(x).argmax(1)
            net(xx).log_softmax(1).gather(1, t[:, None]).sum().backward()
        want = xx.grad.abs()
    assert (got.flatten(1).abs().sum(1) > 0).all()
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-3)
