"""Model structure follows the papers; output shapes for C in {1, 6} and L in {50, 96, 301}; ts_learner trains."""
import pytest
import torch
from torch import nn
from tsexplain.core import *
from tsexplain.models import *
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

@pytest.mark.parametrize('arch', [InceptionTime, FCN, ResNet])
@pytest.mark.parametrize('c_in', [1, 6])
@pytest.mark.parametrize('L', [50, 96, 301])
def test_output_shapes(arch, c_in, L):
    m = arch(c_in, 4).eval()
    expect_eq(m(torch.randn(3, c_in, L)).shape, (3, 4))

def test_inception_structure():
    m = InceptionTime(1, 2)
    expect_eq(len(m), 8); assert isinstance(m[5], InceptionBlock) and isinstance(m[6], GAP1d) and isinstance(m[7], nn.Linear)
    expect_eq([c.kernel_size[0] for c in m[0].module.convs], [39, 19, 9])
    expect_eq(m[1].module.bottleneck.kernel_size[0], 1); expect_eq(m[1].module.bottleneck.out_channels, 32)
    expect_eq([m[i].shortcut is not None for i in range(6)], [False, False, True, False, False, True])
    expect_eq(m[5].module.bn_relu[0].num_features, 128)

def test_inception_gap_input_is_last_block_output():
    "The last block's output is exactly what GAP averages: the logit equals the head applied to its time mean"
    m = InceptionTime(1, 3).eval()
    acts = {}
    h = m[5].register_forward_hook(lambda mod, i, o: acts.setdefault('a', o))
    x = torch.randn(2, 1, 96)
    out = m(x); h.remove()
    torch.testing.assert_close(out, m[-1](acts['a'].mean(-1)))

def test_fcn_resnet_widths():
    f = FCN(3, 2)
    expect_eq([f[i][0].out_channels for i in range(3)], [128, 256, 128]); expect_eq([f[i][0].kernel_size[0] for i in range(3)], [8, 5, 3])
    r = ResNet(3, 2)
    expect_eq([r[i].convs[0][0].out_channels for i in range(3)], [64, 128, 128])

def test_ts_learner_trains_and_is_reproducible():
    dls = TSDataLoaders.from_dsname('ECG200', bs=16)
    accs = []
    for _ in range(2):
        learn, acc = train_ts('ECG200', 'FCN', epochs=1, bs=16, seed=3, progress=False)
        accs.append(acc)
    expect_eq(accs[0], accs[1])
    expect_eq(ts_learner(dls, arch=ResNet).model[-1].out_features, 2)
    with pytest.raises(ValueError, match='choose one of'): get_arch('LSTM')


def test_ts_learner_seed_makes_training_reproducible():
    "DataLoaders made without a seed fix their shuffle when created: ts_learner(seed=0) seeds them too, so two runs train the same weights"
    import warnings
    from tsexplain.all import TSDataLoaders, ts_learner, FCN
    warnings.filterwarnings('ignore')
    def trained():
        learn = ts_learner(TSDataLoaders.from_dsname('ECG200', bs=16), FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
        with learn.no_bar(), learn.no_logging(): learn.fit(1, 1e-3)
        return torch.cat([p.detach().flatten() for p in learn.model.parameters()])
    torch.testing.assert_close(trained(), trained(), atol=0, rtol=0)
