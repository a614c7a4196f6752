"""The `tsexplain` command: help, unknown names, and one real epoch that saves a learner fastai can load."""
import re, subprocess, sys
import numpy as np
import pytest
from pathlib import Path
from fastai.learner import load_learner
from tsexplain.data import read_series, untar_ts

def run(*args, cwd=None):
    return subprocess.run([sys.executable, '-m', 'tsexplain.cli', *args], capture_output=True, text=True, cwd=cwd, timeout=600)

def test_help_lists_every_option():
    r = run('--help')
    assert r.returncode == 0
    for opt in ('--arch', '--epochs', '--bs', '--lr', '--seed', '--normalize', '--out', '--cpu'): assert opt in r.stdout

def test_unknown_dataset_lists_close_names():
    r = run('ECG2000')
    assert r.returncode == 2 and 'Did you mean' in r.stderr and 'ECG200' in r.stderr

@pytest.fixture(scope='module')
def one_epoch(tmp_path_factory):
    "One run of the command (ECG200, one epoch), shared by the tests of what it writes: (result, its --out folder)"
    out = tmp_path_factory.mktemp('cli')/'out'
    return run('ECG200', '--epochs', '1', '--out', str(out)), out

def test_report_opens_in_a_browser(one_epoch, tmp_path):
    from browser import render
    r, out = one_epoch
    assert r.returncode == 0, r.stderr
    report = out/'report.html'
    assert 'saved report' in r.stdout and report.exists()
    dom = render(report.as_uri(), screenshot=tmp_path/'report.png')
    assert '<title>tsexplain report: ECG200</title>' in dom and 'Test accuracy' in dom and 'Explained series' in dom and 'What would change the prediction' in dom
    assert 'What the model learned' in dom and 'Motifs of each class' in dom and 'Prototypes and criticisms' in dom
    assert dom.count('<img') >= 8 and 'data:image/png;base64,' in dom       # figures embedded: no server, no other files
    assert dom.count('<tr') >= 101 + 5                                      # every test series and the header; the methods scored
    assert 'tsx-explore' in dom and 'js-plotly-plot' in dom and not re.search(r'<script[^>]+src=', report.read_text())   # the explorer, offline
    assert 'Which map, and how far to trust it' in dom and '(used below)' in dom and dom.count("Maps of this class's test series") == 2   # per class
    assert (tmp_path/'report.png').stat().st_size > 10_000

def test_one_epoch_saves_learner(one_epoch):
    r, out = one_epoch
    tmp_path = out.parent
    assert r.returncode == 0, r.stderr
    assert 'test accuracy:' in r.stdout
    assert 'epoch 1/1: train_loss' in r.stdout and '\r' not in r.stdout      # not a terminal: one plain line per epoch
    assert 'FutureWarning' not in r.stderr
    acc = float(r.stdout.split('test accuracy:')[1].split()[0])
    assert 0 <= acc <= 1
    learn = load_learner(tmp_path/'out'/'learner.pkl')
    assert learn.dls.vocab == ['Myocardial infarction', 'Normal']      # the bundled class names
    assert not list((tmp_path/'out').glob('*.tmp')) and not list(tmp_path.glob('.out.*'))
    # the pickle-free files rebuild the same model: identical logits and maps
    import json, torch
    from tsexplain.all import load_ts_model, grad_cam
    back = load_ts_model(tmp_path/'out'/'model.safetensors')
    assert back.dls.vocab == learn.dls.vocab and back.ts_meta['arch'] == 'InceptionTime'
    xb = learn.dls.test_dl([(x,) for x in read_series(untar_ts('ECG200')/'ECG200_TEST.arff')[0][:8]]).one_batch()[0]
    learn.model.eval(); back.model.eval()
    torch.testing.assert_close(back.model(xb), learn.model(xb), rtol=0, atol=0)
    torch.testing.assert_close(grad_cam(back.model, xb), grad_cam(learn.model, xb), rtol=0, atol=0)
    manifest = json.loads((tmp_path/'out'/'run.json').read_text())
    assert manifest['dataset'] == 'ECG200' and 'maps.npz' in manifest['files'] and 'model.safetensors' in manifest['files']
    import numpy as np
    d = np.load(tmp_path/'out'/'maps.npz')
    assert d['maps'].shape == (100, 1, 96) and d['targets'].shape == (100,)
    method = manifest['method']                                             # chosen by evidence, said in one line
    assert method in ('grad_cam', 'input_x_grad', 'integrated_gradients', 'occlusion') and f'explaining with {method}' in r.stdout
    figs = sorted(p.name for p in (tmp_path/'out'/'figures').iterdir())
    assert figs == [f'class_Myocardial_infarction_{method}.png', 'class_Myocardial_infarction_strips.png', f'class_Normal_{method}.png', 'class_Normal_strips.png']

def test_method_option_and_multichannel(tmp_path):
    r = run('BasicMotions', '--arch', 'FCN', '--epochs', '1', '--method', 'channel_cam', '--out', str(tmp_path))
    assert r.returncode == 0, r.stderr
    import numpy as np
    assert np.load(tmp_path/'maps.npz')['maps'].shape == (40, 6, 100)
    assert len(list((tmp_path/'figures').glob('*.png'))) == 8

def test_bad_out_fails_before_training(tmp_path):
    (tmp_path/'file').write_text('x')
    (tmp_path/'mine').mkdir(); (tmp_path/'mine'/'thesis.tex').write_text('x')
    for out, msg in ((tmp_path/'file', 'is an existing file'), ('/proc/forbidden/run', 'cannot be written'),
                     (tmp_path/'mine', 'not a tsexplain run')):
        r = run('ECG200', '--out', str(out))
        assert r.returncode == 2 and msg in r.stderr and 'Training' not in r.stdout, (out, r.stderr)
    assert (tmp_path/'mine'/'thesis.tex').read_text() == 'x'

def test_bad_options(tmp_path):
    r = run('ECG200', '--lr', '-5')
    assert r.returncode == 2 and '--lr must be a positive' in r.stderr
    r = run('--help')
    assert '(default: None)' not in r.stdout and 'any case' in r.stdout

def test_explain_refuses_a_wrong_out_before_importing_torch(tmp_path):
    "`tsexplain explain` checks --out before torch and fastai are imported: the user's folder is refused at once, untouched"
    run_dir = tmp_path/'run'; run_dir.mkdir()
    (run_dir/'model.json').write_text('{}'); (run_dir/'model.safetensors').write_bytes(b'')
    mine = tmp_path/'results'; mine.mkdir(); (mine/'thesis.tex').write_text('years of work')
    code = ("import sys\nfrom tsexplain.cli import main\ntry: main(sys.argv[1:])\nexcept SystemExit as e: print('exit', e.code)\n"
            "print(sorted(m for m in ('torch', 'fastai') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code, 'explain', str(run_dir), '--data', 'ECG200', '--out', str(mine)],
                       capture_output=True, text=True, timeout=60)
    assert 'exit 2' in r.stdout and '[]' in r.stdout, (r.stdout, r.stderr)
    assert 'not a tsexplain maps store' in r.stderr and (mine/'thesis.tex').read_text() == 'years of work'
    assert sorted(p.name for p in mine.iterdir()) == ['thesis.tex']

def test_help_imports_no_torch():
    "Options are parsed before torch and fastai are imported: --help and argument errors are instant"
    code = "import sys; from tsexplain.cli import build_parser; build_parser().format_help(); print(sorted(m for m in ('torch', 'fastai', 'scipy') if m in sys.modules))"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == '[]', r.stdout + r.stderr
    r = run('--help')
    assert re.search(r'integrated_gradients +gradients integrated from a baseline', r.stdout) and 'FutureWarning' not in r.stderr

def test_labels_option(tmp_path):
    r = run('GunPoint', '--labels', '1=Drawing a gun,2=Pointing', '--epochs', '1', '--no-maps', '--out', str(tmp_path/'g'))
    assert r.returncode == 0, r.stderr
    import json
    assert json.loads((tmp_path/'g'/'model.json').read_text())['vocab'] == ['Drawing a gun', 'Pointing']
    r = run('GunPoint', '--labels', '1:gun', '--out', str(tmp_path/'h'))
    assert r.returncode == 2 and 'label=name pairs' in r.stderr


def test_regression_run(tmp_path):
    "tsexplain Covid3Month: a regression run scored as numbers beside the mean predictor, its report in a browser, reloaded without pickle"
    import json
    from browser import render
    from tsexplain.model_files import load_ts_model
    out = tmp_path/'cov'
    r = run('Covid3Month', '--arch', 'FCN', '--epochs', '2', '--out', str(out))
    assert r.returncode == 0, r.stderr
    assert re.search(r'test RMSE [\d.]+ \(mean predictor [\d.]+\), MAE [\d.]+, R² -?[\d.]+', r.stdout), r.stdout
    assert 'accuracy' not in r.stdout and '\r' not in r.stdout                 # no class talk; no progress-bar frames in a log
    run_json = json.loads((out/'run.json').read_text())
    assert run_json['task'] == 'regression' and run_json['classes'] == [] and 'test_rmse' in run_json
    assert re.search(r'kept epoch [12] of 2: the lowest loss \([\d.e-]+\) on the 28 TRAIN series held out', r.stdout), r.stdout
    assert run_json['kept_epoch'] in (1, 2)                      # chosen on 28 of the 140 TRAIN series, never on TEST
    dom = render((out/'report.html').as_uri(), screenshot=tmp_path/'report.png')
    assert 'R²' in dom and 'mean predictor' in dom and 'predicted against true' in dom and 'Maps of ŷ' in dom
    assert 'confusion' not in dom.lower() and dom.count('<img') >= 5
    learn = load_ts_model(out/'model.safetensors')
    assert learn.dls.task == 'regression' and learn.model.ts_task['task'] == 'regression'
    r = run('explain', str(out), '--data', 'Covid3Month', '--out', str(tmp_path/'maps.zarr'), '--method', 'grad_cam')
    assert r.returncode == 0, r.stderr
    import zarr
    g = zarr.open_group(str(tmp_path/'maps.zarr'), mode='r')
    assert g['preds'].shape == (61, 1) and g['preds'].dtype == np.float32 and 'probs' not in g and g['done'][:].all()
    import torch
    from tsexplain.data import read_ts, bundled_path
    X_test = read_ts(bundled_path('Covid3Month')/'Covid3Month_TEST.ts')[0]
    from tsexplain.attribution import learner_inputs
    with torch.no_grad(): expected = learn.model.eval()(learner_inputs(learn, X_test))[:, 0]      # the same values, reloaded
    torch.testing.assert_close(torch.as_tensor(g['preds'][:, 0]), expected, atol=1e-5, rtol=1e-4)
