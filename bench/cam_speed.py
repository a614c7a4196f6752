"""Speed of the explanation engine, as ratios measured side by side in one run (machines here are shared and noisy).

InceptionTime (ECG200 shape: 1 channel x 96 steps). Each row times its two sides alternately, `--reps` times, and
reports the ratio of the medians. Goals (issue 3):
  all-class CAM / no-grad forward            <= 1.10
  Grad-CAM / no-grad forward                 <= 1.35
  Grad-CAM / captum LayerGradCam             <= 0.65
  batched Grad-CAM / per-sample loop         <= 0.30
  Score-CAM / torchcam ScoreCAM              <= 1.00
and (issue 6):
  Score-CAM / its raw (1 + K) x B forwards   <= 1.20
  occlusion / the raw forwards of its perturbations <= 1.20
  peak RSS streaming 10k / 1k series through learn.explain(save=...)  <= 1.10
Run: python bench/cam_speed.py [--bs 256] [--reps 7] [--threads 2]
"""
import argparse, os, resource, statistics, subprocess, sys, tempfile, time
import numpy as np
import torch

from tsexplain.models import InceptionTime
from tsexplain.cam import cam, grad_cam, score_cam

def timed(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0

def side_by_side(fa, fb, reps):
    "Median seconds of fa and fb, timed alternately after one warm-up each"
    fa(); fb()
    ta, tb = [], []
    for _ in range(reps):
        ta.append(timed(fa)); tb.append(timed(fb))
    return statistics.median(ta), statistics.median(tb)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--bs', type=int, default=256)
    p.add_argument('--score_bs', type=int, default=16, help='batch for the Score-CAM row ((1 + 128) forwards per series)')
    p.add_argument('--reps', type=int, default=7)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--no-rss', dest='rss', action='store_false', help='skip the streaming memory measurement')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)
    m = InceptionTime(1, 2).to(dev).eval()
    x = torch.randn(a.bs, 1, 96, device=dev)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == 'cuda' else (lambda: None)
    def run(f): return lambda: (f(), sync())

    def forward():
        with torch.no_grad(): m(x)
    rows = []
    def row(name, fa, fb, goal):
        ta, tb = side_by_side(run(fa), run(fb), a.reps)
        rows.append((name, ta, tb, ta / tb, goal))
        print(f'{name:<40} {ta * 1e3:9.1f} ms {tb * 1e3:9.1f} ms  ratio {ta / tb:5.2f}  (goal <= {goal})', flush=True)

    from captum.attr import LayerGradCam, LayerAttribution
    lgc = LayerGradCam(m, m[5])
    t = m(x).argmax(1).detach()
    def captum_gc():
        r = lgc.attribute(x, target=t, relu_attributions=True)
        LayerAttribution.interpolate(r, (96,), interpolate_mode='linear')
    def per_sample():
        for i in range(len(x)): grad_cam(m, x[i:i + 1])

    row('all-class CAM / no-grad forward', lambda: cam(m, x, target='all'), forward, 1.10)
    row('Grad-CAM / no-grad forward', lambda: grad_cam(m, x), forward, 1.35)
    row('Grad-CAM / captum LayerGradCam', lambda: grad_cam(m, x), captum_gc, 0.65)
    row('batched Grad-CAM / per-sample loop', lambda: grad_cam(m, x), per_sample, 0.30)

    from torchcam.methods import ScoreCAM
    xs = x[:a.score_bs]
    def torchcam_score():
        with ScoreCAM(m, target_layer=m[5], batch_size=256) as ext:
            out = m(xs)
            ext(class_idx=out.argmax(1).tolist(), scores=out)
    row(f'Score-CAM / torchcam ScoreCAM (B={a.score_bs})', lambda: score_cam(m, xs, batch_size=256, progress=False), torchcam_score, 1.00)

    def raw_forwards(n_series):
        "n_series forwards of ECG200-shaped inputs, in batches of 256, no grad"
        def f():
            with torch.no_grad():
                for s in range(0, n_series, 256): m(x[:min(256, n_series - s)])
        return f
    K = m[5].module.bn_relu[0].num_features
    row(f'Score-CAM / raw (1 + {K}) x B forwards (B={a.score_bs})', lambda: score_cam(m, xs, batch_size=256, progress=False),
        raw_forwards((1 + K) * a.score_bs), 1.20)
    from tsexplain.attribution import occlusion
    xo = x[:16]
    n_pert = (96 - 8) // 4 + 1
    row(f'occlusion / raw forwards of its perturbations (B=16, {n_pert} windows)',
        lambda: occlusion(m, xo, window=8, stride=4, batch_size=256, progress=False), raw_forwards(16 * (1 + n_pert)), 1.20)

    if a.rss:
        rss = {n: peak_rss_child(n) for n in (1000, 10000)}
        r = rss[10000] / rss[1000]
        rows.append(('peak RSS, learn.explain streaming 10k / 1k series', rss[10000], rss[1000], r, 1.10))
        print(f'peak RSS streaming 10k / 1k: {rss[10000] / 1e3:.0f} MB / {rss[1000] / 1e3:.0f} MB = {r:.3f} (goal <= 1.1)')

    print(f'\nInceptionTime, batch {a.bs} x 1 x 96, {a.device}, {a.threads} threads, median of {a.reps}\n')
    print('| ratio | ours (ms) | reference (ms) | ratio | goal |\n|---|---:|---:|---:|---:|')
    for name, ta, tb, r, goal in rows:
        unit = 1e-3 if 'RSS' in name else 1e3   # RSS rows are in kB, shown in MB
        print(f'| {name} | {ta * unit:.1f} | {tb * unit:.1f} | {r:.2f} {"✓" if r <= goal else "✗"} | ≤ {goal} |')

def peak_rss_child(n: int) -> int:
    "Peak resident memory (kB) of a fresh process that streams n series through learn.explain into an .npz"
    code = f"""
import resource, tempfile, numpy as np, torch
from tsexplain.all import *
torch.manual_seed(0)
X = np.random.default_rng(0).normal(size=({n}, 1, 96)).astype('float32'); y = np.array(['a', 'b'] * ({n} // 2))
dls = TSDataLoaders.from_arrays(X[:64], y[:64], X, y, bs=256)
learn = ts_learner(dls, FCN, seed=0)
del X, y
with tempfile.TemporaryDirectory() as d: learn.explain(method='grad_cam', save=d + '/maps.npz', progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])

if __name__ == '__main__': main()
