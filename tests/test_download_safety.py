"""Hostile and broken downloads against a local HTTP server: traversal, links and bombs in zip and tar archives, stalled and
short bodies, 404, a download killed with SIGKILL, and archives that change after their first download."""
import http.server, io, os, signal, subprocess, sys, tarfile, threading, time, zipfile
from functools import partial
from pathlib import Path
import pytest
from tsexplain.data import *
from conftest import cache_files

SERIES = [f'Coffee_{s}.arff' for s in ('TRAIN', 'TEST')]

def _series_bytes():
    src = untar_ts('GunPoint')
    return {name: (src/f'GunPoint_{name.split("_")[1]}').read_bytes() for name in SERIES}

def _zip(path, extra: dict = None):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in {**_series_bytes(), **(extra or {})}.items(): z.writestr(name, data)

def _tar(path, extra=()):
    "A tar.gz holding the two series files, then the `extra` members (TarInfo, bytes or None)"
    with tarfile.open(path, 'w:gz') as t:
        for name, data in _series_bytes().items():
            info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
        for info, data in extra:
            if data is not None: info.size = len(data)
            t.addfile(info, io.BytesIO(data) if data is not None else None)

def _member(name, kind=tarfile.REGTYPE, linkname=''):
    info = tarfile.TarInfo(name); info.type = kind; info.linkname = linkname
    return info

class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith('/stall/'):        # headers and the first bytes, then silence
            body = (Path(self.directory)/'good'/self.path.split('/')[-1]).read_bytes()
            self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()
            self.wfile.write(body[:1000]); self.wfile.flush()
            time.sleep(8)
            return
        super().do_GET()

@pytest.fixture
def server(tmp_path):
    root = tmp_path/'www'
    (root/'good').mkdir(parents=True)
    _zip(root/'good'/'Coffee.zip')
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), partial(_Handler, directory=str(root)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', root
    httpd.shutdown(); httpd.server_close()

def _refused(url, home, outside: Path, match: str, **kwargs):
    with pytest.raises(UnsafeArchiveError, match=match) as e: untar_ts(url, **kwargs)
    assert 'Nothing was left in the cache' in str(e.value)
    assert cache_files(home) == [] and not outside.exists()
    return e.value

@pytest.mark.parametrize('fmt', ['zip', 'tar'])
def test_traversal_is_refused_and_named(server, fastai_home, tmp_path, fmt):
    url, root = server
    outside = tmp_path/'evil.txt'
    name = '../../../../' + outside.name
    if fmt == 'zip': _zip(root/'good'/'Evil.zip', {name: b'pwned'})
    else: _tar(root/'good'/'Evil.zip', [(_member(name), b'pwned')])
    _refused(f'{url}/good/Evil.zip', fastai_home, outside, r"entry '\.\./.*evil\.txt' refused: it has a '\.\.' component")

def test_absolute_tar_entry_is_refused(server, fastai_home, tmp_path):
    url, root = server
    outside = tmp_path/'abs.txt'
    _tar(root/'good'/'Abs.tar.gz', [(_member(str(outside)), b'pwned')])
    _refused(f'{url}/good/Abs.tar.gz', fastai_home, outside, 'it is an absolute path')

def test_symlink_out_then_write_through_it_is_refused(server, fastai_home, tmp_path):
    url, root = server
    target = tmp_path/'victim'; target.mkdir()
    _tar(root/'good'/'Link.tar.gz', [(_member('link', tarfile.SYMTYPE, str(target)), None), (_member('link/file'), b'pwned')])
    _refused(f'{url}/good/Link.tar.gz', fastai_home, target/'file', "entry 'link' refused: it is a link to")
    _tar(root/'good'/'Rel.tar.gz', [(_member('a/link', tarfile.SYMTYPE, '../../victim'), None)])
    _refused(f'{url}/good/Rel.tar.gz', fastai_home, target/'file', 'outside the target folder')

def test_device_and_zip_symlink_are_refused(server, fastai_home, tmp_path):
    url, root = server
    _tar(root/'good'/'Dev.tar.gz', [(_member('dev', tarfile.CHRTYPE), None)])
    _refused(f'{url}/good/Dev.tar.gz', fastai_home, tmp_path/'none', 'device or FIFO')
    with zipfile.ZipFile(root/'good'/'Zlink.zip', 'w') as z:
        info = zipfile.ZipInfo('link'); info.external_attr = (0o120777 << 16)
        z.writestr(info, '/etc')
    _refused(f'{url}/good/Zlink.zip', fastai_home, tmp_path/'none', 'symbolic link')

def test_bomb_is_refused_before_writing(server, fastai_home, tmp_path):
    url, root = server
    _zip(root/'good'/'Bomb.zip', {'zeros.bin': bytes(80 * 2**20)})
    assert (root/'good'/'Bomb.zip').stat().st_size < 2**20                      # < 1 MB that expands to 80 MB
    _refused(f'{url}/good/Bomb.zip', fastai_home, tmp_path/'none', 'archive bomb')
    with pytest.raises(DatasetDownloadError, match=r'over the limit of 1,000 \(max_bytes\)'):     # refused before downloading it
        untar_ts(f'{url}/good/Coffee.zip', max_bytes=1000)
    assert cache_files(fastai_home) == []

def test_safe_extract_keeps_links_inside(tmp_path):
    _tar(tmp_path/'ok.tar.gz', [(_member('alias.arff', tarfile.SYMTYPE, 'Coffee_TRAIN.arff'), None)])
    dest = safe_extract(tmp_path/'ok.tar.gz', tmp_path/'out')
    assert (dest/'alias.arff').read_bytes() == (dest/'Coffee_TRAIN.arff').read_bytes()
    assert not list(tmp_path.glob('.out.extracting-*'))

def test_stalled_download_times_out(server, fastai_home):
    url, _ = server
    t0 = time.time()
    with pytest.raises(DatasetDownloadError, match=r'no data from the server for 1\.0 s'): untar_ts(f'{url}/stall/Coffee.zip', timeout=1.)
    assert time.time() - t0 < 6 and cache_files(fastai_home) == []

def test_missing_file_404(server, fastai_home):
    url, _ = server
    with pytest.raises(DatasetDownloadError, match='404'): untar_ts(f'{url}/good/Nope.zip')
    assert cache_files(fastai_home) == []

def test_download_killed_with_sigkill_is_recovered(server, fastai_home):
    url, _ = server
    code = f"from tsexplain.data import untar_ts; untar_ts('{url}/stall/Coffee.zip', timeout=60)"
    p = subprocess.Popen([sys.executable, '-c', code], env={**os.environ, 'OMP_NUM_THREADS': '1'})
    part = fastai_home/'archive'/'Coffee.zip.part'
    for _ in range(600):
        if part.exists(): break
        time.sleep(0.1)
    assert part.exists(), 'the download never started'
    p.send_signal(signal.SIGKILL); p.wait()
    assert part.exists() and (fastai_home/'archive'/'Coffee.zip.lock').exists()   # what a killed download leaves
    path = untar_ts(f'{url}/good/Coffee.zip')
    assert read_series(path/'Coffee_TRAIN.arff')[0].shape == (50, 1, 150)
    assert cache_files(fastai_home) == ['archive/Coffee.zip', 'archive/Coffee.zip.sha256.json',
                                        'data/Coffee/Coffee_TEST.arff', 'data/Coffee/Coffee_TRAIN.arff']

def test_digest_recorded_and_checked(server, fastai_home):
    import json, shutil
    url, _ = server
    path = untar_ts(f'{url}/good/Coffee.zip')
    archive = fastai_home/'archive'/'Coffee.zip'
    rec = json.loads((fastai_home/'archive'/'Coffee.zip.sha256.json').read_text())
    assert rec['size'] == archive.stat().st_size and len(rec['sha256']) == 64 and rec['url'].endswith('/good/Coffee.zip')
    shutil.rmtree(path)                                               # the data folder goes: the cached archive is used again
    assert untar_ts(f'{url}/good/Coffee.zip', sha256=rec['sha256']) == path
    shutil.rmtree(path)
    data = bytearray(archive.read_bytes()); data[100] ^= 0xFF
    archive.write_bytes(bytes(data))                                  # tampered with after its first download
    with pytest.raises(DatasetDownloadError, match='changed since it was downloaded'): untar_ts(f'{url}/good/Coffee.zip')
    with pytest.raises(DatasetDownloadError, match='not the 00'): untar_ts(f'{url}/good/Coffee.zip', sha256='00' * 32)


# --- downloads that work from scripts, at any size, in any archive format, under races and kills ---------------------------

def _big_zip(path, mib: int = 3):
    "The Coffee files plus incompressible padding: a multi-MiB archive, as every non-bundled dataset is"
    _zip(path, {'padding.bin': os.urandom(mib * 2**20)})

class _Drip(_Handler):
    def do_GET(self):
        if self.path.startswith('/nolength/'):          # no Content-Length, an endless body
            self.send_response(200); self.end_headers()
            try:
                while True: self.wfile.write(b'\0' * 65536)
            except (BrokenPipeError, ConnectionResetError): return
        if self.path.startswith('/drip/'):             # one byte every 20 ms: never stalls, never ends in time
            self.send_response(200); self.send_header('Content-Length', str(10**6)); self.end_headers()
            try:
                for _ in range(10**6):
                    self.wfile.write(b'\0'); self.wfile.flush(); time.sleep(0.02)
            except (BrokenPipeError, ConnectionResetError): return
        super().do_GET()

@pytest.fixture
def drip_server(tmp_path):
    root = tmp_path/'www'; root.mkdir()
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), partial(_Drip, directory=str(root)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown(); httpd.server_close()

def test_multi_mib_download_from_a_plain_script(server, fastai_home):
    "The default progress bar, outside a notebook and without a terminal (a script's log): one line, no \\r frames"
    url, root = server
    _big_zip(root/'good'/'Coffee.zip')
    code = f"from tsexplain.data import untar_ts, read_series; p = untar_ts('{url}/good/Coffee.zip'); print(read_series(p/'Coffee_TRAIN.arff')[0].shape)"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr[-2000:]
    assert '(50, 1, 150)' in r.stdout and 'downloading Coffee.zip (3.' in r.stdout and '\r' not in r.stdout + r.stderr

def test_progress_bar_on_a_terminal_and_off(server, fastai_home, tmp_path, monkeypatch, capsys):
    "On a terminal the bar is fastprogress' console bar over the chunks; progress=False prints nothing"
    url, root = server
    _big_zip(root/'good'/'Coffee.zip')
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: True, raising=False)
    download_file(f'{url}/good/Coffee.zip', tmp_path/'a.zip')
    download_file(f'{url}/good/Coffee.zip', tmp_path/'b.zip', progress=False)
    assert (tmp_path/'a.zip').read_bytes() == (tmp_path/'b.zip').read_bytes() == (root/'good'/'Coffee.zip').read_bytes()

@pytest.mark.parametrize('suffix', ['.zip', '.tar.gz', '.tgz', '.tar', '.tar.bz2', '.tar.xz'])
def test_every_archive_suffix_works_end_to_end(server, fastai_home, suffix):
    url, root = server
    mode = {'.zip': None, '.tar.gz': 'w:gz', '.tgz': 'w:gz', '.tar': 'w', '.tar.bz2': 'w:bz2', '.tar.xz': 'w:xz'}[suffix]
    name = f'GoodT{suffix}'
    if mode is None: _zip(root/'good'/name)
    else:
        with tarfile.open(root/'good'/name, mode) as t:
            for fname, data in _series_bytes().items():
                info = tarfile.TarInfo(fname.replace('Coffee', 'GoodT')); info.size = len(data); t.addfile(info, io.BytesIO(data))
    if mode is None:
        with zipfile.ZipFile(root/'good'/name, 'w') as z:
            for fname, data in _series_bytes().items(): z.writestr(fname.replace('Coffee', 'GoodT'), data)
    path = untar_ts(f'{url}/good/{name}')
    assert path.name == 'GoodT' and read_series(path/'GoodT_TEST.arff')[0].shape == (150, 1, 150)

def test_concurrent_untar_of_one_url(server, fastai_home):
    "8 staggered processes on one URL: every one returns the complete folder, none replaces another's extraction"
    url, root = server
    _big_zip(root/'good'/'Coffee.zip', mib=2)
    code = (f"import time, sys; time.sleep(float(sys.argv[1])); from tsexplain.data import untar_ts, read_series; "
            f"p = untar_ts('{url}/good/Coffee.zip', progress=False); time.sleep(0.3); "
            f"print(read_series(p/'Coffee_TRAIN.arff')[0].shape, read_series(p/'Coffee_TEST.arff')[0].shape)")
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    procs = [subprocess.Popen([sys.executable, '-c', code, str(0.05 * i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for i in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-800:] for _, e in outs if e]
    assert all('(50, 1, 150) (150, 1, 150)' in o for o, _ in outs)
    assert not list((fastai_home/'data').glob('.Coffee.extracting-*'))

def test_extraction_killed_leaves_nothing_after_a_rerun(server, fastai_home):
    "kill -9 while an archive of many entries extracts: the rerun succeeds and removes the dead process' folder"
    url, root = server
    _zip(root/'good'/'Coffee.zip', {f'many/{i}.txt': b'x' * 100 for i in range(15_000)})
    code = f"from tsexplain.data import untar_ts; untar_ts('{url}/good/Coffee.zip', progress=False)"
    p = subprocess.Popen([sys.executable, '-c', code], env={**os.environ, 'OMP_NUM_THREADS': '1'})
    data = fastai_home/'data'
    for _ in range(1200):
        tmp = list(data.glob('.Coffee.extracting-*')) if data.exists() else []
        if tmp and len(list(tmp[0].glob('many/*'))) > 50: break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    assert list(data.glob('.Coffee.extracting-*')), 'the extraction was not caught in progress'
    path = untar_ts(f'{url}/good/Coffee.zip')
    assert read_series(path/'Coffee_TRAIN.arff')[0].shape == (50, 1, 150)
    assert not list(data.glob('.Coffee.extracting-*'))

def test_endless_body_without_length_is_capped_while_streaming(drip_server, fastai_home, tmp_path):
    with pytest.raises(DatasetDownloadError, match=r'passed 3,145,728 bytes \(max_bytes\)'):
        download_file(f'{drip_server}/nolength/x.zip', tmp_path/'dl'/'x.zip', max_bytes=3 * 2**20)
    assert not list((tmp_path/'dl').iterdir())
    with pytest.raises(DatasetDownloadError, match='max_bytes'): untar_ts(f'{drip_server}/nolength/X.zip', max_bytes=2**20)
    assert cache_files(fastai_home) == []

def test_slow_drip_is_refused(drip_server, fastai_home, tmp_path):
    t0 = time.time()
    with pytest.raises(DatasetDownloadError, match='too slow'): download_file(f'{drip_server}/drip/x.zip', tmp_path/'dl'/'x.zip', timeout=1.)
    assert time.time() - t0 < 5 and not list((tmp_path/'dl').iterdir())

def test_too_many_entries_refused_before_writing(server, fastai_home, tmp_path):
    url, root = server
    _zip(root/'good'/'Many.zip', {f'e{i}': b'' for i in range(300)})
    _refused(f'{url}/good/Many.zip', fastai_home, tmp_path/'none', r'302 entries, over the limit of 100 \(max_entries\)', max_entries=100)


def test_an_archive_holding_one_path_twice_is_refused(tmp_path):
    "A zip (or tar) with one name twice kept the later entry silently: which one is meant cannot be told, so refused"
    import tarfile, io
    z = tmp_path/'twice.zip'
    with zipfile.ZipFile(z, 'w') as zf:
        zf.writestr('X_TRAIN.tsv', '1\t1.0\t2.0\n'); zf.writestr('X_TRAIN.tsv', '2\t9.0\t9.0\n')
    with pytest.raises(UnsafeArchiveError, match='twice'): safe_extract(z, tmp_path/'out')
    t = tmp_path/'twice.tar'
    with tarfile.open(t, 'w') as tf:
        for body in (b'a', b'b'):
            info = tarfile.TarInfo('d/X_TEST.tsv'); info.size = 1; tf.addfile(info, io.BytesIO(body))
    with pytest.raises(UnsafeArchiveError, match='twice'): safe_extract(t, tmp_path/'out2')
    assert not (tmp_path/'out').exists() and not (tmp_path/'out2').exists()

@pytest.mark.parametrize('kw', [dict(max_entries=0), dict(max_entries=-3), dict(max_entries=True), dict(max_bytes=1.5), dict(max_ratio=0)])
def test_extraction_limits_are_validated(tmp_path, kw):
    z = tmp_path/'ok.zip'
    with zipfile.ZipFile(z, 'w') as zf: zf.writestr('X_TRAIN.tsv', '1\t1.0\n')
    with pytest.raises(ValueError, match=f"{next(iter(kw))} must be a positive"): safe_extract(z, tmp_path/'out', **kw)

def test_saved_files_keep_their_mode_and_folders_are_refused(tmp_path):
    "A replaced file's mode 0600 stayed 0600 (it became 0644); savefig naming a folder is refused with the fix (a raw IsADirectoryError)"
    import os, stat, torch
    import matplotlib; matplotlib.use('Agg')
    from tsexplain.all import ts_learner, TSDataLoaders, FCN, save_ts_model, show_cam
    learn = ts_learner(TSDataLoaders.from_dsname('ECG200', bs=16), FCN, seed=0, model_kwargs=dict(layers=(8, 8, 8)))
    wf = save_ts_model(learn, tmp_path/'m.safetensors')
    for f in (wf, wf.with_suffix('.json')): os.chmod(f, 0o600)
    save_ts_model(learn, tmp_path/'m.safetensors')
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in (wf, wf.with_suffix('.json')))
    x = torch.randn(1, 1, 96)
    with pytest.raises(ValueError, match='is a folder'): show_cam(x, learn.model, func_cam='grad_cam', savefig=tmp_path, show=False)

def test_split_or_doubled_sets_are_refused_not_guessed(server, fastai_home):
    "TRAIN and TEST in different folders: never the TRAIN folder alone; two complete sets: ambiguous, refused and removed"
    url, root = server
    data = _series_bytes()
    for d in ('split', 'twice'): (root/d).mkdir()
    with zipfile.ZipFile(root/'split'/'Coffee.zip', 'w') as z:
        z.writestr('train/Coffee_TRAIN.arff', data['Coffee_TRAIN.arff']); z.writestr('test/Coffee_TEST.arff', data['Coffee_TEST.arff'])
    with pytest.raises(DatasetDownloadError, match='in different folders.*move them into one folder'): untar_ts(f'{url}/split/Coffee.zip')
    assert cache_files(fastai_home) == []
    with zipfile.ZipFile(root/'twice'/'Coffee.zip', 'w') as z:
        for d in ('a', 'b'):
            for name, b in data.items(): z.writestr(f'{d}/{name}', b)
    with pytest.raises(DatasetDownloadError, match='2 complete Coffee sets.*ambiguous'): untar_ts(f'{url}/twice/Coffee.zip')
    assert cache_files(fastai_home) == []
    path = untar_ts(f'{url}/good/Coffee.zip')             # one folder with both: as before
    assert (path/'Coffee_TRAIN.arff').exists() and (path/'Coffee_TEST.arff').exists()
