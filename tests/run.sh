#!/usr/bin/env bash
# Every test of tsexplain, as CI runs them: the notebooks and the package are in sync, every notebook runs (once: the docs
# build executes each notebook whole, hidden cells and tests included, and stops at the first failing cell), the docs site
# builds, then pytest (which also opens the site in headless Chromium).
# `bash tests/run.sh --quick`: the sync check and the quick tier of pytest (known-answer and unit tests; nothing that trains
# for long, starts processes or a browser, no docs build): a few minutes, after every change. The full run before a commit lands.
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

echo "== notebooks and package in sync (nbdev-export and nbdev-clean leave no diff)"
nbdev-export
nbdev-clean
if [ -n "$(git status --porcelain -- nbs tsexplain)" ]; then
  git status --porcelain -- nbs tsexplain
  git --no-pager diff --stat -- nbs tsexplain
  echo "FAIL: run nbdev-export and nbdev-clean, then commit the result" >&2
  exit 1
fi

# two test workers of one thread each on 2 or more cores (tests of one file stay in one worker, with their fixtures)
PARALLEL=()
if [ "$(nproc)" -ge 2 ] && python -c "import xdist" 2>/dev/null; then PARALLEL=(-n 2 --dist loadfile); export OMP_NUM_THREADS=1; fi

if [ "$QUICK" = 1 ]; then
  echo "== pytest, the quick tier (bash tests/run.sh without --quick runs everything)"
  python -m pytest tests/ -q -p no:cacheprovider --quick --durations=10 "${PARALLEL[@]}"
  exit 0
fi

echo "== notebooks, executed once into the docs site (_docs/, mkdocs build --strict; two at a time on 2 or more cores)"
python tools/build_docs.py

echo "== pytest"
python -m pytest tests/ -q -p no:cacheprovider --durations=15 "${PARALLEL[@]}"
