"""Build the docs site offline: notebooks -> API docs added, executed -> MkDocs (material + mkdocs-jupyter) -> _docs/.

Each notebook of nbs/ is processed as nbdev does for its docs: `#| hide` cells are dropped, directive lines removed, and
every public function or class an `#| export` cell defines gets its API doc (nbdev's `show_doc`) right after the cell.
The notebook is then executed (figures and tables come from running it) and handed to MkDocs. No Quarto is involved.
Run from the repository root:  python tools/build_docs.py   (then open _docs/index.html)
"""
import ast, importlib, re, shutil, subprocess, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NBS, PROC, SITE = ROOT/'nbs', ROOT/'_proc'/'docs', ROOT/'_docs'

def page_name(nb: Path) -> str:
    "00_data.ipynb -> data.ipynb (nbdev's naming of doc pages)"
    return re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.name)

def directives(src: str) -> dict:
    out = {}
    for line in src.splitlines():
        if not line.startswith('#|'): break
        key, *val = line[2:].strip().split(maxsplit=1)
        out[key.rstrip(':')] = val[0] if val else ''
    return out

def strip_directives(src: str) -> str:
    return '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip('\n')

def public_names(src: str) -> list:
    try: tree = ast.parse(src)
    except SyntaxError: return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith('_')]

def api_doc(obj) -> str:
    from nbdev.showdoc import show_doc
    doc = show_doc(obj)
    if doc is None: return None   # dispatched functions (show_batch) have no single signature
    md = doc._repr_markdown_()
    return '\n'.join(l for l in md.splitlines() if not l.startswith('[source]')).strip()

def process(nb_path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(nb_path, as_version=4)
    mod = None
    cells = []
    for c in nb.cells:
        d = directives(c.source) if c.cell_type == 'code' else {}
        if 'default_exp' in d: mod = d['default_exp']
        if 'hide' in d or 'default_exp' in d: continue
        if c.cell_type == 'code':
            c.source = strip_directives(c.source)
            if 'eval' in d and d['eval'].strip() == 'false': c.metadata['tags'] = ['skip-execution']
        cells.append(c)
        if 'export' in d and mod and mod != 'all':
            m = importlib.import_module(f'tsexplain.{mod}')
            for name in public_names(c.source):
                doc = api_doc(getattr(m, name)) if hasattr(m, name) else None
                if doc: cells.append(nbformat.v4.new_markdown_cell(doc))
    nb.cells = cells
    return nb

def execute(nb, cwd: Path, timeout: int = 900):
    skip = [c for c in nb.cells if 'skip-execution' in c.metadata.get('tags', [])]
    for c in skip: c.cell_type, c.source = 'code', c.source   # kept, shown, not run
    NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(cwd)}},
                   skip_cells_with_tag='skip-execution').execute()
    return nb

NAV_TITLES = {'index': 'Home', 'data': 'Data', 'core': 'Core', 'models': 'Models', 'hooks': 'Engine', 'cam': 'CAM family',
              'attribution': 'Per-channel maps', 'show': 'Showing maps', 'evaluate': 'Evaluating maps', 'cli': 'The command',
              'tutorial_ecg200': 'ECG200: CAM and Grad-CAM', 'tutorial_multichannel': 'Which channel mattered?',
              'tutorial_hybrid': 'CNN-BiLSTM-attention', 'tutorial_long_recordings': 'Long recordings', 'tutorial_images': 'Images'}

def write_mkdocs_yml(pages):
    tutorials = [p for p in pages if p.startswith('tutorial_')]
    api = [p for p in pages if p != 'index' and not p.startswith('tutorial_')]
    entry = lambda p: f"      - '{NAV_TITLES.get(p, p)}': {p}.ipynb"
    nav = "\n".join(["nav:", "  - Home: index.ipynb", "  - Tutorials:", *[entry(p) for p in tutorials], "  - API:", *[entry(p) for p in api]])
    (ROOT/'_proc'/'mkdocs.yml').write_text((ROOT/'mkdocs.yml').read_text() + '\n' + nav + '\n')

def main():
    only = sys.argv[1:]
    if PROC.exists(): shutil.rmtree(PROC)
    PROC.mkdir(parents=True)
    nbs = sorted(NBS.glob('*.ipynb'), key=lambda p: (p.name != 'index.ipynb', p.name.startswith('tutorial_'), p.name))
    pages = []
    for nb_path in nbs:
        t0 = time.perf_counter()
        nb = process(nb_path)
        if not only or nb_path.stem in only: execute(nb, NBS)
        nbformat.write(nb, PROC/page_name(nb_path))
        pages.append(page_name(nb_path)[:-len('.ipynb')])
        print(f'{nb_path.name}: {time.perf_counter() - t0:.0f} s', flush=True)
    write_mkdocs_yml(pages)
    subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '-f', str(ROOT/'_proc'/'mkdocs.yml')], check=True, cwd=ROOT)
    print(f'site: {SITE/"index.html"}')

if __name__ == '__main__': main()
