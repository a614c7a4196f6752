import matplotlib
matplotlib.use('Agg')


def pytest_pycollect_makeitem(collector, name, obj):
    "Collect only the tests a test file defines: `from tsexplain.all import *` also brings fastcore's `test_eq`, fastai's `test_set`..."
    import inspect
    if inspect.isfunction(obj) and name.startswith('test') and obj.__module__ != collector.obj.__name__: return []
