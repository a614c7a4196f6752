import matplotlib
matplotlib.use('Agg')
import pytest


def pytest_pycollect_makeitem(collector, name, obj):
    "Collect only the tests a test file defines: `from tsexplain.all import *` also brings fastcore's `test_eq`, fastai's `test_set`..."
    import inspect
    if inspect.isfunction(obj) and name.startswith('test') and obj.__module__ != collector.obj.__name__: return []


@pytest.fixture
def fastai_home(tmp_path, monkeypatch):
    "A fresh fastai home (archive and data folders) for one test"
    from fastai.data.external import fastai_cfg
    home = tmp_path/'fastai_home'
    monkeypatch.setenv('FASTAI_HOME', str(home))
    fastai_cfg.cache_clear()  # fastai caches its config, and with it the data folder
    yield home
    fastai_cfg.cache_clear()

def cache_files(home):
    "Every file left in a fastai home, but its config"
    return sorted(str(p.relative_to(home)) for p in home.rglob('*') if p.is_file() and p.name != 'config.ini')
