"""Hostile and broken model files: `load_ts_model` validates model.json against the architectures' schema and the
safetensors header's shapes before building anything, and raises one error type (ModelFileError, a ValueError) that names
the file and the field; never a raw KeyError/TypeError/RecursionError, never gigabytes allocated."""
import copy, json, resource, shutil, time
from pathlib import Path
import numpy as np
import pytest
import torch
from tsexplain.all import *
from tsexplain.model_files import ModelFileError

@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp('model')
    learn = ts_learner(TSDataLoaders.from_dsname('ECG200', bs=16), FCN, seed=0, model_kwargs=dict(layers=(8, 16, 8)))
    return save_ts_model(learn, d/'m.safetensors')

def _variant(saved, tmp_path, edit=None, raw: str = None, weights: bytes = None):
    d = tmp_path/'v'; d.mkdir(exist_ok=True)
    wf = d/'m.safetensors'
    shutil.copy(saved, wf)
    if weights is not None: wf.write_bytes(weights)
    meta = json.loads(saved.with_suffix('.json').read_text())
    if weights is not None: meta['weights_sha256'] = __import__('hashlib').sha256(weights).hexdigest()
    if edit: edit(meta)
    (d/'m.json').write_text(raw if raw is not None else json.dumps(meta))
    return wf

def _set(path, value):
    def edit(meta):
        *keys, last = path.split('.')
        target = meta
        for k in keys: target = target[k]
        if value is KeyError: del target[last]
        else: target[last] = value
    return edit

HOSTILE = {
    'no arch': _set('arch', KeyError), 'arch unknown': _set('arch', 'os.system'), 'arch a list': _set('arch', ['FCN']),
    'c_in a string': _set('c_in', '2'), 'c_in negative': _set('c_in', -1), 'c_in bool': _set('c_in', True),
    'c_out zero': _set('c_out', 0), 'hparams a list': _set('hparams', [1, 2]), 'hparams unknown key': _set('hparams.evil', 1),
    'layers huge': _set('hparams.layers', [12000] * 3), 'layers nested': _set('hparams.layers', [[8]]),
    'layers float': _set('hparams.layers', [8.5, 16, 8]), 'kss empty': _set('hparams.kss', []),
    'hparams c_in disagrees': _set('hparams.c_in', 3), 'vocab of 4 for c_out 2': _set('vocab', ['a', 'b', 'c', 'd']),
    'vocab ints': _set('vocab', [1, 2]), 'vocab repeated': _set('vocab', ['a', 'a']), 'no vocab': _set('vocab', KeyError),
    'stats wrong shape': _set('scale.stats', [[[[0.0]] * 3], [[[1.0]] * 3]]), 'stats text': _set('scale.stats', ['a', 'b']),
    'stats nan': _set('scale.stats', [[[[float('nan')]]], [[[1.0]]]]), 'scale kind unknown': _set('scale.kind', 'Eval'),
    'seq_len string': _set('seq_len', '96'), 'sha wrong': _set('weights_sha256', '0' * 64), 'sha a number': _set('weights_sha256', 5),
    'format wrong': _set('format', 'pickle'), 'layers match nothing': _set('hparams.layers', [8, 16, 9]),
    'hparams without c_in': _set('hparams.c_in', KeyError), 'scale.by bogus': _set('scale.by', 'bogus'),
    'scale.eps text': _set('scale.eps', 'x'), 'task unknown': _set('task', {'task': 'ranking', 'horizon': None}),
    'regression with classes': _set('task', {'task': 'regression', 'horizon': None}),
}
RAW = {'a JSON list': '[1, 2, 3]', 'deeply nested': '[' * 100_000 + ']' * 100_000, 'not JSON': '{"arch": ', 'a number': '5',
       'not UTF-8': '\udcff'}

@pytest.mark.parametrize('name', list(HOSTILE) + list(RAW) + ['weights not safetensors', 'weights of another shape'])
def test_hostile_model_file_raises_one_error_naming_the_file(saved, tmp_path, name):
    if name in HOSTILE: wf = _variant(saved, tmp_path, HOSTILE[name])
    elif name in RAW:
        wf = _variant(saved, tmp_path)
        wf.with_suffix('.json').write_bytes(RAW[name].encode('utf-8', 'surrogateescape'))
    elif name == 'weights not safetensors': wf = _variant(saved, tmp_path, weights=b'\x00' * 64)
    else:
        from safetensors.torch import save_file
        other = tmp_path/'other.safetensors'
        save_file({k: torch.zeros(3) for k in ['0.0.weight']}, str(other))
        wf = _variant(saved, tmp_path, weights=other.read_bytes())
    rss0, t0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.time()
    with pytest.raises(ModelFileError) as e: load_ts_model(wf)
    assert 'm.json' in str(e.value) or 'm.safetensors' in str(e.value), str(e.value)
    assert time.time() - t0 < 5 and resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 200_000   # KiB: nothing built big
    assert isinstance(e.value, ValueError)

def test_the_field_is_named(saved, tmp_path):
    with pytest.raises(ModelFileError, match=r'hparams\.layers = 12000 is out of range'): load_ts_model(_variant(saved, tmp_path, HOSTILE['layers huge']))
    with pytest.raises(ModelFileError, match=r"vocab has 4 class names but the model has c_out = 2"):
        load_ts_model(_variant(saved, tmp_path, HOSTILE['vocab of 4 for c_out 2']))
    with pytest.raises(ModelFileError, match=r"scale\.stats\[0\] has shape \(1, 3, 1\)"):
        load_ts_model(_variant(saved, tmp_path, HOSTILE['stats wrong shape']))
    with pytest.raises(ModelFileError, match=r"2\.0\.weight is \(8, 16, 3\), the architecture needs \(9, 16, 3\)"):
        load_ts_model(_variant(saved, tmp_path, HOSTILE['layers match nothing']))

def test_a_good_file_still_loads(saved):
    learn = load_ts_model(saved)
    assert learn.model.c_in == 1 and list(learn.dls.vocab) == ['-1', '1']


def _relabelled(saved, tmp_path, dtype: str) -> Path:
    "The saved weights with the header's dtype of every float tensor rewritten as `dtype` (same bytes): a file that lies"
    raw = saved.read_bytes()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    for k, v in header.items():
        if k != '__metadata__' and v['dtype'] == 'F32': v['dtype'] = dtype
    if dtype in ('I8', 'BOOL', 'U8'):                     # one byte per value: the shapes must grow to cover the same bytes
        for k, v in header.items():
            if k != '__metadata__' and v['dtype'] == dtype: v['shape'] = [int(np.prod(v['shape'])) * 4]
    body = json.dumps(header).encode()
    body += b' ' * (-len(body) % 8)
    return _variant(saved, tmp_path, weights=len(body).to_bytes(8, 'little') + body + raw[8 + n:])

@pytest.mark.parametrize('dtype', ['I32', 'I8', 'BOOL'])
def test_weights_relabelled_as_ints_are_refused(saved, tmp_path, dtype):
    "A header that relabels float bytes as I32 / int8 / bool was loaded and cast (weights of about -1.2e9): refused, naming the tensor"
    with pytest.raises(ModelFileError, match='is stored as|does not hold the weights'): load_ts_model(_relabelled(saved, tmp_path, dtype))

def test_half_precision_weights_are_accepted_as_floats(saved, tmp_path):
    "A float16 file is a float file on purpose (half the size): loaded, cast to float32, the same maps to float16 precision"
    from safetensors.torch import load_file, save_file
    half = tmp_path/'half.safetensors'
    save_file({k: v.half() if v.is_floating_point() else v for k, v in load_file(str(saved)).items()}, str(half))
    learn = load_ts_model(_variant(saved, tmp_path, weights=half.read_bytes()))
    assert all(p.dtype == torch.float32 for p in learn.model.parameters())

@pytest.mark.parametrize('kind', ['dev/zero', 'fifo', 'huge json'])
def test_special_and_oversized_files_are_refused_at_once(saved, tmp_path, kind):
    "model.safetensors or model.json pointing at /dev/zero (a raw MemoryError), a FIFO (a hang > 4 min), a 700 MB model.json: refused before reading"
    import os
    wf = _variant(saved, tmp_path)
    if kind == 'dev/zero': wf.unlink(); wf.symlink_to('/dev/zero')
    elif kind == 'fifo': jf = wf.with_suffix('.json'); jf.unlink(); os.mkfifo(jf)
    else:
        with open(wf.with_suffix('.json'), 'r+b') as f: f.seek(700 * 2**20); f.write(b' ')     # sparse: 700 MB on paper
    t0 = time.time()
    with pytest.raises(ModelFileError, match='not a regular file|bytes, over'): load_ts_model(wf)
    assert time.time() - t0 < 5


def test_a_failed_save_keeps_the_earlier_model(tmp_path):
    "Whatever stops a save stops it before a byte is written: the model already at that path stays whole and loadable"
    X = np.random.default_rng(0).normal(size=(24, 1, 30)).astype(np.float32)
    dls = TSDataLoaders.from_arrays(X, (X[:, 0, :5].mean(1) > 0).astype(int), bs=8)
    f = save_ts_model(ts_learner(dls, FCN, seed=0), tmp_path/'m')
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    plain = DataLoaders.from_dsets([(torch.zeros(1, 30), 0)] * 4, [(torch.zeros(1, 30), 0)] * 2, bs=2)   # no vocab to record
    with pytest.raises(AttributeError): save_ts_model(Learner(plain, FCN(1, 2), loss_func=CrossEntropyLossFlat()), f)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before          # no temporaries left, nothing replaced
    assert not load_ts_model(f).model.training


def test_a_hand_built_regression_learner_saves_as_regression(tmp_path):
    "The task is read from the learner (its loss and DataLoaders), not only from a model ts_learner built; a training set smaller than a batch still records the length"
    X = np.random.default_rng(1).normal(size=(5, 2, 40)).astype(np.float32)
    dls = TSDataLoaders.from_arrays(X, X[:, 0].mean(1), X, X[:, 0].mean(1), bs=16)
    model = FCN(2, 1)
    f = save_ts_model(Learner(dls, model, loss_func=MSELossFlat()), tmp_path/'r')
    back = load_ts_model(f)
    assert back.ts_meta['task']['task'] == 'regression' and back.ts_meta['seq_len'] == 40 and back.ts_meta['vocab'] == []
    assert not back.model.training                               # returned in eval mode: a direct call keeps BatchNorm statistics


def _with_header(saved, tmp_path, change=None, tail: bytes = b'', pad: int = 0) -> Path:
    "The saved weights with the header edited by `change(header)`, `pad` spaces added to it, and `tail` bytes after the data"
    raw = saved.read_bytes()
    n = int.from_bytes(raw[:8], 'little')
    header = json.loads(raw[8:8 + n])
    if change: change(header)
    body = json.dumps(header).encode() + b' ' * pad
    body += b' ' * (-len(body) % 8)
    return _variant(saved, tmp_path, weights=len(body).to_bytes(8, 'little') + body + raw[8 + n:] + tail)

def _shift_first(header):
    k = next(k for k in header if k != '__metadata__')
    header[k]['data_offsets'] = [o + 4 for o in header[k]['data_offsets']]

@pytest.mark.parametrize('case', ['offsets overlap', 'trailing junk', 'a 20 MB header'])
def test_corrupt_safetensors_are_named_before_loading(saved, tmp_path, case):
    "Corrupt offsets and trailing bytes gave a raw SafetensorError; a 90 MB header took 26 s and 2 GB: each refused by name, at once"
    wf = (_with_header(saved, tmp_path, _shift_first) if case == 'offsets overlap' else
          _with_header(saved, tmp_path, tail=b'junk' * 8) if case == 'trailing junk' else _with_header(saved, tmp_path, pad=20 * 2**20))
    t0 = time.time()
    with pytest.raises(ModelFileError, match=r'm.safetensors is not a readable safetensors file: .*(do not tile|over the)'): load_ts_model(wf)
    assert time.time() - t0 < 5

def test_a_model_loads_under_a_6_gib_address_space_limit(saved):
    "The weights are read in chunks: fh.read(cap + 1) reserved 4 GiB for every read, and every model failed under ulimit -v 6 GiB"
    import subprocess, sys
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))\n"
            "from tsexplain.model_files import _read_capped, MAX_WEIGHTS_BYTES\nfrom pathlib import Path\n"
            f"data = _read_capped(Path({str(saved)!r}), MAX_WEIGHTS_BYTES, 'weights file')\nprint(len(data))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and int(r.stdout.split()[-1]) == saved.stat().st_size, r.stderr[-2000:]


@pytest.mark.parametrize('edit', [_set('task', {'task': 'regression', 'horizon': None}) , _set('vocab', ['1', '-1']),
                                  _set('scale.by', 'channel'), _set('seq_len', 50)])
def test_an_edited_description_is_refused(saved, tmp_path, edit):
    "The .json's task, classes, scaling and length are covered by a digest recorded in the weights: a consistent edit loaded silently before"
    wf = _variant(saved, tmp_path, edit)
    meta = json.loads(wf.with_suffix('.json').read_text())
    if meta['task']['task'] == 'regression': meta['vocab'] = []; wf.with_suffix('.json').write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=r'm.json was edited after the model was saved'): load_ts_model(wf)


def test_a_store_refuses_a_job_of_another_task(tmp_path):
    "A regression store resumed by the same weights tagged as a classifier: refused by name (a raw KeyError: 'probs' before)"
    import zarr
    from fastai.learner import Learner
    from fastai.losses import BCEWithLogitsLossFlat
    series = np.random.default_rng(0).normal(size=80).astype(np.float32).cumsum()
    learn = ts_learner(TSDataLoaders.from_series(series, lookback=24, horizon=1, bs=4), FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    X = np.stack([series[i:i + 24] for i in range(12)])[:, None]
    out = explain_to_zarr(learn, X, tmp_path/'s.zarr', method='saliency', chunk=5, progress=False)
    zarr.open_group(str(out), mode='r+')['done'][2] = False                       # a job cut short
    as_classifier = Learner(TSDataLoaders.from_arrays(X, np.arange(12) % 2, bs=4), learn.model, loss_func=BCEWithLogitsLossFlat())
    with pytest.raises(ValueError, match=r'holds maps of another job \(different task, classes\)'):
        explain_to_zarr(as_classifier, X, out, method='saliency', chunk=5, progress=False)
    explain_to_zarr(learn, X, out, method='saliency', chunk=5, progress=False)     # its own job resumes
    assert zarr.open_group(str(out), mode='r')['done'][:].all()
