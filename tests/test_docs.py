"""The built docs site (python tools/build_docs.py, run by tests/run.sh before pytest) opens in headless Chromium."""
import re
from html.parser import HTMLParser
from pathlib import Path
import pytest
from browser import render

SITE = Path(__file__).resolve().parent.parent/'_docs'

@pytest.fixture(scope='module')
def site():
    if not (SITE/'index.html').exists(): pytest.fail(f'{SITE} has no site: run `python tools/build_docs.py` first (tests/run.sh does)')
    return SITE

class Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.hrefs, self.imgs = [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'a' and a.get('href'): self.hrefs.append(a['href'])
        if tag == 'img' and a.get('src'): self.imgs.append(a['src'])

@pytest.mark.parametrize('page,title', [('index', 'tsexplain'), ('tutorial_ecg200', 'Tutorial: CAM and Grad-CAM on ECG200'),
                                        ('show', 'Showing maps'), ('tutorial_learned', 'Tutorial: what has the model learned?')])
def test_page_shows_title_navigation_and_a_figure(site, page, title):
    shot = site/f'screenshot_{page}.png'
    dom = render((site/f'{page}.html').as_uri(), screenshot=shot, size=(1280, 1800))
    assert re.search(rf'<h1[^>]*>\s*{re.escape(title)}', dom), f'{page}: no <h1> "{title}"'
    parsed = Links(); parsed.feed(dom)
    assert 'md-nav' in dom and {'tutorial_multichannel.html', 'attribution.html', 'evaluate.html'} <= set(parsed.hrefs), \
        f'{page}: no navigation'
    figures = [s for s in parsed.imgs if s.startswith('data:image/png;base64,') and len(s) > 2000]
    assert figures, f'{page}: no figure'
    assert 'Traceback' not in dom and 'Error</span>' not in dom, f'{page}: a cell failed'
    assert shot.stat().st_size > 20_000   # a page was drawn, not a blank window

def test_local_links_resolve(site):
    "Every relative link of every page points to a file of the site (mkdocs --strict does not look inside notebooks)"
    broken = []
    for page in (p for p in site.glob('*.html') if p.name != '404.html'):   # 404 links from the server root
        parsed = Links(); parsed.feed(page.read_text())
        for h in parsed.hrefs:
            target = h.split('#')[0]
            if not target or re.match(r'^[a-z]+:', target): continue
            if not (page.parent/target).exists(): broken.append(f'{page.name} -> {h}')
    assert not broken, broken

def test_math_is_mathml(site):
    html = (site/'cam.html').read_text()
    assert '<math' in html and '$\\sum' not in html

def test_exploring_tutorial_runs_its_views_offline(site):
    "The tutorial's three interactive views drew in the page (plotly.js inline, no network): the explorer and the recording redraw"
    from browser import evaluate
    page = site/'tutorial_exploring.html'
    assert not re.search(r'<script[^>]+src=["\']https?:', page.read_text())
    r = evaluate(page.as_uri(), """(async () => {
      const gds = Array.from(document.querySelectorAll('.js-plotly-plot')), ex = document.querySelector('.tsx-explore');
      ex.tsexplain.sort('loss'); ex.tsexplain.sort('loss'); await ex.tsexplain.draw(ex.tsexplain.shown()[0]);
      const rec = gds[gds.length - 1]; await rec.tsexplainZoom(955, 960);
      return {plots: gds.length, title: ex.querySelector('.js-plotly-plot').layout.title.text, note: rec.tsexplainNote}; })()""",
                 settle="document.querySelectorAll('.js-plotly-plot').length >= 3")
    assert r['plots'] == 3 and re.match(r'#\d+: (MI|Normal) / (MI|Normal)', r['title']) and '5.00 s in view' in r['note']
