"""Explaining at scale, as ratios measured side by side in one run (this machine is shared and noisy):

  1. learn.explain(grad_cam) / plain no-grad inference over the same series (goal <= 1.4), beside the old two-pass cost
  2. the same `tsexplain explain` job on 2 processes x 1 thread (torchrun, gloo) vs 1 process x 1 thread (goal: >= 1.7)
  3. peak RSS growth explaining 10x more series from a memory-mapped .npy into Zarr (goal: <= 1.1)
  4. a 24-hour two-lead recording at 360 Hz through explain_recording: peak RSS growth and windows/s
  5. GPU series/s (fp32, bf16) when one is available

    OMP_NUM_THREADS=1 python bench/explain_scale.py            # the full sizes (20,000 series; 10^5 vs 10^6; 24 h)
    OMP_NUM_THREADS=1 python bench/explain_scale.py --quick    # smaller sizes, same rows
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

def child(code: str) -> dict:
    "Run `code` in a fresh 1-thread process; it prints one JSON line"
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    if r.returncode: raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])

PRELUDE = """
import json, resource, time, warnings; warnings.filterwarnings('ignore')
import numpy as np, torch
torch.set_num_threads(1)
from tsexplain.all import *
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # MB, peak so far
"""

def one_pass_row(n: int, reps: int = 3):
    code = PRELUDE + f"""
X = np.random.default_rng(0).standard_normal(({n}, 1, 96)).astype(np.float32)
dls = TSDataLoaders.from_arrays(X, np.array(['a', 'b'] * ({n} // 2)), X[:256], np.array(['a', 'b'] * 128), bs=256)
learn = ts_learner(dls, FCN, seed=0)
dl = dls.train.new(shuffle=False, drop_last=False)
def infer():
    with torch.no_grad():
        for xb, _ in dl: learn.model.eval()(xb.as_subclass(torch.Tensor))
def two_pass():
    for xb, _ in dl:
        grad_cam(learn.model, xb)
        with torch.no_grad(): learn.model.eval()(xb.as_subclass(torch.Tensor))
res = {{'infer': [], 'explain': [], 'two_pass': []}}
for _ in range({reps}):
    for k, f in (('infer', infer), ('explain', lambda: learn.explain(dl, method='grad_cam', progress=False)), ('two_pass', two_pass)):
        t0 = time.perf_counter(); f(); res[k].append(time.perf_counter() - t0)
print(json.dumps({{k: float(np.median(v)) for k, v in res.items()}}))
"""
    t = child(code)
    return t['explain'] / t['infer'], t['two_pass'] / t['infer'], t

def make_run(d: Path, n: int, L: int):
    code = PRELUDE + f"""
X = np.random.default_rng(0).standard_normal((64, 1, {L})).astype(np.float32)
learn = ts_learner(TSDataLoaders.from_arrays(X, np.array(['a', 'b'] * 32), X, np.array(['a', 'b'] * 32), bs=32), FCN, seed=0)
save_ts_model(learn, '{d}/model.safetensors')
np.save('{d}/series.npy', np.random.default_rng(1).standard_normal(({n}, 1, {L})).astype(np.float32))
print(json.dumps({{}}))
"""
    child(code)

def processes_row(n: int, d: Path):
    "Speed-up of 2 processes over 1 on the whole job, and on its work alone (each launch's fixed cost, measured on a 2-chunk job, taken off)"
    make_run(d, n, 96)
    np.save(d/'tiny.npy', np.load(d/'series.npy', mmap_mode='r')[:2048])
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    def timed(pre, data, out):
        t0 = time.perf_counter()
        subprocess.run(pre + ['-m', 'tsexplain.cli', 'explain', str(d), '--data', str(d/data), '--out', str(d/out),
                              '--chunk', '1024'], check=True, env=env, capture_output=True)
        return time.perf_counter() - t0
    single, torchrun = [sys.executable], [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2']
    fixed1, fixed2 = timed(single, 'tiny.npy', 'tiny1.zarr'), timed(torchrun, 'tiny.npy', 'tiny2.zarr')
    one, two = timed(single, 'series.npy', 'one.zarr'), timed(torchrun, 'series.npy', 'two.zarr')
    return one / two, one, two, fixed1, fixed2

def memory_row(n_small: int, n_big: int, d: Path, L: int = 500):
    grow = {}
    for n in (n_small, n_big):
        mm = np.lib.format.open_memmap(d/f'big{n}.npy', mode='w+', dtype=np.float32, shape=(n, 1, L))   # written, never in RAM whole
        mm[:] = 1.; mm.flush(); del mm
        code = PRELUDE + f"""
import torch.nn as nn
m = nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ReLU(), GAP1d(), nn.Linear(4, 2))
X = np.zeros((8, 1, {L}), np.float32)
learn = Learner(TSDataLoaders.from_arrays(X, ['a', 'b'] * 4, X, ['a', 'b'] * 4, bs=8, normalize=None), m)
explain_to_zarr(learn, '{d}/big{n_small}.npy', '{d}/warm{n}.zarr', chunk=4096, bs=1024, progress=False)   # imports and first use
r0 = rss(); t0 = time.perf_counter()
explain_to_zarr(learn, '{d}/big{n}.npy', '{d}/out{n}.zarr', chunk=4096, bs=1024, progress=False)
print(json.dumps(dict(growth=rss() - r0, peak=rss(), seconds=time.perf_counter() - t0)))
"""
        grow[n] = child(code)
    return grow

def recording_row(hours: float):
    code = PRELUDE + f"""
import torch.nn as nn
fs, N = 360, int({hours} * 3600 * 360)
sig = np.random.default_rng(0).standard_normal((2, N)).astype(np.float32)
m = nn.Sequential(nn.Conv1d(2, 8, 7, padding=3), nn.ReLU(), GAP1d(), nn.Linear(8, 2)).eval()
r0 = rss(); t0 = time.perf_counter()
rec = explain_recording(m, sig, fs=fs, model_fs=36, window_s=10, batch_size=256)
print(json.dumps(dict(growth=rss() - r0, seconds=time.perf_counter() - t0, windows=len(rec.window_starts), samples=N,
                      signal_mb=sig.nbytes / 2**20)))
"""
    return child(code)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true')
    p.add_argument('--processes-only', action='store_true', help='only row 2, 2 processes vs 1 (with --n-proc series)')
    p.add_argument('--n-proc', type=int, default=None, help='series of row 2 (default: 60,000 quick, 200,000 full)')
    a = p.parse_args()
    n, n_proc, (m_small, m_big), hours = (4096, 60_000, (20_000, 200_000), 2) if a.quick else (20_000, 200_000, (100_000, 1_000_000), 24)
    n_proc = a.n_proc or n_proc
    rows = []
    if not a.processes_only:
        r1, r1old, t = one_pass_row(n)
        rows.append(('explain(grad_cam) / no-grad inference', f'{n:,} series, FCN, L=96', f'{r1:.2f}', '<= 1.4', f"two passes: {r1old:.2f}"))
    with tempfile.TemporaryDirectory() as d:
        sp, one, two, f1, f2 = processes_row(n_proc, Path(d))
        rows.append(('speed-up, 2 processes vs 1 (1 thread each)', f'{n_proc:,} series, torchrun, gloo', f'{sp:.2f}', '>= 1.7',
                     f'{one:.1f} s vs {two:.1f} s; a 2-chunk job (start-up, imports, rendezvous, store creation) takes '
                     f'{f1:.1f} s vs {f2:.1f} s: the work alone {(one - f1) / (two - f2):.2f}x'))
    if a.processes_only:
        print('| row | job | measured | goal | notes |\n|---|---|---|---|---|'); print('| ' + ' | '.join(rows[-1]) + ' |'); return
    with tempfile.TemporaryDirectory() as d:
        g = memory_row(m_small, m_big, Path(d))
        ratio = g[m_big]['peak'] / g[m_small]['peak']
        rows.append(('peak RSS, 10x the series', f'{m_small:,} vs {m_big:,}, L=500, .npy -> Zarr', f'{ratio:.2f}', '<= 1.1',
                     f"peak {g[m_small]['peak']:.0f} vs {g[m_big]['peak']:.0f} MB (growth over the warmed-up process "
                     f"{g[m_small]['growth']:.0f} vs {g[m_big]['growth']:.0f} MB; data {m_big * 2000 / 2**20:,.0f} MB); {m_big / g[m_big]['seconds']:,.0f} series/s"))
    r = recording_row(hours)
    rows.append((f'{hours} h two-lead recording at 360 Hz', f"{r['samples']:,} samples, {r['windows']:,} windows",
                 f"{r['growth']:.0f} MB", 'bounded', f"signal itself {r['signal_mb']:.0f} MB; {r['windows'] / r['seconds']:,.0f} windows/s"))
    import torch
    rows.append(('GPU series/s (fp32, bf16)', '-', 'n/a', '-', torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU on this machine'))
    print('| row | job | measured | goal | notes |\n|---|---|---|---|---|')
    for row in rows: print('| ' + ' | '.join(row) + ' |')

if __name__ == '__main__': main()
