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
    _refused(f'{url}/good/Coffee.zip', fastai_home, tmp_path/'none', 'max_bytes', max_bytes=1000)

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
