"""Build the docs site offline: notebooks -> executed -> API docs added -> MkDocs (material + mkdocs-jupyter) -> _docs/.

Each notebook of nbs/ is executed whole (figures and tables come from running it), then processed as nbdev does for
its docs: `#| hide` cells are dropped, directive lines removed, and each `#| export` cell is replaced by the API docs
(nbdev's `show_doc`) of the public functions and classes it defines. LaTeX in markdown becomes MathML and library
warnings are left out. No Quarto and no network are involved.
Run from the repository root:  python tools/build_docs.py [notebook stems to execute; default all]   (open _docs/index.html)
Notebooks run two at a time (one thread each) on 2 or more cores; TSEXPLAIN_DOCS_WORKERS=1 runs them one by one.
"""
import ast, importlib, multiprocessing, os, re, shutil, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor, as_completed
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
    "(name, class) of each public function or class a cell defines; class is the patched class for fastcore's `@patch`"
    try: tree = ast.parse(src)
    except SyntaxError: return []
    out = []
    for n in tree.body:
        if not isinstance(n, (ast.FunctionDef, ast.ClassDef)) or n.name.startswith('_'): continue
        patched = any(getattr(d, 'id', getattr(getattr(d, 'func', None), 'id', None)) == 'patch' for d in n.decorator_list)
        ann = n.args.args[0].annotation if patched and n.args.args else None
        out.append((n.name, ann.id if isinstance(ann, ast.Name) else None))
    return out

def documented(module, name: str, owner):
    "The object a cell defined: `module.name`, or `owner.name` for a method patched onto `owner` (Learner.show_cam)"
    if owner is None: return getattr(module, name, None)
    cls = getattr(module, owner, None)
    return getattr(cls, name, None) if cls is not None else None

def api_doc(obj) -> str:
    "nbdev's `show_doc` markdown, tidied: no source link, untyped `None` defaults shown plainly, the docstring as a paragraph"
    from nbdev.showdoc import show_doc
    if isinstance(obj, type) and not getattr(obj.__init__, '__module__', '').startswith('tsexplain'):
        # a class that keeps its base's constructor (a Figure, a plain namespace): its name, bases and docstring,
        # not the base's long signature
        bases = ', '.join(b.__name__ for b in obj.__bases__ if b is not object)
        return f"---\n\n### {obj.__name__}\n\n```python\nclass {obj.__name__}{f'({bases})' if bases else ''}:\n```\n\n{obj.__doc__ or ''}".strip()
    doc = show_doc(obj)
    if doc is None: return None   # dispatched functions (show_batch) have no single signature
    lines = []
    for l in doc._repr_markdown_().splitlines():
        if l.startswith('[source]'): continue
        if len(l) > 2 and l.startswith('*') and l.endswith('*'): l = l[1:-1].replace('*', r'\*')   # `(B, 1, *size)` is not emphasis
        lines.append(l.replace(':NoneType=None', '=None'))
    return '\n'.join(lines).strip()

NB_LINK = re.compile(r'\]\((?:nbs/)?(\w+)\.ipynb\)')

def site_links(md: str) -> str:
    "Links to notebooks (`nbs/04_cam.ipynb`, right on GitHub) as links to their pages (`cam.html`)"
    return NB_LINK.sub(lambda m: f"]({page_name(Path(m.group(1) + '.ipynb'))[:-len('.ipynb')]}.html)", md)

MATH = re.compile(r'(`[^`]*`)|\$\$(.+?)\$\$|\$([^$\n]+?)\$', re.S)

def render_math(md: str) -> str:
    "LaTeX between $...$ (inline) and $$...$$ (display) as MathML, which browsers draw without scripts; code spans untouched"
    from latex2mathml.converter import convert
    def sub(m):
        if m.group(1): return m.group(1)
        display = m.group(2) is not None
        return convert((m.group(2) if display else m.group(3)).strip(), display='block' if display else 'inline')
    return MATH.sub(sub, md)

def is_warning(out) -> bool:
    "A stderr stream that only carries library warnings (a docs page shows results, not deprecation notices)"
    return out.get('output_type') == 'stream' and out.get('name') == 'stderr' and 'Warning' in out.get('text', '')

def process(nb_path: Path, run: bool = True) -> nbformat.NotebookNode:
    "The notebook as its doc page: executed whole (hidden cells too: they hold imports), then hidden cells dropped and API docs added"
    nb = nbformat.read(nb_path, as_version=4)
    marks = []
    for c in nb.cells:
        d = directives(c.source) if c.cell_type == 'code' else {}
        marks.append(d)
        if c.cell_type != 'code': continue
        c.source = strip_directives(c.source)
        if d.get('eval', '').strip() == 'false': c.metadata['tags'] = ['skip-execution']
    if run:
        NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(NBS)}},
                       skip_cells_with_tag='skip-execution', extra_arguments=['--IPKernelApp.log_level=ERROR']).execute()
    mod, cells = None, []
    for c, d in zip(nb.cells, marks):
        if 'default_exp' in d: mod = d['default_exp']
        if 'hide' in d or 'default_exp' in d: continue
        if c.cell_type == 'markdown': c.source = site_links(render_math(c.source))
        if c.cell_type == 'code': c.outputs = [o for o in c.outputs if not is_warning(o)]
        if 'export' not in d: cells.append(c)   # as in nbdev: an exported cell's API doc stands for its source
        if 'export' in d and mod and mod != 'all':
            m = importlib.import_module(f'tsexplain.{mod}')
            for name, owner in public_names(c.source):
                obj = documented(m, name, owner)
                doc = api_doc(obj) if obj is not None else None
                if doc: cells.append(nbformat.v4.new_markdown_cell(doc))
    nb.cells = cells
    return nb

def write_mkdocs_yml(pages):
    tutorials = [p for p in pages if p.startswith('tutorial_')]
    api = [p for p in pages if p != 'index' and not p.startswith('tutorial_')]
    entry = lambda p: f"      - {p}.ipynb"   # titled by the notebook's first heading
    nav = "\n".join(["nav:", "  - Home: index.ipynb", "  - Tutorials:", *[entry(p) for p in tutorials], "  - API:", *[entry(p) for p in api]])
    (ROOT/'_proc'/'mkdocs.yml').write_text((ROOT/'mkdocs.yml').read_text() + '\n' + nav + '\n')

# long code lines wrap instead of being cut off at the right edge of the page (code cells and outputs alike)
WRAP_CSS = """.md-typeset pre > code, .jupyter-wrapper pre, .jupyter-wrapper .highlight pre {
  white-space: pre-wrap !important; word-break: break-word; overflow-wrap: anywhere; }
"""

def _build_page(nb_path: Path, run: bool) -> float:
    "Execute and process one notebook into _proc/docs (run in a worker process); its seconds"
    t0 = time.perf_counter()
    nbformat.write(process(nb_path, run=run), PROC/page_name(nb_path))
    return time.perf_counter() - t0

def main():
    os.environ['MPLBACKEND'] = 'module://matplotlib_inline.backend_inline'   # figures into the page, even when the caller set Agg
    only = sys.argv[1:]
    workers = max(1, int(os.environ.get('TSEXPLAIN_DOCS_WORKERS', min(2, os.cpu_count() or 1))))
    if workers > 1:   # notebooks side by side, one thread each: two kernels on 2 cores beat one kernel with 2 threads
        for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[v] = '1'
    if PROC.exists(): shutil.rmtree(PROC)
    PROC.mkdir(parents=True)
    (PROC/'extra.css').write_text(WRAP_CSS)
    nbs = sorted(NBS.glob('*.ipynb'), key=lambda p: (p.name != 'index.ipynb', p.name.startswith('tutorial_'), p.name))
    pages = [page_name(p)[:-len('.ipynb')] for p in nbs]
    # the longest first (tutorials train models), so that the last notebook to finish is a short one
    queue = sorted(nbs, key=lambda p: (not p.name.startswith('tutorial_'), -p.stat().st_size))
    t_all = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context('spawn')) as pool:
        jobs = {pool.submit(_build_page, p, not only or p.stem in only): p for p in queue}
        for job in as_completed(jobs):
            try: print(f'{jobs[job].name}: {job.result():.0f} s', flush=True)
            except Exception:
                for j in jobs: j.cancel()
                print(f'FAILED: {jobs[job].name}', flush=True)
                raise
    print(f'{len(nbs)} notebooks in {time.perf_counter() - t_all:.0f} s with {workers} worker(s)', flush=True)
    write_mkdocs_yml(pages)
    subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '-f', str(ROOT/'_proc'/'mkdocs.yml')], check=True, cwd=ROOT)
    print(f'site: {SITE/"index.html"}')

if __name__ == '__main__': main()
