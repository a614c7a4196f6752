"""Speed of the explanation engine, as ratios measured side by side in one run (machines here are shared and noisy).

InceptionTime (ECG200 shape: 1 channel x 96 steps). Each row times its two sides alternately, `--reps` times, and
reports the ratio of the medians. Goals (issue 3):
  all-class CAM / no-grad forward            <= 1.10
  Grad-CAM / no-grad forward                 <= 1.35
  Grad-CAM / captum LayerGradCam             <= 0.65
  batched Grad-CAM / per-sample loop         <= 0.30
  Score-CAM / torchcam ScoreCAM              <= 1.00
Run: python bench/cam_speed.py [--bs 256] [--reps 7] [--threads 2]
"""
import argparse, statistics, time
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

    print(f'\nInceptionTime, batch {a.bs} x 1 x 96, {a.device}, {a.threads} threads, median of {a.reps}\n')
    print('| ratio | ours (ms) | reference (ms) | ratio | goal |\n|---|---:|---:|---:|---:|')
    for name, ta, tb, r, goal in rows:
        print(f'| {name} | {ta * 1e3:.1f} | {tb * 1e3:.1f} | {r:.2f} {"✓" if r <= goal else "✗"} | ≤ {goal} |')

if __name__ == '__main__': main()
