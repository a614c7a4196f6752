#!/usr/bin/env bash
# README.md is made from nbs/index.ipynb (executed; cells marked `#| hide` left out). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf README_files
PYTHONWARNINGS=ignore jupyter nbconvert --to markdown --execute nbs/index.ipynb --output-dir . --output README \
  --RegexRemovePreprocessor.patterns='^(#\|[^\n]*\n)*#\|\s*(hide|default_exp)' --ExecutePreprocessor.timeout=900
# fastprogress embeds a <style> block in its HTML output: useful in Jupyter, noise in a README
python - <<'PY'
import re, pathlib
p = pathlib.Path('README.md')
p.write_text(re.sub(r'\n*<style>.*?</style>\n*', '\n\n', p.read_text(), flags=re.S))
PY
