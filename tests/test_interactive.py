"""Interactive views (plotly): built from a learner like the static figures, written as one offline HTML file, and rendered
by headless Chromium with the traces of the first method drawn."""
import re, sys
import numpy as np
import pytest
import torch
pytest.importorskip('plotly')
from tsexplain.all import *
from tsexplain.interactive import interactive_view, interactive_maps

@pytest.fixture(scope='module')
def planted():
    X, y, _ = make_planted_dataset(160, channels=3, length=60, window=12, seed=0)
    dls = TSDataLoaders.from_arrays(X, y, bs=32, valid_pct=0.25, seed=0, normalize=None)
    learn = ts_learner(dls, FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(3, 3e-3)
    return learn

def test_learner_view_renders_offline_in_chromium(planted, tmp_path):
    from browser import render
    out = tmp_path/'view.html'
    fig = planted.show_cam(n=2, method=['channel_cam', 'occlusion'], interactive=True, savefig=out)
    assert len(fig.data) == 2 * 2 * 3 and sum(bool(t.visible) for t in fig.data) == 6     # methods x series x channels
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert [l.split(' · ')[0].lstrip('⚠ ') for l in labels] == ['channel-CAM', 'Occlusion'] and all('× random' in l for l in labels)
    html = out.read_text()
    assert not re.search(r'<script[^>]+src=', html) and not list(tmp_path.glob('*.tmp'))   # nothing fetched, nothing half-written
    dom = render(out.as_uri(), screenshot=tmp_path/'view.png', size=(1200, 800))
    assert 'main-svg' in dom and dom.count('class="trace scatter') == 6                  # the first method's traces, drawn
    assert 'channel-CAM' in dom and 'channel 2' in dom                                   # the selector and the legend
    assert (tmp_path/'view.png').stat().st_size > 20_000

def test_one_method_titles_its_evidence(planted):
    x, _ = dl_batch(planted.dls.valid, n=3)
    fig = show_cam(x, planted.model, func_cam='grad_cam', interactive=True, show=False)
    assert fig.layout.title.text.startswith('Grad-CAM · deletion ') and not fig.layout.updatemenus
    assert fig.data[0].hovertemplate.count('%{') == 3                                    # step, value, map value

def test_show_methods_leaves_out_what_does_not_apply(planted):
    x, _ = dl_batch(planted.dls.valid, n=1)
    with pytest.warns(UserWarning, match='left out'):
        fig = show_methods(x, planted.model, methods=['grad_cam', 'attention_relevance'], interactive=True, show=False)
    assert len(fig.data) == 3 and not fig.layout.updatemenus

def test_without_plotly_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'plotly', None)
    monkeypatch.setitem(sys.modules, 'plotly.graph_objects', None)
    with pytest.raises(ImportError, match=r'tsexplain\[interactive\]'):
        interactive_maps(torch.zeros(1, 1, 10), {'m': torch.zeros(1, 1, 10)})

def test_bad_inputs_are_refused(planted):
    with pytest.raises(ValueError, match='must be'): interactive_maps(torch.zeros(2, 3, 10), {'m': torch.zeros(2, 2, 10)})
    with pytest.raises(ValueError, match='at least one map'): interactive_maps(torch.zeros(2, 3, 10), {})
    with pytest.raises(ValueError, match='saved as .html'):
        interactive_view(torch.zeros(1, 3, 60), planted.model, 'grad_cam', savefig='view.png', check=False)
