#!/usr/bin/env bash
# Every test of tsexplain, as CI runs them: the notebooks and the package are in sync, every notebook runs (once: the docs
# build executes each notebook whole, hidden cells and tests included, and stops at the first failing cell), the docs site
# builds, then pytest (which also opens the site in headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg

echo "== notebooks and package in sync (nbdev-export and nbdev-clean leave no diff)"
nbdev-export
nbdev-clean
if [ -n "$(git status --porcelain -- nbs tsexplain)" ]; then
  git status --porcelain -- nbs tsexplain
  git --no-pager diff --stat -- nbs tsexplain
  echo "FAIL: run nbdev-export and nbdev-clean, then commit the result" >&2
  exit 1
fi

echo "== notebooks, executed once into the docs site (_docs/, mkdocs build --strict)"
python tools/build_docs.py

echo "== pytest"
python -m pytest tests/ -q -p no:cacheprovider --durations=15
