"""Plots run headless for every option; pixels follow the map; the 2020 calls run unchanged; nothing left open."""
import warnings
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn
from tsexplain.all import *
from tsexplain.cam import *
from tsexplain.attention import *
from tsexplain.attribution import *
from tsexplain.show import *
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

@pytest.fixture(autouse=True)
def close_all():
    yield
    plt.close('all')

@pytest.fixture(scope='module')
def ecg():
    dls = TSDataLoaders.from_dsname('ECG200', bs=64)
    learn = ts_learner(dls, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, lr_max=1e-3)
    return learn

@pytest.fixture(scope='module')
def motions():
    dls = TSDataLoaders.from_dsname('BasicMotions', bs=8)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1)
    return learn

def test_cmap_has_every_registered_colormap():
    names = [n for n in vars(CMAP) if not n.startswith('_')]
    assert len(names) >= 164 and set(names) == set(matplotlib.colormaps)
    expect_eq(CMAP.seismic, 'seismic')

def test_2020_calls_run_unchanged(ecg, tmp_path):
    dls, model = ecg.dls, ecg.model.eval()
    lbl_dict = dict([(0, 'Normal'), (1, 'Myocardial Infarction')])
    def i2o(y): return lbl_dict.__getitem__(y.data.item())
    batch = get_batch(dls.train.dataset, [0, 2])
    fig = show_cam(batch, model, layer=5, i2o=i2o, func_cam=cam_acts)
    assert fig.axes[0].get_title().startswith(f'[{i2o(batch[0][1])} - {i2o(batch[1][1])}] - CAM - mean · deletion ')
    show_cam(batch, model, layer=5, i2o=i2o, multi_fig=True, cmap=CMAP.seismic)
    show_cam(batch, model, layer=5, i2o=i2o, func_cam=grad_cam_acts, multi_fig=True, cmap=CMAP.seismic)
    fig = show_cam(batch, model, layer=5, i2o=i2o, func_cam=grad_cam_acts, cmap=CMAP.seismic)
    assert '- GRAD-CAM - mean · deletion ' in fig.axes[0].get_title()
    show_cam(batch, model, layer=5, i2o=i2o, linewidth=2, scatter=True, cmap=CMAP.hot_r)
    dls.train = dls.train.new(bs=5)
    b5 = dls.train.one_batch()
    show_cam(b5, model, layer=5, i2o=i2o, cmap=CMAP.viridis)
    fig = show_cam(b5, model, layer=5, i2o=i2o, cmap=CMAP.viridis, multi_fig=True, figsize=(18, 8), linestyles='dotted')
    expect_eq(len([a for a in fig.axes if a.get_title()]), 5)
    show_cam(b5, model, layer=5, i2o=i2o, func_cam=grad_cam_acts, multi_fig=True, figsize=(18, 8))
    one = get_batch(dls.train.dataset, [0])
    show_cam(one, model, layer=5, i2o=i2o, cmap='rainbow', linewidth=2, linestyles='dotted')

def test_linestyles_follow_the_user(ecg):
    batch = get_batch(ecg.dls.train.dataset, [0, 1, 2])
    fig = show_cam(batch, ecg.model, linestyles=['solid', 'solid', 'dashed'])
    lcs = [c for c in fig.axes[0].collections]
    styles = [lc.get_linestyle()[0] for lc in lcs]
    expect_eq(styles[0], styles[1]); assert styles[2] != styles[0]   # the 2020 bug: the second curve was always dashed

def test_every_input_kind_and_method(ecg):
    ds = ecg.dls.valid_ds
    b = ecg.dls.valid.one_batch()
    for batch in (b, get_batch(ds, [0, 1]), ds[3], b[0][:2], b[0][0].numpy(), b[0][0, 0].numpy()):
        show_cam(batch, ecg.model, func_cam='grad_cam', show=False)
    for m in sorted(set(METHODS) - {'attention_rollout', 'attention_relevance'}):   # those are for transformers (test_transformers)
        fast = {'integrated_gradients': {'n_steps': 4}, 'smooth_grad': {'n_samples': 2}, 'tsr': {'method': 'saliency'},
                'dyna_mask': {'n_epochs': 10}, 'extremal_mask': {'n_epochs': 10}}
        show_cam(b[0][:2], ecg.model, func_cam=m, multi_fig=True, show=False, check=False, method_kwargs=fast.get(m, {}))   # scores: below
    show_cam(b[0][:2], ecg.model, func_cam=lambda model, x, target=None, layer=None: x.abs(), show=False)
    with pytest.raises(ValueError, match='Unknown method'): show_cam(b, ecg.model, func_cam='gradcam')

def test_titles_with_confidence_and_vocab(ecg):
    xb, yb = ecg.dls.valid.one_batch()
    fig = show_cam((xb[:2], yb[:2]), ecg.model, func_cam='grad_cam', vocab=['MI', 'Normal'], confidence=True, multi_fig=True)
    titles = [a.get_title() for a in fig.axes if a.get_title()]
    for t, y in zip(titles, yb[:2]):
        assert t.startswith(['MI', 'Normal'][int(y)] + ' (0.') and t.endswith(')')

def test_pixels_follow_the_map(ecg):
    "A flat series coloured by a ramp map: blue (low) on the left, red (high) on the right"
    def ramp(model, x, target=None, layer=None): return torch.linspace(0, 1, x.shape[-1]).expand(len(x), 1, -1).clone()
    for scatter in (False, True):
        fig = show_cam(torch.zeros(1, 1, 96), ecg.model, func_cam=ramp, cmap='coolwarm', linewidth=12, scatter=scatter, figsize=(8, 3))
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
        bb = fig.axes[0].get_window_extent()
        H = img.shape[0]
        crop = img[int(H - bb.y1) + 3:int(H - bb.y0) - 3, int(bb.x0) + 3:int(bb.x1) - 3]
        colored = np.abs(crop[..., 0] - crop[..., 2]) > 0.25
        cols = np.flatnonzero(colored.any(0))
        left, right = crop[:, cols[:5]][colored[:, cols[:5]]], crop[:, cols[-5:]][colored[:, cols[-5:]]]
        assert (left[:, 2] > left[:, 0]).all(), 'low end of the map must be blue'
        assert (right[:, 0] > right[:, 2]).all(), 'high end of the map must be red'

def test_savefig_writes_and_closes(ecg, tmp_path):
    b = ecg.dls.valid.one_batch()
    before = plt.get_fignums()
    for ext in ('png', 'svg', 'pdf'):
        fig = show_cam(b[0][:2], ecg.model, func_cam='grad_cam', savefig=tmp_path/f'cam.{ext}', show=False)
        assert (tmp_path/f'cam.{ext}').stat().st_size > 1000
    expect_eq(plt.get_fignums(), before)   # no figure left open
    img = plt.imread(tmp_path/'cam.png')
    assert img[..., :3].std() > 0.05   # not blank (the 2020 savefig saved an empty figure)

def test_shown_once_in_a_jupyter_kernel():
    "In a real kernel with the inline backend: a returned, an assigned and a `show=False` figure each show exactly once"
    import os, nbformat
    from nbclient import NotebookClient
    setup = ("import warnings; warnings.simplefilter('ignore'); import torch; from tsexplain.show import *; from tsexplain.models import FCN\n"
             "m = FCN(1, 2).eval(); x = torch.randn(2, 1, 50)")
    cases = {'returned': "show_cam(x, m, func_cam='grad_cam')",
             'assigned': "fig = show_cam(x, m, func_cam='grad_cam')",
             'show=False, returned': "show_cam(x, m, func_cam='grad_cam', show=False)",
             'learn-style multi_fig': "show_cam(x, m, func_cam='cam', multi_fig=True)"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(c) for c in cases.values()])
    old = os.environ.pop('MPLBACKEND', None)   # the kernel's own default backend: inline
    try: NotebookClient(nb, kernel_name='python3', timeout=300).execute()
    finally:
        if old is not None: os.environ['MPLBACKEND'] = old
    for name, cell in zip(cases, nb.cells[1:]):
        images = [o for o in cell.outputs if 'image/png' in o.get('data', {})]
        expect_eq((name, len(images)), (name, 1))

def test_constant_maps_draw_without_warnings(ecg):
    zero = lambda model, x, target=None, layer=None: torch.zeros(len(x), 1, x.shape[-1])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        show_cam(torch.zeros(2, 1, 96), ecg.model, func_cam=zero, show=False, check=False)
        show_cam(torch.zeros(2, 1, 96), ecg.model, func_cam=zero, force_scale=False, multi_fig=True, show=False, check=False)

def test_multichannel_styles(motions):
    xb, yb = motions.dls.valid.one_batch()
    fig = show_cam((xb[:2], yb[:2]), motions.model, func_cam='grad_cam', style='heatmap', vocab=motions.dls.vocab)
    expect_eq(sum(len(a.images) for a in fig.axes), 12)          # a heatmap behind each of 6 channels of 2 series
    fig = show_cam((xb[:2], yb[:2]), motions.model, func_cam='grad_cam', style='line')
    expect_eq(sum(len(a.images) for a in fig.axes), 0)
    fig = show_cam((xb[:1], yb[:1]), motions.model, func_cam='channel_cam', scatter=True)
    expect_eq(len([a for a in fig.axes if a.get_ylabel().startswith('ch')]), 6)

def test_learner_show_cam(ecg, motions):
    fig = ecg.show_cam(n=3, method='grad_cam', cmap=CMAP.seismic)
    titles = [a.get_title() for a in fig.axes if a.get_title() and '/' in a.get_title()]
    expect_eq(len(titles), 3); assert all('(' in t for t in titles)
    fig = ecg.show_cam(top_losses=True, n=2)
    assert sum('#' in a.get_title() for a in fig.axes) == 2
    motions.show_cam(idxs=[0, 5], method='occlusion', method_kwargs=dict(window=10), show=False)

def test_views(ecg, motions):
    x = ecg.dls.valid.one_batch()[0][:1]
    fig = show_class_maps(x, ecg.model, vocab=ecg.dls.vocab)
    expect_eq(len(fig.axes), 4)   # the series, one strip per class, the colour bar
    show_class_maps(motions.dls.valid.one_batch()[0][:1], motions.model)
    show_methods(x, ecg.model, methods=['cam', 'grad_cam', 'occlusion'])
    fig = show_attention(torch.randn(1, 2, 64), CNNLSTMAttention(2, 3).eval())
    with pytest.raises(ValueError, match='one series'): show_methods(torch.randn(2, 1, 96), ecg.model)

class TinyCNN(nn.Sequential):
    def __init__(self):
        super().__init__(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))

def test_images_overlay_and_threshold(tmp_path):
    img = torch.zeros(2, 1, 16, 16); img[0, :, 2:7, 2:7] = 1
    m = TinyCNN().eval()
    expect_eq(grad_cam(m, img).shape, (2, 1, 16, 16))
    fig = show_cam(img, m, func_cam='grad_cam', threshold=0.5, savefig=tmp_path/'img.png', show=False)
    overlay = fig.axes[0].images[1].get_array()
    assert np.ma.is_masked(overlay) and overlay.mask.any()    # low activations blanked
    assert (tmp_path/'img.png').exists()

# ---- readable, honest figures -------------------------------------------------------------------------------------------

def _colorbar_labels(fig):
    return [a.get_ylabel() for a in fig.axes if a.get_label() == '<colorbar>']

def test_labelled_axes_and_one_labelled_colour_bar(ecg, motions):
    for learn, idxs in ((ecg, [0, 1, 2, 3, 4]), (motions, [0, 10])):
        fig = learn.show_cam(idxs=idxs, show=False)
        series_axes = [a for a in fig.axes if a.get_label() != '<colorbar>' and a.has_data()]
        assert all(a.get_ylabel() for a in series_axes)
        assert any(a.get_xlabel() == 'time step' for a in series_axes)
        assert _colorbar_labels(fig) == ['map / largest |map| in the figure']
        name, evidence = fig._suptitle.get_text().split(' · ')          # the method and its evidence said once, not in every title
        assert name in DISPLAY_NAMES.values() and evidence.startswith('deletion ') and ' × random' in evidence
        assert not any(name in a.get_title() or 'deletion' in a.get_title() for a in series_axes)

def test_a_flat_map_looks_flat_on_a_shared_scale():
    maps = torch.stack([torch.linspace(0.0026, 0.0036, 50), torch.linspace(0, 1, 50)])[:, None]
    own, _ = scale_maps(maps, force_scale=True)                               # the 2020 way: each map stretched to [0, 1]
    shared, lims = scale_maps(maps, force_scale='shared')
    assert own[0].max() - own[0].min() == pytest.approx(1)                    # a nearly flat map looked like strong bands
    assert shared[0].max() - shared[0].min() < 0.002 and lims == (0., 1.)
    assert scale_label('shared') == 'map / largest |map| in the figure' and scale_label(True) == 'each map scaled to its own range'

def test_report_calibration_and_class_average_colour_bar():
    from tsexplain.report import calibration, _class_average_maps
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    targets = np.array([0, 1, 0, 1])
    cal = calibration(probs, targets, n_bins=10)
    # bins: 0.9 (right), 0.8 (wrong), 0.6 (right), 0.7 (right): |1-.9| + |0-.8| + |1-.6| + |1-.7| over 4
    assert cal['ece'] == pytest.approx((0.1 + 0.8 + 0.4 + 0.3) / 4)
    fig = _class_average_maps(np.random.randn(4, 1, 20), np.random.rand(4, 1, 20), targets, ['a', 'b'])
    assert _colorbar_labels(fig) == ['mean map', 'mean map']

def test_many_channels_and_long_recordings_stay_readable():
    import torch.nn as nn
    m = nn.Sequential(nn.Conv1d(12, 8, 5, padding=2), nn.ReLU(), GAP1d(), nn.Linear(8, 3)).eval()
    x = torch.randn(1, 12, 80)
    fig = show_class_maps(x, m, show=False)                  # 12 channels piled into one panel before
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [f'ch {c}' for c in range(12)]
    fig = show_methods(x, m, methods=['grad_cam', 'occlusion', 'saliency', 'input_x_grad', 'channel_cam'], show=False)
    assert fig.get_size_inches()[1] * fig.dpi <= 1200        # 2,500 px tall before
    m1 = nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ReLU(), GAP1d(), nn.Linear(4, 2)).eval()
    rec = explain_recording(m1, np.random.default_rng(0).standard_normal(360 * 300), fs=360, model_fs=36, window_s=2)
    over = show_recording(rec, show=False)                   # 150 windows: the overview (a solid block of labels before)
    assert 'overview of 300 s' in over.axes[1].get_title() and over.axes[0].get_legend() is not None
    detail = show_recording(rec, seconds=(100, 110), show=False)
    assert 'overview' not in detail.axes[0].get_title() and detail.axes[0].get_xlabel() == 'time (s)'

def test_scatter_and_dark_colormaps_on_multichannel_series():
    "scatter=True was ignored for length-wise maps of multichannel series; on hot_r the black series line vanished in dark regions"
    import matplotlib
    m, x = FCN(3, 2).eval(), torch.randn(2, 3, 60)
    fig = show_cam(x, m, func_cam='grad_cam', scatter=True, show=False, check=False)
    assert sum(type(c).__name__ == 'PathCollection' for ax in fig.axes for c in ax.collections) == 6   # one per channel and series
    fig = show_cam(x, m, func_cam='grad_cam', cmap='hot_r', show=False, check=False)
    line = next(l for l in fig.axes[0].get_lines())
    assert any(isinstance(e, matplotlib.patheffects.withStroke) for e in line.get_path_effects())      # a white halo around it

def test_recording_overview_shows_every_flagged_window_and_costs_bins_not_windows():
    from tsexplain.show import _class_band
    from tsexplain.attribution import RecordingMaps
    rng = np.random.default_rng(0)
    fs, N = 100, 100 * 3600 * 4                                               # four hours at 100 Hz: 1,440 windows of 10 s
    t = np.arange(N) / fs
    starts = np.arange(0, N / fs - 10 + 1e-9, 10.0)
    preds = np.zeros(len(starts), int); flagged = rng.choice(len(starts), 300, replace=False); preds[flagged] = 1
    rec = RecordingMaps(t, rng.standard_normal((1, N)).astype(np.float32), rng.random((1, N), dtype=np.float32), starts, preds,
                        np.eye(2)[preds])
    band, n = _class_band(rec, t[0], t[-1], 1500, 2)
    assert n == 300
    bin_of = lambda s: int((s - t[0]) / (t[-1] - t[0]) * 1500)
    assert all(band[min(bin_of(starts[i]), 1499):bin_of(starts[i] + 10) + 1].max() == 1 for i in flagged)   # none hidden
    fig = show_recording(rec, show=False)
    assert '300 window(s) of a minority class' in fig.axes[0].get_title(loc='right')

def test_method_options_go_to_the_method():
    "show_cam(..., progress=False, n_epochs=5): the method's own options reach the method; the rest still reach matplotlib"
    import matplotlib
    from tsexplain.models import FCN
    torch.manual_seed(0)
    m, x = FCN(1, 2).eval(), torch.randn(2, 1, 40)
    fig = show_cam(x, m, func_cam='extremal_mask', progress=False, n_epochs=5, show=False, zorder=3)
    assert fig is not None
    matplotlib.pyplot.close('all')


def test_savefig_below_a_file_is_refused_by_name(tmp_path):
    "A savefig path whose folder is a file: a clear error naming the file, nothing written"
    import matplotlib.pyplot as plt
    from tsexplain.show import finish_figure
    (tmp_path/'notes.txt').write_text('keep')
    fig = plt.figure()
    with pytest.raises(ValueError, match=r"notes.txt is a file, not a folder"): finish_figure(fig, tmp_path/'notes.txt'/'maps'/'a.png', show=False)
    assert (tmp_path/'notes.txt').read_text() == 'keep'
    finish_figure(fig, tmp_path/'new'/'deeper'/'a.png', show=False)
    assert (tmp_path/'new'/'deeper'/'a.png').stat().st_size > 0
