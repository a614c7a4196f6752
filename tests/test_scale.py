"""Explaining at scale: the Zarr store equals learn.explain, resumes after kill -9, refuses to mix jobs, and the same job on
2 processes (torchrun, gloo) equals the 1-process store."""
import os, signal, subprocess, sys, time
import numpy as np
import pytest
import torch
zarr = pytest.importorskip('zarr')
from tsexplain.all import *

@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp('run')
    learn = ts_learner(TSDataLoaders.from_dsname('ECG200', bs=16), FCN, seed=0)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-3)
    save_ts_model(learn, d/'model.safetensors')
    X = np.concatenate([read_series(untar_ts('ECG200')/f'ECG200_{s}.arff')[0] for s in ('TRAIN', 'TEST')])
    np.save(d/'series.npy', np.concatenate([X] * 3))                              # 600 series, memory-mapped when read
    np.save(d/'small.npy', X[:160])
    return d

def cli(*args, torchrun=None, **kw):
    pre = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(torchrun)] if torchrun else [sys.executable]
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run(pre + ['-m', 'tsexplain.cli', 'explain', *map(str, args)], capture_output=True, text=True, env=env, timeout=600, **kw)

def cli_here(capsys, *args):
    "The same command run in this process (no interpreter, torch and fastai to start: seconds instead of ~10 s a launch): exit status and output"
    from types import SimpleNamespace
    from tsexplain.cli import main
    capsys.readouterr()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                     # as the launched command (OMP_NUM_THREADS=1): the same bits as its stores
    try: code = main(['explain', *map(str, args)])
    except SystemExit as e: code = e.code
    finally: torch.set_num_threads(threads)
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)

def read(store):
    g = zarr.open_group(str(store), mode='r')
    return {k: g[k][:] for k in ('maps', 'probs', 'preds', 'explained', 'done')}, dict(g.attrs)

def test_store_equals_learn_explain(run_dir, tmp_path):
    learn = load_ts_model(run_dir/'model.safetensors')
    out = explain_to_zarr(learn, run_dir/'series.npy', tmp_path/'m.zarr', method='grad_cam', chunk=64, bs=32, progress=False)
    got, attrs = read(out)
    assert got['done'].all() and got['maps'].shape == (600, 1, 96) and attrs['method'] == 'grad_cam'
    X = np.load(run_dir/'series.npy')[:100]
    ref = learn.cam(X, method='grad_cam')
    torch.testing.assert_close(torch.as_tensor(got['maps'][:100]), ref.cpu(), atol=1e-5, rtol=1e-4)
    import xarray as xr
    ds = xr.open_zarr(str(out), consolidated=False)
    assert ds['maps'].dims == ('series', 'map_channel', 'time') and ds.attrs['model_fingerprint'] == attrs['model_fingerprint']
    with pytest.raises(ValueError, match='refusing to mix'): explain_to_zarr(learn, run_dir/'series.npy', out, method='saliency', chunk=64)

def test_kill_and_resume_gives_the_uninterrupted_store(run_dir, tmp_path, capsys):
    ref = cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', tmp_path/'ref.zarr', '--chunk', 16, '--method', 'integrated_gradients')
    assert ref.returncode == 0, ref.stderr[-2000:]
    out = tmp_path/'killed.zarr'
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    p = subprocess.Popen([sys.executable, '-m', 'tsexplain.cli', 'explain', str(run_dir), '--data', str(run_dir/'small.npy'),
                          '--out', str(out), '--chunk', '16', '--method', 'integrated_gradients'], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        time.sleep(0.05)
        try:
            if 0 < zarr.open_group(str(out), mode='r')['done'][:].sum(): break
        except Exception: pass
    p.send_signal(signal.SIGKILL); p.wait()
    done = zarr.open_group(str(out), mode='r')['done'][:]
    assert 0 < done.sum() < len(done), 'the kill came too late to test resuming'
    r = cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', out, '--chunk', 16, '--method', 'integrated_gradients')
    assert r.returncode == 0, r.stderr[-2000:]
    (a, _), (b, _) = read(out), read(tmp_path/'ref.zarr')
    for k in a: np.testing.assert_array_equal(a[k], b[k])

def test_two_processes_equal_one(run_dir, tmp_path, capsys):
    one = cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', tmp_path/'one.zarr', '--chunk', 16)     # 10 chunks for 2 ranks
    two = cli(run_dir, '--data', run_dir/'small.npy', '--out', tmp_path/'two.zarr', '--chunk', 16, torchrun=2)
    assert one.returncode == 0 and two.returncode == 0, (one.stderr[-1500:], two.stderr[-1500:])
    (a, attrs_a), (b, attrs_b) = read(tmp_path/'one.zarr'), read(tmp_path/'two.zarr')
    np.testing.assert_allclose(a['maps'], b['maps'], atol=1e-6, rtol=0)
    for k in ('probs', 'preds', 'explained', 'done'): np.testing.assert_array_equal(a[k], b[k])
    assert attrs_a == attrs_b

def test_learn_explain_writes_a_resumable_zarr_store(run_dir, tmp_path):
    learn = load_ts_model(run_dir/'model.safetensors')
    X = np.load(run_dir/'series.npy')[:100]
    dls = TSDataLoaders.from_arrays(X, np.array(learn.dls.vocab)[np.arange(100) % 2], bs=16, normalize=None, valid_pct=0.5, seed=0)
    ref = learn.explain(dls.valid, progress=False)
    out = learn.explain(dls.valid, save=tmp_path/'m.zarr', progress=False)
    g = zarr.open_group(str(out), mode='r+')
    for k in ('maps', 'probs', 'preds', 'explained', 'targets'): np.testing.assert_array_equal(g[k][:], ref[k])
    g['done'][1] = False; g['maps'][16:32] = 0                              # a batch lost, as after a crash
    learn.explain(dls.valid, save=out, progress=False)
    np.testing.assert_array_equal(zarr.open_group(str(out), mode='r')['maps'][:], ref['maps'])
    with pytest.raises(ValueError, match='refusing to mix'): learn.explain(dls.valid, method='saliency', save=out, progress=False)

def test_bf16_autocast_maps_close_to_fp32(run_dir, tmp_path):
    learn = load_ts_model(run_dir/'model.safetensors')
    fp32 = explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'fp32.zarr', method='grad_cam', chunk=64, progress=False)
    bf16 = explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'bf16.zarr', method='grad_cam', chunk=64, progress=False,
                          autocast=torch.bfloat16)                           # bf16 on a CPU is emulated: one cheap method
    a, b = zarr.open_group(str(fp32), mode='r')['maps'][:], zarr.open_group(str(bf16), mode='r')['maps'][:]
    corr = np.mean([np.corrcoef(x.ravel(), y.ravel())[0, 1] for x, y in zip(a, b) if x.std() > 0 and y.std() > 0])
    assert corr > 0.98, corr                                                # bf16 keeps about 3 significant digits
    assert zarr.open_group(str(bf16), mode='r').attrs['method_kwargs'] == {'autocast': 'torch.bfloat16'}

def test_a_folder_of_archive_files(run_dir, tmp_path):
    import shutil
    folder = tmp_path/'archive'; folder.mkdir()
    for split in ('TRAIN', 'TEST'): shutil.copy(untar_ts('GunPoint')/f'GunPoint_{split}.arff', folder/f'part_{split}.arff')
    X = np.concatenate([read_series(folder/f'part_{s}.arff')[0] for s in ('TEST', 'TRAIN')])   # files are taken by name
    series = open_series(folder)
    assert series.shape == (200, 1, 150) and np.array_equal(series[140:160], X[140:160]) and np.array_equal(series[7], X[7])
    learn = load_ts_model(run_dir/'model.safetensors')
    out = explain_to_zarr(learn, folder, tmp_path/'f.zarr', chunk=64, progress=False)
    np.testing.assert_allclose(zarr.open_group(str(out), mode='r')['maps'][:], learn.cam(X).cpu().numpy(), atol=1e-5, rtol=1e-4)


# --- nothing lost, nothing mixed ---------------------------------------------------------------------------------------------

def test_out_that_is_not_a_store_is_refused_and_kept(run_dir, tmp_path, capsys):
    "A folder of the user's files, a file, a truncated .npy, infinities, complex numbers: exit 2, a clear message, nothing touched"
    folder = tmp_path/'results'; folder.mkdir(); (folder/'thesis.tex').write_text('years of work')
    r = cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', folder)
    assert r.returncode == 2 and 'not a tsexplain maps store' in r.stderr and (folder/'thesis.tex').read_text() == 'years of work'
    assert sorted(p.name for p in folder.iterdir()) == ['thesis.tex']
    afile = tmp_path/'maps.zarr'; afile.write_text('x')
    r = cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', afile)
    assert r.returncode == 2 and 'is an existing file' in r.stderr and 'Traceback' not in r.stderr
    cut = tmp_path/'cut.npy'; cut.write_bytes((run_dir/'small.npy').read_bytes()[:5000])
    r = cli_here(capsys, run_dir, '--data', cut, '--out', tmp_path/'a.zarr')
    assert r.returncode == 2 and 'cut.npy is cut' in r.stderr and not (tmp_path/'a.zarr').exists()
    X = np.load(run_dir/'small.npy'); X[37, 0, 5] = np.inf
    np.save(tmp_path/'inf.npy', X)
    r = cli_here(capsys, run_dir, '--data', tmp_path/'inf.npy', '--out', tmp_path/'b.zarr', '--chunk', 16)
    assert r.returncode == 2 and 'series 37 of the data holds an infinite value' in r.stderr
    np.save(tmp_path/'complex.npy', np.load(run_dir/'small.npy').astype(np.complex64))
    r = cli_here(capsys, run_dir, '--data', tmp_path/'complex.npy', '--out', tmp_path/'c.zarr')
    assert r.returncode == 2 and 'complex numbers' in r.stderr and not (tmp_path/'c.zarr').exists()
    empty = tmp_path/'empty.zarr'; empty.mkdir()                            # an empty folder is fine: it becomes the store
    assert cli_here(capsys, run_dir, '--data', run_dir/'small.npy', '--out', empty, '--chunk', 64, '--method', 'grad_cam').returncode == 0 and is_maps_store(empty)

def test_a_changed_input_is_not_mixed_into_a_finished_store(run_dir, tmp_path):
    learn = load_ts_model(run_dir/'model.safetensors')
    X = np.load(run_dir/'small.npy')
    np.save(tmp_path/'x.npy', X)
    out = explain_to_zarr(learn, tmp_path/'x.npy', tmp_path/'m.zarr', chunk=16, progress=False)
    X2 = X.copy(); X2[1, 0, 3] += 1.0                                          # one value of series 1: not among the sampled
    np.save(tmp_path/'x.npy', X2)
    assert data_fingerprint(np.load(tmp_path/'x.npy')) == data_fingerprint(X)    # the cheap fingerprint cannot see it...
    with pytest.raises(ValueError, match=r'series 0\.\.15 of the data changed since the store explained it \(chunk 0\)'):
        explain_to_zarr(learn, tmp_path/'x.npy', out, chunk=16, progress=False)   # ...the per-chunk digest does
    np.save(tmp_path/'x.npy', X)
    assert explain_to_zarr(learn, tmp_path/'x.npy', out, chunk=16, bs=7, progress=False) == out   # a different bs: same digests

def test_two_jobs_on_one_store_at_once(run_dir, tmp_path):
    "The second job is refused at once with a clear message; the first one's store is complete and readable"
    out = tmp_path/'m.zarr'
    args = [sys.executable, '-m', 'tsexplain.cli', 'explain', str(run_dir), '--data', str(run_dir/'small.npy'), '--out', str(out),
            '--chunk', '16', '--method', 'integrated_gradients']
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    p1 = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):
        if out.with_name('.m.zarr.lock').exists() and is_maps_store(out): break
        time.sleep(0.05)
    p2 = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    p1.communicate(timeout=600)
    assert p1.returncode == 0
    assert p2.returncode == 2 and 'is being written by another job (pid' in p2.stderr
    assert zarr.open_group(str(out), mode='r')['done'][:].all()

def test_kill_during_store_creation_is_redone(run_dir, tmp_path):
    "A creation killed half-way leaves a hidden folder, never a half-made store: the rerun creates it and removes the leftover"
    out = tmp_path/'m.zarr'
    dead = subprocess.Popen([sys.executable, '-c', 'pass']); dead.wait()          # a pid that no longer runs
    half = tmp_path/f'.m.zarr.creating-{dead.pid}'; half.mkdir(); (half/'zarr.json').write_text('{"attributes": {}}')
    learn = load_ts_model(run_dir/'model.safetensors')
    explain_to_zarr(learn, run_dir/'small.npy', out, chunk=64, progress=False)
    assert is_maps_store(out) and not half.exists() and zarr.open_group(str(out), mode='r')['done'][:].all()

def test_the_lock_follows_the_store_through_links(tmp_path):
    "A second job reaching the store through a symlink (to the store, or to its folder) is refused: it takes the same lock"
    from tsexplain.scale import store_lock
    real = tmp_path/'real'; real.mkdir(); (real/'S.zarr').mkdir()
    (tmp_path/'alias.zarr').symlink_to(real/'S.zarr')
    (tmp_path/'linked').symlink_to(real)
    with store_lock(real/'S.zarr'):
        for other in (tmp_path/'alias.zarr', tmp_path/'linked'/'S.zarr'):
            with pytest.raises(ValueError, match='being written by another job'):
                with store_lock(other): pass
    with store_lock(tmp_path/'alias.zarr'): pass                                   # free again once the first job is done
    assert not (tmp_path/'.alias.zarr.lock').exists() and not (real/'.S.zarr.lock').exists()   # removed when the job ends

def test_a_symlinked_out_and_refused_jobs_leave_no_lock(run_dir, tmp_path):
    "--out a symlink to an empty folder: the store is made there (a raw NotADirectoryError before); a dangling link: refused by name; no job, refused or finished, leaves its .lock file"
    learn = load_ts_model(run_dir/'model.safetensors')
    (tmp_path/'empty').mkdir(); (tmp_path/'link.zarr').symlink_to(tmp_path/'empty')
    assert explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'link.zarr', chunk=64, progress=False) == tmp_path/'link.zarr'
    assert is_maps_store(tmp_path/'empty') and zarr.open_group(str(tmp_path/'link.zarr'), mode='r')['done'][:].all()
    (tmp_path/'dangling.zarr').symlink_to(tmp_path/'nowhere')
    with pytest.raises(ValueError, match=r'dangling.zarr is a symbolic link to .*nowhere, which does not exist'):
        explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'dangling.zarr', chunk=64, progress=False)
    (tmp_path/'user').mkdir(); (tmp_path/'user'/'keep.txt').write_text('x')
    with pytest.raises(ValueError, match='not a tsexplain maps store'):
        explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'user', chunk=64, progress=False)
    with pytest.raises(ValueError, match='another job'):                           # a finished store refuses another method
        explain_to_zarr(learn, run_dir/'small.npy', tmp_path/'link.zarr', chunk=64, method='saliency', progress=False)
    assert not list(tmp_path.glob('.*lock')) and not (tmp_path/'nowhere').exists()

def test_a_store_without_input_hashes_is_not_resumed_unchecked(run_dir, tmp_path):
    "A store of an older tsexplain (no input_sha256) holds finished chunks that cannot be verified: resuming it is refused, nothing written"
    import shutil
    learn = load_ts_model(run_dir/'model.safetensors')
    out = tmp_path/'old.zarr'
    explain_to_zarr(learn, run_dir/'small.npy', out, method='grad_cam', chunk=64, progress=False)
    shutil.rmtree(out/'input_sha256')                                 # as stores made before per-chunk hashes were
    g = zarr.open_group(str(out), mode='r+'); before = g['maps'][:]
    with pytest.raises(ValueError, match='cannot be checked'):
        explain_to_zarr(learn, run_dir/'small.npy', out, method='grad_cam', chunk=64, progress=False)
    np.testing.assert_array_equal(zarr.open_group(str(out), mode='r')['maps'][:], before)
