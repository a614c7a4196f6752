"""A 24-hour two-lead recording (31 M samples) in the interactive view, measured in headless Chromium.

Prints, from one run: the time to explain the recording, to build and write the view, and to draw the static overview;
the page's size; the time to the first drawing; the redraw time of every zoom step from 24 hours down to one beat, and of
pans at the finest zoom. Goals (issue 18): redraw <= 200 ms per zoom step, the page <= 20 MB, building the view <= the
time of explaining the recording.

    OMP_NUM_THREADS=2 python bench/recording_view.py [--hours 24] [--out /tmp/holter.html]
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from browser import evaluate
from tsexplain.all import *
from tsexplain.interactive_pages import recording_view

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--hours', type=float, default=24.)
p.add_argument('--fs', type=float, default=180.)
p.add_argument('--out', default='/tmp/holter.html')
args = p.parse_args()

learn, acc = train_ts('ECG200', 'InceptionTime', epochs=15, bs=16, seed=0, progress=False, label_map={'-1': 'MI', '1': 'Normal'})
vocab, model, beat_s = list(learn.dls.vocab), learn.model.eval(), 0.8
print(f'model: InceptionTime on ECG200, test accuracy {acc:.2f}')

# the recording: ECG200 test beats one after another (5 % MI), resampled to fs; lead II a filtered, scaled copy with its own noise
Xt, yt = read_arff(untar_ts('ECG200')/'ECG200_TEST.arff')
rng = np.random.default_rng(0)
n_beats = int(args.hours * 3600 / beat_s)
is_mi = rng.random(n_beats) < 0.05
beat_ids = np.where(is_mi, rng.choice(np.flatnonzero(yt == '-1'), n_beats), rng.choice(np.flatnonzero(yt == '1'), n_beats))
per_beat = int(round(beat_s * args.fs))
grid = np.linspace(0, 95, per_beat)
templates = np.stack([np.interp(grid, np.arange(96), Xt[i, 0]) for i in range(len(Xt))]).astype(np.float32)
lead1 = templates[beat_ids].reshape(-1)
N = len(lead1)
t = np.arange(N, dtype=np.float32) / args.fs
lead1 += 0.3 * np.sin(2 * np.pi * 0.05 * t) + 0.05 * rng.standard_normal(N).astype(np.float32)
lead2 = 0.6 * np.convolve(lead1, np.ones(5) / 5, 'same').astype(np.float32) + 0.05 * rng.standard_normal(N).astype(np.float32)
print(f'recording: {args.hours:g} h, 2 leads at {args.fs:g} Hz = {2 * N / 1e6:.1f} M samples, {n_beats:,} beats ({is_mi.mean():.1%} MI)')

t0 = time.perf_counter()
rec = explain_recording(model, lead1, fs=args.fs, model_fs=96 / beat_s, window_s=beat_s, method='grad_cam', batch_size=512, progress=False)
t_explain = time.perf_counter() - t0
rec = rec._replace(signal=np.stack([lead1, lead2]))                # the model reads lead I; the view draws both leads under its map
pred_mi = rec.window_preds == vocab.index('MI')
print(f'explain_recording: {t_explain:.1f} s for {len(rec.window_starts):,} windows ({pred_mi.sum():,} predicted MI)')

t0 = time.perf_counter()
view = recording_view(rec, vocab=vocab, channel_names=['lead I', 'lead II'])
out = view.save(args.out)
t_view = time.perf_counter() - t0
size = out.stat().st_size / 1e6
t0 = time.perf_counter()
show_recording(rec, vocab=vocab, show=False)
t_static = time.perf_counter() - t0
print(f'recording_view + save: {t_view:.1f} s = {t_view / t_explain:.2f} x explaining (goal <= 1); page {size:.1f} MB (goal <= 20); '
      f'finest level {view.payload["levels"][0]["bin"] / args.fs * 1000:.0f} ms per min/max bin, {view.payload["title"]}')
print(f'static overview (show_recording, matplotlib): {t_static:.1f} s')

total = N / args.fs
mi_start = float(rec.window_starts[pred_mi][len(rec.window_starts[pred_mi]) // 2]) if pred_mi.any() else total / 2
js = """(async () => {
  const gd = document.querySelector('.js-plotly-plot'), out = [], px = gd._fullLayout._size.w;
  const marks = gd.data.filter(t => t.yaxis === 'y').reduce((n, t) => n + t.x.filter(v => v === null).length, 0);
  let a = 0, b = %f; const c = %f + 0.4;
  while (b - a > 1.2) { const h = (b - a) / 6; a = c - h; b = c + h; await gd.tsexplainZoom(a, b);
    out.push(['zoom', b - a, gd.tsexplainRedraws[gd.tsexplainRedraws.length - 1], gd.tsexplainNote]); }
  for (let i = 0; i < 5; i++) { a += 0.8; b += 0.8; await gd.tsexplainZoom(a, b);
    out.push(['pan', b - a, gd.tsexplainRedraws[gd.tsexplainRedraws.length - 1], gd.tsexplainNote]); }
  return {first: gd.tsexplainRedraws[0], marks: marks, px: px, steps: out}; })()""" % (total, mi_start)
t0 = time.perf_counter()
r = evaluate(out.resolve().as_uri(), js, timeout=300, screenshot=str(out.with_suffix('.png')),
             settle="(() => { const g = document.querySelector('.js-plotly-plot'); return !!(g && g.tsexplainRedraws && g.tsexplainRedraws.length); })()")
print(f'Chromium: page opened and first drawn in {time.perf_counter() - t0:.1f} s (the first draw itself {r["first"]:.0f} ms); '
      f'{r["marks"]:,} mark segments in the 24-h view ({r["px"]} px wide)')
print(f'{"step":>5} {"seconds in view":>16} {"redraw ms":>10}  drawn at')
for kind, span, ms, note in r['steps']: print(f'{kind:>5} {span:16,.1f} {ms:10.0f}  {note}')
ms = np.array([s[2] for s in r['steps']])
print(f'redraw: median {np.median(ms):.0f} ms, max {ms.max():.0f} ms over {len(ms)} steps (goal <= 200 ms per zoom step)')
