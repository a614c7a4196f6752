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


# ---- the quick tier: `bash tests/run.sh --quick` (pytest --quick) ------------------------------------------------------------
# Known-answer and unit tests that answer in a few minutes: no training beyond a few seconds, no subprocesses, no browser,
# no docs build. Everything still runs in the full tier (`bash tests/run.sh`, and CI). Measured with --durations: the files,
# tests and fixtures below each take 2.5 s or more on 2 cores, or start processes or Chromium.
QUICK_SKIPS_FILES = {'test_docs.py', 'test_cli.py', 'test_scale.py', 'test_tsai.py', 'test_reloaded.py', 'test_packaging.py',
                     'test_download_safety.py', 'test_masks.py', 'test_planted.py', 'test_interactive.py', 'test_transformers.py',
                     'test_readers_fuzz.py'}
QUICK_SKIPS_FIXTURES = {'regressor', 'sigmoid_learners', 'planted_learner'}
QUICK_SKIPS_TESTS = {
    'test_any_model.py::test_shap_from_the_learner_methods', 'test_engine.py::test_integrated_gradients_completeness',
    'test_faithfulness.py::test_default_is_the_most_faithful_and_cached', 'test_interop.py::test_padding_is_not_coloured_by_the_map',
    'test_interop.py::test_plain_fastai_dataloaders_single_logit', 'test_interop.py::test_unequal_lengths_with_the_official_split',
    'test_learner_level.py::test_learn_cam_by_index_matches_model_input', 'test_models.py::test_ts_learner_trains_and_is_reproducible',
    'test_show.py::test_2020_calls_run_unchanged', 'test_show.py::test_every_input_kind_and_method',
    'test_show.py::test_labelled_axes_and_one_labelled_colour_bar', 'test_show.py::test_learner_show_cam',
    'test_show.py::test_linestyles_follow_the_user', 'test_show.py::test_multichannel_styles', 'test_show.py::test_pixels_follow_the_map',
    'test_show.py::test_savefig_writes_and_closes', 'test_show.py::test_shown_once_in_a_jupyter_kernel', 'test_show.py::test_views',
    'test_regression.py::test_tsai_regressor_live_and_reloaded', 'test_regression.py::test_tsai_forecaster_steps',
    'test_regression.py::test_unit_interval_regression_is_not_a_probability',
    'test_counterfactual.py::test_learner_counterfactuals_in_user_units_and_figure',
    'test_house.py::test_renderers_side_by_side'}

def pytest_addoption(parser):
    parser.addoption('--quick', action='store_true', help='the quick tier: leave out the tests that train, start processes or a browser')

# the files whose tests take longest (measured with --durations): with two workers (pytest-xdist, a file per worker at a
# time) they start first, so that the short files fill in around them and no worker waits alone at the end
LONGEST_FIRST = ('test_scale.py', 'test_tsai.py', 'test_cli.py', 'test_engine.py', 'test_masks.py', 'test_regression.py',
                 'test_download_safety.py', 'test_interactive.py', 'test_docs.py', 'test_show.py', 'test_reloaded.py')

def pytest_collection_modifyitems(config, items):
    rank = {f: i for i, f in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda i: rank.get(i.path.name, len(rank)))          # stable: tests keep their order within a file
    if not config.getoption('--quick'): return
    def slow(item):
        fname = item.path.name
        test = f"{fname}::{item.originalname}"
        return fname in QUICK_SKIPS_FILES or test in QUICK_SKIPS_TESTS or bool(QUICK_SKIPS_FIXTURES & set(item.fixturenames))
    left = [i for i in items if slow(i)]
    items[:] = [i for i in items if not slow(i)]
    config.hook.pytest_deselected(items=left)


def pytest_configure(config):
    "Under pytest-xdist (tests/run.sh runs two workers on 2 cores) each worker computes with one thread: two workers of one thread beat one of two"
    import os
    if os.environ.get('PYTEST_XDIST_WORKER'):
        import torch
        torch.set_num_threads(1)
