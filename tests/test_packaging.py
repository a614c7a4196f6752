"""What a release holds: the sdist carries what setup.py needs (settings.ini), the licence and the bundled datasets; a wheel
built *from the sdist* installs and runs outside the checkout; both pass `twine check`."""
import os, subprocess, sys, tarfile, zipfile
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip('build')

def _run(*args, cwd=None, env=None):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout

@pytest.fixture(scope='module')
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    _run(sys.executable, '-m', 'build', '--sdist', '--no-isolation', '--outdir', str(out), str(ROOT))
    sdist = next(out.glob('tsexplain-*.tar.gz'))
    wheels = tmp_path_factory.mktemp('wheels')       # built from the unpacked sdist, not from the checkout
    _run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(wheels), str(sdist))
    return sdist, next(wheels.glob('tsexplain-*.whl'))

def test_sdist_holds_what_the_build_needs(dists):
    sdist, _ = dists
    names = [n.split('/', 1)[1] for n in tarfile.open(sdist).getnames() if '/' in n]
    for needed in ('settings.ini', 'setup.py', 'pyproject.toml', 'LICENSE', 'README.md', 'CHANGELOG.md',
                   'tsexplain/datasets/ECG200/ECG200_TRAIN.arff', 'tsexplain/datasets/BasicMotions/BasicMotions_TEST.ts'):
        assert needed in names, f'{needed} missing from the sdist'
    assert not [n for n in names if n.startswith(('tests/', 'nbs/', 'bench/', '_docs/', 'README_files/'))]

def test_wheel_from_sdist(dists):
    _, wheel = dists
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith('.dist-info/licenses/LICENSE') or n.endswith('.dist-info/LICENSE') for n in names)
    assert 'tsexplain/datasets/GunPoint/GunPoint_TRAIN.arff' in names and 'tsexplain/datasets/README.md' in names
    assert not [n for n in names if n.startswith(('tests/', 'nbs/')) or n.endswith('.ipynb')]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith('.dist-info/METADATA'))).decode()
    assert 'License-Expression: Apache-2.0' in meta or 'License: Apache-2.0' in meta
    assert '](README_files/' not in meta and '](nbs/' not in meta       # relative links would break on PyPI

def test_twine_check(dists):
    pytest.importorskip('twine')
    out = _run(sys.executable, '-m', 'twine', 'check', '--strict', *map(str, dists))
    assert out.count('PASSED') == 2

def test_installed_wheel_runs_outside_the_checkout(dists, tmp_path):
    _, wheel = dists
    site = tmp_path/'site'
    _run(sys.executable, '-m', 'pip', 'install', '--no-deps', '-q', '--target', str(site), str(wheel))
    env = {**os.environ, 'PYTHONPATH': str(site)}
    code = ("import tsexplain, tsexplain.data as d; from tsexplain.cli import main; "
            "print(tsexplain.__file__); print(d.untar_ts('ECG200')); main(['--help'])")
    out = _run(sys.executable, '-c', code, cwd=tmp_path, env=env)
    first, second = out.splitlines()[:2]
    assert first.startswith(str(site)) and second.startswith(str(site)) and (Path(second)/'ECG200_TRAIN.arff').exists()
    assert 'usage: tsexplain' in out
