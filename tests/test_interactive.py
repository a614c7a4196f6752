"""Interactive views (plotly): built from a learner like the static figures, written as one offline HTML file, and rendered
by headless Chromium with the traces of the first method drawn."""
import re, sys
import numpy as np
import pytest
import torch
from torch import nn
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

SETTLED = "(() => { const g = document.querySelector('.js-plotly-plot'); return !!(g && g.tsexplainRedraws && g.tsexplainRedraws.length); })()"

@pytest.fixture(scope='module')
def recording(planted):
    "A 3-channel recording stitched from the validation series (tiled: too long for the page at full resolution), explained window by window"
    x, _ = dl_batch(planted.dls.valid, n=40)
    signal = np.tile(x.permute(1, 0, 2).reshape(3, -1).numpy(), 20)           # (3, 48,000): 800 windows of 60 samples
    return explain_recording(planted.model, signal, fs=60, model_fs=60, window_s=1, method='grad_cam', standardize=False, progress=False)

def test_recording_view_zooms_to_full_resolution_in_chromium(recording, tmp_path):
    from browser import evaluate
    from tsexplain.interactive_pages import recording_view
    view = recording_view(recording, vocab=['absent', 'present'], max_mb=5.3)
    P, out = view.payload, view.save(tmp_path/'rec.html')
    assert P['levels'][0]['bin'] > 1 and out.stat().st_size <= 5.3e6 and not list(tmp_path.glob('*.tmp'))
    counts = np.bincount(recording.window_preds, minlength=2)
    minority = int(counts.argmin()); assert counts[minority] > 0
    covered = [s for s in recording.window_starts[recording.window_preds == minority]
               if any(d['start'] <= s * 60 and (s + 1) * 60 <= d['start'] + d['n'] for d in P['detail'])]
    assert 0 < len(covered) < counts[minority]                   # the budget holds some flagged windows at full resolution, not all
    target = float(covered[len(covered) // 2])
    steps = evaluate(out.as_uri(), """(async () => {
      const gd = document.querySelector('.js-plotly-plot'), N = %d / %f, px = gd._fullLayout._size.w, out = [];
      const marks = gd.data.filter(t => t.yaxis === 'y');
      out.push({level: gd.tsexplainLevel, traces: gd.data.length, widths: marks.flatMap(t => { const w = [];
        for (let i = 0; i + 1 < t.x.length; i += 3) w.push([t.x[i], t.x[i + 1], (t.x[i + 1] - t.x[i]) / N * px]); return w; })});
      let a = 0, b = N;
      for (let i = 0; i < 6; i++) { const h = (b - a) / 6; a = %f + 0.5 - h; b = %f + 0.5 + h; await gd.tsexplainZoom(a, b);
        out.push({level: gd.tsexplainLevel, traces: gd.data.length, note: gd.tsexplainNote}); }
      const raw = gd.data.find(t => t.name === 'channel 0 (full resolution)');
      out.push({rawx: raw.x.slice(0, 50), rawy: raw.y.slice(0, 50)});
      const before = gd.tsexplainRedraws.length;
      await Plotly.relayout(gd, {'xaxis.range': [0, N / 2]}); await new Promise(r => setTimeout(r, 300));
      out.push({redrawn: gd.tsexplainRedraws.length - before, ms: gd.tsexplainRedraws});
      return out; })()""" % (len(recording.time), 60., target, target), settle=SETTLED, screenshot=tmp_path/'rec.png')
    first, zooms, raw, relayout = steps[0], steps[1:-2], steps[-2], steps[-1]
    assert first['traces'] == 1 + 3 * 4 and first['level'] == P['levels'][-1]['bin']           # marks + (map, min, max, full) x 3
    spans = np.array([w[:2] for w in first['widths']])
    assert min(w[2] for w in first['widths']) >= 2.9                                             # every mark >= 3 px wide
    flagged = recording.window_starts[recording.window_preds == minority]
    assert all(((spans[:, 0] <= s + 1) & (spans[:, 1] >= s)).any() for s in flagged)             # and every flagged window marked
    levels = [z['level'] for z in zooms]
    assert levels == sorted(levels, reverse=True) and levels[-1] == 1 and 'full resolution' in zooms[-1]['note']
    xs = np.array([v for v in raw['rawx'] if v is not None]); ys = np.array([v for v in raw['rawy'] if v is not None])
    idx = np.round(xs * 60).astype(int)
    np.testing.assert_allclose(ys, recording.signal[0, idx], atol=P['step'][0])                  # the samples themselves
    assert relayout['redrawn'] == 1                                                              # a zoom from the toolbar redraws
    print('redraw ms per zoom step:', [round(m) for m in relayout['ms']])

def test_recording_view_without_a_budget_for_data_says_so(recording):
    from tsexplain.interactive_pages import recording_view
    with pytest.raises(ValueError, match='raise it'): recording_view(recording, max_mb=4)
    with pytest.raises(ValueError, match='channel_names'): recording_view(recording, channel_names=['a'])

def test_explore_sorts_filters_and_draws_in_chromium(planted, tmp_path):
    from browser import evaluate
    view = planted.explore(methods=['channel_cam', 'occlusion'], savefig=tmp_path/'explore.html', progress=False)
    P = view.payload
    assert len(P['rows']) == len(planted.dls.valid.dataset) and [c['key'] for c in P['columns']] == ['index', 'label', 'pred', 'conf', 'loss', 'correct']
    assert [m['label'].split(' · ')[0] for m in P['methods']] == ['channel-CAM', 'Occlusion'] and all('× random' in m['label'] for m in P['methods'])
    r = evaluate((tmp_path/'explore.html').as_uri(), """(async () => {
      const root = document.querySelector('.tsx-explore'), gd = root.querySelector('.js-plotly-plot'), out = {};
      root.tsexplain.sort('conf'); out.byConf = root.tsexplain.shown();
      const only = root.querySelector('input'); only.checked = true; only.dispatchEvent(new Event('change')); out.errors = root.tsexplain.shown();
      only.checked = false; only.dispatchEvent(new Event('change'));
      root.querySelector('tbody tr:nth-child(3)').click(); await new Promise(r => setTimeout(r, 200));
      out.title = gd.layout.title.text; out.traces = gd.data.length; out.colours0 = Array.from(gd.data[0].marker.color);
      const pick = root.querySelector('select'); pick.value = '1'; pick.dispatchEvent(new Event('change')); await new Promise(r => setTimeout(r, 200));
      out.colours1 = Array.from(gd.data[0].marker.color); out.options = Array.from(pick.options).map(o => o.textContent);
      return out; })()""", settle="!!document.querySelector('.tsx-explore .js-plotly-plot')", screenshot=tmp_path/'explore.png')
    conf = [P['rows'][i]['conf'] for i in r['byConf']]
    assert conf == sorted(conf) and sorted(r['errors']) == [i for i, row in enumerate(P['rows']) if not row['correct']]
    third = P['rows'][r['byConf'][2]]
    assert r['title'].startswith(f"#{third['index']}: {third['label']} / {third['pred']}") and r['traces'] == 3
    assert r['colours1'] != r['colours0'] and r['options'] == [m['label'] for m in P['methods']]
    assert (tmp_path/'explore.png').stat().st_size > 20_000

def test_explore_caps_the_series_it_carries(planted):
    view = planted.explore(max_series=7, check=False, show=False, progress=False)
    assert len(view.payload['rows']) == 7 and 'of 40 series' in view.payload['note'] and view.payload['rows'][-1]['index'] == 39

def test_class_maps_have_a_class_selector(planted):
    x, _ = dl_batch(planted.dls.valid, n=1)
    fig = show_class_maps(x, planted.model, vocab=['absent', 'present'], interactive=True, show=False)
    labels = [b.label.lstrip('⚠ ') for b in fig.layout.updatemenus[0].buttons]
    assert len(fig.data) == 2 * 3 and [l.split(' (')[0] for l in labels] == ['absent', 'present'] and all('× random' in l for l in labels)

def test_scales_and_missing_values_as_the_static_figure():
    x, m = torch.randn(2, 1, 20), torch.rand(2, 1, 20) * torch.tensor([1., 10.])[:, None, None]
    colours = lambda fig: [np.abs(np.asarray(t.marker.color, dtype=float)).max() for t in fig.data]
    np.testing.assert_allclose(colours(interactive_maps(x, {'m': m}, scale='series')), [1, 1], rtol=1e-6)   # each series its own
    shared = colours(interactive_maps(x, {'m': m}))
    assert shared[1] == pytest.approx(1) and shared[0] < 0.2                                     # one scale: the weak map looks weak
    fig = interactive_maps(x, {'m': m}, scale='none')
    assert fig.layout.coloraxis.cmax == pytest.approx(float(m.max())) and 'map value' in fig.layout.coloraxis.colorbar.title.text
    missing = torch.zeros(2, 1, 20, dtype=torch.bool); missing[0, 0, 5:9] = True
    y = np.asarray(interactive_maps(x, {'m': m}, missing=missing).data[0].y, dtype=float)
    assert np.isnan(y[5:9]).all() and not np.isnan(np.delete(y, range(5, 9))).any()            # gaps where values are missing
    with pytest.raises(ValueError, match='scale must be'): interactive_maps(x, {'m': m}, scale='per series')

def test_hover_names_step_value_and_map_in_chromium(planted, tmp_path):
    "Hover by script on the saved view: the label gives the time step, the series' value there and the map's value there"
    from browser import evaluate
    x, _ = dl_batch(planted.dls.valid, n=1)
    fig = show_cam(x, planted.model, func_cam='channel_cam', interactive=True, show=False, savefig=tmp_path/'hover.html')
    text = evaluate((tmp_path/'hover.html').as_uri(), """(async () => { const gd = document.querySelector('.js-plotly-plot');
      Plotly.Fx.hover(gd, [{curveNumber: 1, pointNumber: 17}]); await new Promise(r => setTimeout(r, 100));
      return document.querySelector('.hoverlayer .hovertext').textContent; })()""", settle="!!document.querySelector('.js-plotly-plot .main-svg')")
    value, mapped = float(x[0, 1, 17]), float(fig.data[1].customdata[17])
    assert 'channel 1' in text and 'step 17' in text and f'value {value:.4g}' in text and f'channel-CAM: {mapped:.3f}' in text, text

def test_explore_raw_series_with_their_labels(planted):
    X, y, _ = make_planted_dataset(12, channels=3, length=60, window=12, seed=1)
    view = planted.explore(X, y=y, methods='channel_cam', check=False, show=False, progress=False)
    vocab = list(planted.dls.vocab)
    assert [r['label'] for r in view.payload['rows']] == [str(v) for v in y] and len(view.payload['rows']) == 12
    with pytest.raises(ValueError, match='not classes of this learner'): planted.explore(X, y=['cat'] * 12, show=False)
    with pytest.raises(ValueError, match='12 series'): planted.explore(X, y=y[:3], show=False)

ATTACK = '<img src=x onerror="window.__pwned=(window.__pwned||0)+1">'

def test_strings_from_data_never_run_as_markup(tmp_path):
    "Class, channel, method names, titles and notes read from a user's files reach the pages as text: nothing in them runs (Chromium)"
    from browser import evaluate
    from tsexplain.interactive_pages import explore_page, recording_view
    x, m = torch.randn(3, 2, 30), torch.randn(3, 2, 30)
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    pages = {
        'explore': explore_page(x, {ATTACK + 'method': m}, probs, y=[0, 1, 1], vocab=[ATTACK + 'A', '</script><script>window.__pwned=9</script>'],
                                channel_names=[ATTACK + 'ch0', 'ch1'], note=ATTACK + 'note'),
        'maps': interactive_maps(x[:2], {ATTACK + 'method': m[:2]}, titles=[ATTACK, 'b'], channel_names=[ATTACK, 'c1']),
    }
    rec = explain_recording(FCN(2, 2).eval(), np.random.randn(2, 600).astype(np.float32), fs=10, model_fs=10, window_s=10,
                            method='grad_cam', progress=False)
    pages['recording'] = recording_view(rec, vocab=[ATTACK, 'b'], channel_names=[ATTACK, 'c1'], title=ATTACK)
    window_model = declare_output(nn.Sequential(nn.Flatten(), nn.Linear(60, 2)).eval(), 'logits')
    cf = native_guide(window_model, x, torch.randn(20, 2, 30), map_method='occlusion')
    pages['counterfactuals'] = show_counterfactuals(cf, vocab=[ATTACK + 'A', ATTACK + 'B'], interactive=True, show=False)
    for name, page in pages.items():
        f = tmp_path/f'{name}.html'
        if hasattr(page, 'save'): page.save(f)
        else: page.write_html(str(f), include_plotlyjs=True)
        r = evaluate(f.as_uri(), """(async () => { await new Promise(r => setTimeout(r, 300));
            return {pwned: window.__pwned || 0, imgs: document.querySelectorAll('img').length, text: document.body.innerText}; })()""",
                     settle="!!document.querySelector('.js-plotly-plot')")
        assert r['pwned'] == 0 and r['imgs'] == 0, f'{name}: markup from data ran'
        if name == 'explore': assert '<img src=x' in r['text'] and '</script><script>' in r['text']   # shown, as text

def test_explore_a_regression_learner_sorts_by_error_in_chromium(tmp_path):
    "learn.explore() on a regressor: true value, prediction and |error| in the table, the worst first, titles 'ŷ = … (true …)'"
    from browser import evaluate
    dls = TSDataLoaders.from_dsname('Covid3Month', bs=32)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(16, 16, 16)))
    view = learn.explore(methods='grad_cam', savefig=tmp_path/'reg.html', show=False, progress=False)
    P = view.payload
    assert P['regression'] and [c['key'] for c in P['columns']] == ['index', 'label', 'pred', 'error'] and 'probs' not in str(P['columns'])
    r = evaluate((tmp_path/'reg.html').as_uri(), """(async () => {
      const root = document.querySelector('.tsx-explore'), gd = root.querySelector('.js-plotly-plot');
      root.tsexplain.sort('error'); root.tsexplain.sort('error'); const worst = root.tsexplain.shown()[0];
      root.querySelector('tbody tr:nth-child(1)').click(); await new Promise(r => setTimeout(r, 200));
      return {worst: worst, title: gd.layout.title.text}; })()""", settle="!!document.querySelector('.tsx-explore .js-plotly-plot')")
    errors = [row['error'] for row in P['rows']]
    assert r['worst'] == int(np.argmax(errors)) and r['title'].startswith(f"#{P['rows'][r['worst']]['index']}: ŷ = ") and '(true ' in r['title']

def test_horizon_maps_interactive_in_chromium(tmp_path):
    "show_horizon_maps(interactive=True): each series' input and its forecast step × time heat map, offline, drawn by Chromium"
    from browser import render
    from tsexplain.show import show_horizon_maps
    m = declare_output(FCN(1, 4, layers=(8, 8, 8)).eval(), 'regression')
    x = torch.randn(2, 1, 30)
    fig = show_horizon_maps(x, m, method='grad_cam', interactive=True, savefig=tmp_path/'h.html', show=False)
    assert sum(t.type == 'heatmap' for t in fig.data) == 2 and sum(t.type == 'scatter' for t in fig.data) == 2
    assert 'Grad-CAM of each forecast step' in fig.layout.title.text
    dom = render((tmp_path/'h.html').as_uri(), size=(1000, 900))
    assert 'main-svg' in dom and dom.count('class="hm"') + dom.count('heatmaplayer') >= 1

def test_a_regression_page_with_a_true_value_that_is_not_finite_still_draws(tmp_path):
    "The token NaN is not JSON: the page was blank. Non-finite values travel as null and show as '—' and 'not finite'"
    from browser import evaluate
    dls = TSDataLoaders.from_dsname('Covid3Month', bs=32)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    view = learn.explore(methods='grad_cam', show=False, progress=False)
    view.payload['rows'][0]['label'] = float('nan'); view.payload['rows'][0]['error'] = float('inf')
    view.save(tmp_path/'nan.html')
    assert 'NaN' not in (tmp_path/'nan.html').read_text().split('tsx-data-')[1][:200_000].split('</script>')[0]
    r = evaluate((tmp_path/'nan.html').as_uri(), """(async () => {
      const root = document.querySelector('.tsx-explore'), gd = root.querySelector('.js-plotly-plot');
      const row = [...root.querySelectorAll('tbody tr')].find(tr => +tr.dataset.i === 0); row.click();
      await new Promise(r => setTimeout(r, 200));
      return {title: gd.layout.title.text, cells: [...row.children].map(td => td.textContent)}; })()""",
                 settle="!!document.querySelector('.tsx-explore .js-plotly-plot')")
    assert '(true not finite)' in r['title'] and '—' in r['cells'], r

def test_forecast_interactive_in_chromium(tmp_path):
    "learn.show_forecast(interactive=True): the history in the user's units, the forecast and the truth after it, the step maps below; drawn by Chromium"
    from browser import render
    series = (100 + 10 * np.sin(np.arange(300) / 5)).astype(np.float32)
    dls = TSDataLoaders.from_series(series, lookback=20, horizon=3, bs=16)
    learn = ts_learner(dls, FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    fig = learn.show_forecast([0, 5], method='saliency', interactive=True, savefig=tmp_path/'f.html', show=False, check=False)
    lines = {t.name: t for t in fig.data if t.type == 'scatter' and t.showlegend is not False}
    assert set(lines) == {'forecast', 'truth'} and sum(t.type == 'heatmap' for t in fig.data) == 2
    history = next(t for t in fig.data if t.name == 'history')
    start = dls.forecast['valid_starts'][0]
    np.testing.assert_allclose(history.y, series[start:start + 20], atol=1e-3)            # the user's units
    assert list(history.x) == list(range(-19, 1)) and list(lines['truth'].x) == [0, 1, 2, 3]
    np.testing.assert_allclose(lines['truth'].y[1:], series[start + 20:start + 23], atol=1e-3)
    dom = render((tmp_path/'f.html').as_uri(), size=(1000, 900))
    assert 'main-svg' in dom and 'forecast' in dom
