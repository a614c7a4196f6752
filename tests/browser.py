"""Headless Chromium for tests: the page as the browser built it (DOM after scripts ran) and a screenshot."""
import os, shutil, subprocess, tempfile
import pytest

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--hide-scrollbars']

def chromium():
    "The Chromium binary; in CI its absence is a failure (.ci/run installs it), elsewhere the test is skipped"
    exe = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if exe is None:
        if os.environ.get('CI'): pytest.fail('chromium is not installed: .ci/run installs the Debian package chromium')
        pytest.skip('chromium is not installed (apt-get install chromium)')
    return exe

def render(url: str, screenshot=None, size=(1280, 2000), timeout=120) -> str:
    "The DOM of `url` after Chromium loaded it; a PNG screenshot too when `screenshot` is a path"
    exe = chromium()
    with tempfile.TemporaryDirectory() as profile:
        base = [exe, *FLAGS, f'--user-data-dir={profile}', f'--window-size={size[0]},{size[1]}', '--virtual-time-budget=5000']
        dom = subprocess.run(base + ['--dump-dom', url], capture_output=True, text=True, timeout=timeout).stdout
        if screenshot is not None:
            subprocess.run(base + [f'--screenshot={screenshot}', url], capture_output=True, timeout=timeout)
    return dom
