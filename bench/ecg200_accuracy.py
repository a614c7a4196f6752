"""Train the default recipe of `tsexplain` on ECG200's official split for several seeds and print a table.

Goal (issue 2): median test accuracy >= 0.89 and no seed below 0.86 (the InceptionTime paper reports 0.91).
Run: python bench/ecg200_accuracy.py [--seeds 0 1 2] [--bs 16] [--epochs 50] [--lr 1e-3] [--arch InceptionTime]
"""
import argparse, statistics, time
from tsexplain.cli import TRAIN_DEFAULTS
from tsexplain.models import train_ts

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dataset', default='ECG200')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    for k in ('arch', 'epochs', 'bs', 'lr', 'normalize'):
        p.add_argument(f'--{k}', type=type(TRAIN_DEFAULTS[k]), default=TRAIN_DEFAULTS[k])
    a = p.parse_args()
    rows = []
    for seed in a.seeds:
        t0 = time.perf_counter()
        _, acc = train_ts(a.dataset, a.arch, a.epochs, a.bs, a.lr, seed, normalize=a.normalize, progress=False)
        rows.append((seed, acc, time.perf_counter() - t0))
        print(f'seed {seed}: accuracy {acc:.3f} ({rows[-1][2]:.0f} s)', flush=True)
    accs = [r[1] for r in rows]
    print(f'\n{a.dataset}, {a.arch}, bs={a.bs}, epochs={a.epochs}, lr={a.lr}, normalize={a.normalize}')
    print('| seed | test accuracy | seconds |\n|---:|---:|---:|')
    for s, acc, sec in rows: print(f'| {s} | {acc:.3f} | {sec:.0f} |')
    print(f'\nmedian {statistics.median(accs):.3f}, min {min(accs):.3f}, max {max(accs):.3f}')
    ok = statistics.median(accs) >= 0.89 and min(accs) >= 0.86
    print('goal (median >= 0.89, min >= 0.86):', 'met' if ok else 'NOT met')

if __name__ == '__main__': main()
