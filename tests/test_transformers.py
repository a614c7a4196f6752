"""Maps for transformers: attention rollout and gradient-weighted attention relevance against a hand computation on an
nn.TransformerEncoder, and the method learn.show_cam() picks for models without convolutions."""
import torch
from torch import nn
import torch.nn.functional as F
import pytest
from tsexplain.explain import *

class TinyTransformer(nn.Module):
    "Each time step a token: linear embedding -> 2 encoder layers -> mean over tokens -> linear"
    def __init__(self, c=2, k=3, d=16):
        super().__init__()
        self.embed = nn.Linear(c, d)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 4, 32, dropout=0.0, batch_first=True), 2)
        self.head = nn.Linear(d, k)
    def forward(self, x): return self.head(self.encoder(self.embed(x.transpose(1, 2))).mean(1))

def by_hand(m, x, t):
    "The attention matrices of each layer, computed by calling the layers' parts directly, and the target score"
    h, attns = m.embed(x.transpose(1, 2)), []
    for lyr in m.encoder.layers:
        mha, E = lyr.self_attn, lyr.self_attn.embed_dim
        q, k, v = (F.linear(h, mha.in_proj_weight[i * E:(i + 1) * E], mha.in_proj_bias[i * E:(i + 1) * E]) for i in range(3))
        split = lambda t: t.view(len(t), -1, 4, E // 4).transpose(1, 2)
        w = (split(q) @ split(k).transpose(-2, -1) / (E // 4) ** 0.5).softmax(-1)
        attns.append(w)
        sa = mha.out_proj((w @ split(v)).transpose(1, 2).reshape(h.shape))
        h = lyr.norm1(h + sa)
        h = lyr.norm2(h + lyr.linear2(F.relu(lyr.linear1(h))))
    return attns, m.head(h.mean(1)).gather(1, t[:, None]).sum()

@pytest.fixture
def model_and_x():
    torch.manual_seed(0)
    return TinyTransformer().eval(), torch.randn(3, 2, 12)

def test_rollout_by_hand(model_and_x):
    m, x = model_and_x
    with torch.no_grad():
        attns, score = by_hand(m, x, torch.zeros(3, dtype=torch.long))
        torch.testing.assert_close(score, m(x)[:, 0].sum())               # the hand computation is the model's
    R = None
    for a in attns:
        A = 0.5 * torch.eye(12) + 0.5 * a.mean(1); A = A / A.sum(-1, keepdim=True)
        R = A if R is None else A @ R
    torch.testing.assert_close(attention_rollout(m, x), R.mean(1)[:, None])

def test_relevance_by_hand(model_and_x):
    m, x = model_and_x
    t = torch.tensor([0, 2, 1])
    attns, score = by_hand(m, x, t)
    grads = torch.autograd.grad(score, attns)
    R = torch.eye(12).expand(3, 12, 12)
    for a, g in zip(attns, grads): R = R + F.relu(g * a).mean(1) @ R
    ref = (R - torch.eye(12)).clamp_min(0).mean(1)[:, None]
    torch.testing.assert_close(attention_relevance(m, x, target=t), ref.detach())
    assert not torch.allclose(attention_relevance(m, x, target=0), attention_relevance(m, x, target=1))   # class specific

def test_default_method_and_clear_error(model_and_x):
    m, x = model_and_x
    assert default_method(m) == 'attention_relevance'
    assert default_method(nn.Sequential(nn.Conv1d(2, 4, 3), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 2))) == 'grad_cam'
    with pytest.raises(ValueError, match='No attention weights were found'):
        attention_rollout(nn.Sequential(nn.Flatten(), nn.Linear(24, 2)), x)

def test_tsai_tst():
    pytest.importorskip('tsai')
    from tsai.models.TST import TST
    torch.manual_seed(0)
    m, x = TST(6, 4, 50).eval(), torch.randn(2, 6, 50)
    for f in (attention_rollout, attention_relevance):
        maps = f(m, x)
        assert maps.shape == (2, 1, 50) and torch.isfinite(maps).all() and (maps >= 0).all()

def test_batched_equals_per_sample(model_and_x):
    m, x = model_and_x
    for f in (attention_rollout, attention_relevance):
        torch.testing.assert_close(f(m, x, target=[0, 1, 2]), torch.cat([f(m, x[i:i + 1], target=i) for i in range(3)]))
