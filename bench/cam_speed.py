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
  peak RSS growth streaming 10k / 1k series through learn.explain(save=...)  <= 1.10 (beside a non-streaming control)
Run: python bench/cam_speed.py [--bs 256] [--reps 7] [--threads 2]
"""
import argparse, statistics, subprocess, sys, time
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
        for stream in (True, False):
            rss = {n: statistics.median(peak_rss_child(n, stream) for _ in range(3)) for n in (1000, 10000)}   # median of 3 processes
            r = rss[10000] / max(rss[1000], 1)
            label = ('peak RSS growth, learn.explain streaming to .npz, 10k / 1k series' if stream else
                     'control: peak RSS growth, maps returned in memory, 10k / 1k series (grows)')
            rows.append((label, rss[10000], rss[1000], r, 1.10 if stream else float('inf')))
            print(f'{label}: {rss[10000] / 1e3:.0f} MB / {rss[1000] / 1e3:.0f} MB = {r:.2f}')

    print(f'\nInceptionTime, batch {a.bs} x 1 x 96, {a.device}, {a.threads} threads, median of {a.reps}\n')
    print('| ratio | ours (ms) | reference (ms) | ratio | goal |\n|---|---:|---:|---:|---:|')
    for name, ta, tb, r, goal in rows:
        unit = 1e-3 if 'RSS' in name else 1e3   # RSS rows are in kB, shown in MB
        verdict, goal_txt = ('', '—') if goal == float('inf') else (' ✓' if r <= goal else ' ✗', f'≤ {goal}')
        print(f'| {name} | {ta * unit:.1f} | {tb * unit:.1f} | {r:.3f}{verdict} | {goal_txt} |')

def peak_rss_child(n: int, stream: bool = True) -> int:
    """Growth of resident memory (kB) while a fresh process explains n series (16 channels x 96 steps, saliency maps)
    through learn.explain: the peak of VmRSS sampled every 2 ms during the call, minus VmRSS just before it. The data
    are loaded before the baseline, so what is measured is what explaining adds: with `stream` the maps go to an .npz
    batch by batch; without it they are returned in memory (the control, which grows with n)."""
    code = f"""
import tempfile, threading, time, numpy as np, torch
from tsexplain.all import *
def rss_kb(): return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])
torch.manual_seed(0); torch.set_num_threads(2)
X = np.random.default_rng(0).normal(size=({n}, 16, 96)).astype('float32'); y = np.array(['a', 'b'] * ({n} // 2))
dls = TSDataLoaders.from_arrays(X[:64], y[:64], X, y, bs=64, normalize=None)
warm = TSDataLoaders.from_arrays(X[:64], y[:64], X[:256], y[:256], bs=64, normalize=None)
learn = ts_learner(dls, FCN, seed=0)
del X, y
for _ in range(2): learn.explain(dl=warm.valid, method='saliency', save=tempfile.mkdtemp() + '/warm.npz', progress=False)   # warm-up: allocator pools, lazy imports
peak, done = [0], threading.Event()
def watch():
    while not done.is_set(): peak[0] = max(peak[0], rss_kb()); time.sleep(0.002)
with tempfile.TemporaryDirectory() as d:
    before = rss_kb(); t = threading.Thread(target=watch); t.start()
    res = learn.explain(method='saliency', save=(d + '/maps.npz') if {stream} else None, progress=False)
    done.set(); t.join()
print(max(peak[0], rss_kb()) - before)
"""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    return int(out.strip().splitlines()[-1])

if __name__ == '__main__': main()
