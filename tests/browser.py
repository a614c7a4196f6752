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

def evaluate(url: str, expression: str, size=(1280, 900), timeout=120, settle: str = None, screenshot=None):
    "Open `url` in headless Chromium (real time, no virtual clock) and return the value of the JavaScript `expression` (awaited, once `settle` is true); `screenshot`: a PNG path for the page afterwards"
    import json, time, urllib.request
    from websockets.sync.client import connect
    exe = chromium()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen([exe, *FLAGS, f'--user-data-dir={profile}', f'--window-size={size[0]},{size[1]}',
                                 '--remote-debugging-port=0', 'about:blank'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port_file, t0 = os.path.join(profile, 'DevToolsActivePort'), time.time()
            while not os.path.exists(port_file) or not open(port_file).read().strip():
                if time.time() - t0 > 30: raise TimeoutError('Chromium did not open its DevTools port in 30 s')
                time.sleep(0.1)
            port = open(port_file).read().split()[0]
            pages = json.load(urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list', timeout=10))
            ws = next(p['webSocketDebuggerUrl'] for p in pages if p['type'] == 'page')
            with connect(ws, max_size=None, open_timeout=30) as conn:
                ids = iter(range(1, 10**6))
                def call(method, **params):
                    i = next(ids); conn.send(json.dumps(dict(id=i, method=method, params=params)))
                    while True:
                        msg = json.loads(conn.recv(timeout=timeout))
                        if msg.get('id') == i:
                            if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
                            return msg['result']
                call('Page.enable')
                call('Page.navigate', url=url)
                t0 = time.time()
                while call('Runtime.evaluate', expression='document.readyState', returnByValue=True)['result'].get('value') != 'complete':
                    if time.time() - t0 > timeout: raise TimeoutError(f'{url} did not load in {timeout} s')
                    time.sleep(0.1)
                if settle:
                    while not call('Runtime.evaluate', expression=settle, returnByValue=True)['result'].get('value'):
                        if time.time() - t0 > timeout: raise TimeoutError(f'{settle} stayed false for {timeout} s')
                        time.sleep(0.1)
                r = call('Runtime.evaluate', expression=expression, awaitPromise=True, returnByValue=True)
                if 'exceptionDetails' in r: raise RuntimeError(f"the page's script failed: {r['exceptionDetails']}")
                if screenshot is not None:
                    import base64
                    with open(screenshot, 'wb') as f: f.write(base64.b64decode(call('Page.captureScreenshot', format='png')['data']))
                return r['result'].get('value')
        finally:
            proc.terminate()
            try: proc.wait(timeout=10)
            except subprocess.TimeoutExpired: proc.kill(); proc.wait()
