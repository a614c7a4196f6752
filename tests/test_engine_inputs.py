"""Every input a user has, on the engine: numpy float64 and half precisions, too-short series, 4D input to a 1D model,
bad targets, in-place ReLU after the captured layer, two threads on one model, occlusion memory on long series."""
import threading
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.models import *
from tsexplain.targets import *
from tsexplain.hooks import *
from tsexplain.cam import *
from tsexplain.attention import *
from tsexplain.attribution import *

def trained_like(arch=FCN, c_in=2, c_out=3, L=64, seed=0):
    torch.manual_seed(seed)
    m = arch(c_in, c_out)
    with torch.no_grad():
        m.train()
        for _ in range(3): m(torch.randn(16, c_in, L))
    return m.eval()

@pytest.mark.parametrize('dtype', [np.float64, np.float16, torch.float16, torch.bfloat16, torch.float64])
def test_any_float_dtype_is_cast_to_the_models(dtype):
    m = trained_like()
    x32 = torch.randn(3, 2, 40)
    x = x32.numpy().astype(dtype) if isinstance(dtype, type) else x32.to(dtype)
    for f in (grad_cam, saliency, occlusion, integrated_gradients):
        out = f(m, x)                                          # raised 'expected scalar type Double but found Float'
        ref = f(m, torch.as_tensor(np.asarray(x, dtype=np.float32)) if isinstance(x, np.ndarray) else x.float())
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, ref)

def test_too_short_series_name_the_shortest_length():
    with pytest.raises(ValueError, match='no time steps'): grad_cam(trained_like(), torch.randn(2, 2, 0))
    m = CNNLSTMAttention(2, 3).eval()
    with pytest.raises(ValueError, match='cannot take series of 3 time steps; the shortest it takes is 4'): grad_cam(m, torch.randn(2, 2, 3))
    assert grad_cam(m, torch.randn(2, 2, 4)).shape == (2, 1, 4)

def test_4d_input_to_a_1d_model():
    with pytest.raises(ValueError, match=r'convolutions are 1D: a batch of series is \(B, C, L\)'): grad_cam(trained_like(), torch.randn(2, 2, 8, 8))

@pytest.mark.parametrize('target,msg', [('all', "target='all' is for cam"), ([0.5, 1.5], 'class indices'),
                                        ([True, False], 'class indices'), ('first', 'target is None')])
def test_bad_targets(target, msg):
    m = trained_like()
    with pytest.raises(ValueError, match=msg): grad_cam(m, torch.randn(2, 2, 40), target=target)
    torch.testing.assert_close(grad_cam(m, torch.randn(2, 2, 40), target=[1.0, 2.0]).shape, torch.Size([2, 1, 40]))

class InplaceAfter(nn.Module):
    "conv -> ReLU(inplace) right after the captured layer -> GAP -> linear"
    def __init__(self):
        super().__init__()
        self.conv, self.act, self.head = nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(inplace=True), nn.Linear(8, 3)
    def forward(self, x): return self.head(self.act(self.conv(x)).mean(-1))

def test_inplace_relu_after_the_captured_layer():
    torch.manual_seed(0)
    m, x = InplaceAfter().eval(), torch.randn(4, 2, 30)
    ref = InplaceAfter().eval(); ref.load_state_dict(m.state_dict()); ref.act.inplace = False
    for f in (grad_cam, grad_cam_pp, hires_cam, cam_acts, eigen_cam, score_cam):
        torch.testing.assert_close(f(m, x, layer='conv'), f(ref, x, layer='conv'))   # raised 'a leaf Variable ... in-place'

def test_two_threads_one_model_match_a_serial_run():
    m = trained_like(c_in=2).train()                   # a train-mode model: batch-norm statistics must not move
    before = {k: v.clone() for k, v in m.state_dict().items()}
    flags = [p.requires_grad for p in m.parameters()]
    xs = [torch.randn(3, 2, 48, generator=torch.Generator().manual_seed(i)) for i in range(6)]
    methods = (grad_cam, saliency, guided_grad_cam, occlusion)
    serial = {(i, f.__name__): f(m, x) for i, x in enumerate(xs) for f in methods}
    got, errors = {}, []
    def work(tid):
        try:
            for rep in range(4):
                for i, x in enumerate(xs):
                    f = methods[(tid + rep + i) % len(methods)]
                    got[(tid, rep, i, f.__name__)] = (i, f.__name__, f(m, x))
        except Exception as e: errors.append(e)
    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert not errors, errors[:3]                      # raised 'ran twice in one forward' in 337 of 600 calls
    for i, name, out in got.values(): torch.testing.assert_close(out, serial[(i, name)])
    assert m.training and [p.requires_grad for p in m.parameters()] == flags   # was left frozen
    for k, v in m.state_dict().items(): torch.testing.assert_close(v, before[k])

def test_occlusion_streams_its_masks():
    "Masks are made per chunk: peak memory no longer grows with C²·L²; the maps equal the all-at-once computation"
    m, x = trained_like(c_in=3), torch.randn(2, 3, 40)
    out = occlusion(m, x, window=6, stride=2, batch_size=7)
    # brute force: every (channel, window) perturbation on its own
    with torch.no_grad():
        lg = m(x); t = lg.argmax(1); score = lg.gather(1, t[:, None])[:, 0]
        total, count = torch.zeros_like(x), torch.zeros(40)
        for s in range(0, 40 - 6 + 1, 2):
            count[s:s + 6] += 1
            for c in range(3):
                xp = x.clone(); xp[:, c, s:s + 6] = 0
                total[:, c, s:s + 6] += (score - m(xp).gather(1, t[:, None])[:, 0])[:, None]
    torch.testing.assert_close(out, total / count.clamp_min(1), atol=1e-5, rtol=1e-5)
    x_long = torch.randn(1, 2, 20000)                 # all masks at once: 2,000 masks of 2 x 20,000 = 80 MB in one tensor
    small = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), GAP1d(), nn.Linear(4, 2)).eval()
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        occlusion(small, x_long, window=20, stride=20, batch_size=16)
    biggest = max(e.cpu_memory_usage for e in prof.events())
    assert biggest < 20e6, f'{biggest / 1e6:.0f} MB allocated by one operation'


def test_perturbation_chunks_bounded_by_a_memory_budget():
    "batch_size=None: as many perturbed copies per forward as fit in the budget (long series -> few), and the same maps"
    from tsexplain.all import FCN, occlusion, integrated_gradients, auto_batch_size, series_cost, MEMORY_BUDGET
    torch.manual_seed(0)
    m = FCN(2, 2).eval()
    short, long = torch.randn(3, 2, 64), torch.randn(1, 2, 20_000)
    assert auto_batch_size(m, long) * series_cost(m, long) <= MEMORY_BUDGET < 256 * series_cost(m, long)   # 256 did not fit
    assert auto_batch_size(m, short) >= 256 and auto_batch_size(m, short, 7) == 7
    assert auto_batch_size(m, short, grads=True) <= auto_batch_size(m, short)
    for f in (occlusion, integrated_gradients):
        torch.testing.assert_close(f(m, short), f(m, short, batch_size=5), atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match='batch_size must be at least 1'): occlusion(m, short, batch_size=0)
