"""Long fuzz of the readers: valid files of the three formats written with tricky labels and values, then mutated (bad
tokens, missing values, cuts anywhere and at every byte of the last row, BOM, every control character, CR-only line ends,
Unicode digits and spaces, tabs in .ts headers, non-UTF-8 bytes, byte flips, no final newline). Prints one row per format
and mutation with how each outcome was judged (tests/readers_fuzz.py). Goal: 0 in every bad column.

    python bench/fuzz_readers.py --n 10000 --seed 0
"""
import argparse, collections, sys, tempfile, time
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parents[1]/'tests'))
from readers_fuzz import FORMATS, OUTCOMES, BAD, random_dataset, write, mutate, judge, READ, same, random_series_csv, mutate_csv, judge_csv

def run(n: int, seed: int):
    rng = np.random.default_rng(seed)
    table = collections.defaultdict(collections.Counter)
    with tempfile.TemporaryDirectory() as d:
        for i in range(n):
            fmt = FORMATS[i % len(FORMATS)]
            X, y = random_dataset(rng, fmt)
            f = write(Path(d)/f'case.{fmt}', X, y, fmt)
            if i % 10 == 0:                          # round trip: write -> read gives the same values and labels
                try: table[(fmt, 'round_trip')]['ok' if same(READ[fmt](f), (X, y)) else 'silent_change'] += 1
                except ValueError: table[(fmt, 'round_trip')]['false_rejection'] += 1
                except Exception: table[(fmt, 'round_trip')]['raw_exception'] += 1
            kind, data, expected = mutate(rng, f.read_text(encoding='utf-8'), fmt, X, y)
            f.write_bytes(data)
            table[(fmt, kind)][judge(f, fmt, kind, expected, (X, y))] += 1
        for i in range(n // 4):                      # forecasting CSVs (read_forecast_series): rows of (time, value, ...)
            f, values, stamps = random_series_csv(rng, Path(d)/'case.csv')
            kind, expected = mutate_csv(rng, f, values, stamps)
            table[('csv', kind)][judge_csv(f, expected, values, stamps)] += 1
    return table

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=10000); p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    t0 = time.time()
    table = run(a.n, a.seed)
    cols = OUTCOMES
    print(f"| format | mutation | {' | '.join(cols)} |\n|---|---|{'---|' * len(cols)}")
    for (fmt, kind), c in sorted(table.items()): print(f"| {fmt} | {kind} | {' | '.join(str(c[k]) for k in cols)} |")
    tot = collections.Counter()
    for c in table.values(): tot.update(c)
    print(f"| all | {sum(tot.values())} files | {' | '.join(str(tot[k]) for k in cols)} |")
    print(f"\nbad columns ({', '.join(BAD)}): {sum(tot[k] for k in BAD)} in {time.time() - t0:.0f} s "
          f"('warned': read, with a warning that the file does not end with a newline so its last value may be cut; "
          f"'accepted': a flipped byte that still makes a valid file, which no reader can see)")
    return int(sum(tot[k] for k in BAD) > 0)

if __name__ == '__main__': sys.exit(main())
