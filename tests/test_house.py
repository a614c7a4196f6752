"""The house: which module imports which. No circles (a reader following a call goes down, never back up), the two renderers
side by side (matplotlib's `show` and plotly's `interactive` never import each other), and no room over 500 lines."""
import ast, subprocess, sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/'tsexplain'
FACADES = {'all', 'explain', '__init__', 'data'}        # modules that only gather the others' names


def imports_of(path: Path) -> set:
    "The tsexplain modules a module imports, anywhere in it (lazy imports inside functions included)"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1: name = mod.split('.')[0] if mod else None
            elif mod.startswith('tsexplain.'): name = mod.split('.')[1]
            else: continue
            if name: out.add(name)
            if not mod or mod == 'tsexplain': out |= {a.name for a in node.names}      # from . import data as _data
        elif isinstance(node, ast.Import):
            out |= {a.name.split('.')[1] for a in node.names if a.name.startswith('tsexplain.')}
    return out - {'_modidx'}


def graph() -> dict:
    mods = {p.stem: p for p in PKG.glob('*.py') if p.stem != '_modidx'}
    return {m: imports_of(p) & set(mods) - {m} for m, p in mods.items() if m not in FACADES}


def test_no_circles():
    g = graph()
    state, path = {}, []
    def visit(m):
        state[m] = 'open'; path.append(m)
        for n in sorted(g.get(m, ())):
            if n in FACADES: continue
            assert state.get(n) != 'open', 'import circle: ' + ' -> '.join(path[path.index(n):] + [n])
            if n not in state: visit(n)
        state[m] = 'done'; path.pop()
    for m in sorted(g):
        if m not in state: visit(m)


def test_renderers_side_by_side():
    g = graph()
    assert 'interactive' not in g['show'] and 'interactive_pages' not in g['show']
    assert 'show' not in g['interactive'] and 'show' not in g['interactive_pages']
    r = subprocess.run([sys.executable, '-c', "import sys, tsexplain.show, tsexplain.counterfactual; "
                        "print(sorted(m for m in sys.modules if m.startswith(('plotly', 'tsexplain.interactive'))))"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == '[]', (r.stdout, r.stderr[-2000:])    # a matplotlib figure never imports plotly


def test_rooms_under_500_lines():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PKG.glob('*.py') if p.stem != '_modidx'}
    assert max(sizes.values()) < 500, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]
