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
    logit = body(1).eval()
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
    logit = body(1).eval()
    x = torch.randn(8, 2, 40)
    with torch.no_grad():
        logit[-1].bias -= logit(x).median()
        logit[-1].weight *= 40 / logit(x).abs().max()
        logit[-1].bias *= 40 / logit(x).abs().max()
        assert (logit(x).abs() > 20).any()                               # some probabilities are exactly 0 or 1
    prob = nn.Sequential(logit, nn.Sigmoid()).eval()                     # a trained net with a sigmoid appended
    kw = dict(n_steps=8) if method == 'integrated_gradients' else {}
    torch.testing.assert_close(get_method(method)(prob, x, **kw), get_method(method)(logit, x, **kw))
