"""Readers against the bundled files' known facts and generated files; the download path against a local HTTP server."""
import http.server, io, threading, zipfile
from functools import partial
from pathlib import Path
import numpy as np
import pytest
from tsexplain.data import *
from fastcore.test import test_eq as expect_eq   # after the star imports: fastcore's `eq` is operator.eq

BUNDLED_FACTS = {  # name: (n_train, n_test, channels, length, labels)
    'ECG200': (100, 100, 1, 96, {'-1', '1'}),
    'GunPoint': (50, 150, 1, 150, {'1', '2'}),
    'BasicMotions': (40, 40, 6, 100, {'Standing', 'Running', 'Walking', 'Badminton'}),
}

@pytest.mark.parametrize('name', BUNDLED_FACTS)
def test_bundled_facts(name):
    n_trn, n_tst, c, l, labels = BUNDLED_FACTS[name]
    path = untar_ts(name)
    for split, n in (('TRAIN', n_trn), ('TEST', n_tst)):
        X, y = read_arff(path/f'{name}_{split}.arff')
        expect_eq(X.shape, (n, c, l)); expect_eq(X.dtype, np.float32); expect_eq(set(y), labels)
        assert not np.isnan(X).any()

@pytest.mark.parametrize('name,ext', [('ECG200', 'tsv'), ('ECG200', 'txt'), ('GunPoint', 'ts'), ('GunPoint', 'tsv'),
                                      ('GunPoint', 'txt'), ('BasicMotions', 'ts')])
def test_formats_agree(name, ext):
    path = untar_ts(name)
    for split in ('TRAIN', 'TEST'):
        Xa, ya = read_arff(path/f'{name}_{split}.arff')
        X, y = read_series(path/f'{name}_{split}.{ext}')
        np.testing.assert_allclose(X, Xa, atol=1e-6); expect_eq(list(y), list(ya))

def test_url_constants():
    expect_eq(len(get_UCR_univariate_list()), 128); expect_eq(len(get_UCR_multivariate_list()), 30)
    assert len(set(get_UCR_univariate_list())) == 128
    expect_eq(URLs_TS.UNI_ECG200.split('/')[-1], 'ECG200.zip'); expect_eq(URLs_TS.BASIC_MOTIONS.split('/')[-1], 'BasicMotions.zip')
    expect_eq(untar_ts(URLs_TS.UNI_ECG200), untar_ts('ECG200')); assert unzip_data is untar_ts

def test_unknown_name_lists_close_names():
    with pytest.raises(ValueError, match='Did you mean: GunPoint'): untar_ts('GunPiont')

# ---- generated files ---------------------------------------------------------------------------------------------------

ARFF_HDR = "@relation t\n@attribute a1 numeric\n@attribute a2 numeric\n@attribute a3 numeric\n@attribute target {x,y}\n@data\n"

def test_arff_missing_values(tmp_path):
    f = tmp_path/'m.arff'; f.write_text(ARFF_HDR + "1,?,3,x\n4,5,6,y\n")
    X, y = read_arff(f)
    expect_eq(X.shape, (2, 1, 3)); assert np.isnan(X[0, 0, 1]) and not np.isnan(X[1]).any(); expect_eq(list(y), ['x', 'y'])

def test_arff_relational(tmp_path):
    f = tmp_path/'r.arff'
    f.write_text("@relation 'r'\n@attribute rel relational\n@attribute a0 numeric\n@attribute a1 numeric\n@attribute a2 numeric\n"
                 "@end rel\n@attribute activity {Up,Down}\n@data\n'1,2,3\\n4,5,6',Up\n'7,?,9\\n1,2,3',Down\n")
    X, y = read_arff(f)
    expect_eq(X.shape, (2, 2, 3)); expect_eq(X[0, 1].tolist(), [4, 5, 6]); assert np.isnan(X[1, 0, 1]); expect_eq(list(y), ['Up', 'Down'])

def test_arff_trailing_missing_values_are_padding(tmp_path):
    "The archive pads shorter series with trailing '?': they read as NaN, with or without pad=True (it was an error)"
    f = tmp_path/'u.arff'; f.write_text(ARFF_HDR + "1,2,3,x\n4,?,?,y\n")
    for pad in (False, True):
        X, _ = read_arff(f, pad=pad)
        expect_eq(X.shape, (2, 1, 3)); assert np.isnan(X[1, 0, 1:]).all()

@pytest.mark.parametrize('line,msg', [("1,zz,3,x", "expected a number"), ("1,2,x", "expected 4 comma-separated values"),
                                      ("1,2,3,q", "expected a class label in")])
def test_arff_malformed(tmp_path, line, msg):
    f = tmp_path/'bad.arff'; f.write_text(ARFF_HDR + "1,2,3,x\n" + line + "\n")
    with pytest.raises(ValueError, match=msg) as e: read_arff(f)
    assert str(f) in str(e.value) and 'line 8' in str(e.value)

TS_HDR = "# a comment\n@problemName t\n@timeStamps false\n@missing true\n@univariate false\n@dimensions 2\n@equalLength {eq}\n@classLabel true a b\n@data\n"

def test_ts_missing_and_channels(tmp_path):
    f = tmp_path/'t.ts'; f.write_text(TS_HDR.format(eq='true') + "1,2,3:4,?,6:a\n7,8,9:1,2,3:b\n")
    X, y = read_ts(f)
    expect_eq(X.shape, (2, 2, 3)); assert np.isnan(X[0, 1, 1]); expect_eq(list(y), ['a', 'b'])

def test_ts_unequal_lengths(tmp_path):
    f = tmp_path/'t.ts'; f.write_text(TS_HDR.format(eq='false') + "1,2,3:4,5,6:a\n7,8:1,2:b\n")
    with pytest.raises(ValueError, match='pad=True'): read_ts(f)
    X, _ = read_ts(f, pad=True)
    expect_eq(X.shape, (2, 2, 3)); assert np.isnan(X[1, :, 2]).all() and not np.isnan(X[1, :, :2]).any()

@pytest.mark.parametrize('line,msg,lineno', [("1,2,3:4,5,6:c", "expected a class label", 11),
                                             ("1,2,3:a", "expected 2 channel", 11),
                                             ("1,2,3:4,x,6:a", "expected a number", 11)])
def test_ts_malformed(tmp_path, line, msg, lineno):
    f = tmp_path/'bad.ts'; f.write_text(TS_HDR.format(eq='true') + "1,2,3:4,5,6:a\n" + line + "\n")
    with pytest.raises(ValueError, match=msg) as e: read_ts(f)
    assert str(f) in str(e.value) and f'line {lineno}' in str(e.value)

def test_ts_missing_data_section(tmp_path):
    f = tmp_path/'bad.ts'; f.write_text("@problemName t\n@classLabel true a b\n")
    with pytest.raises(ValueError, match="@data"): read_ts(f)

def test_tsv_missing_unequal_malformed(tmp_path):
    f = tmp_path/'t.tsv'; f.write_text("1\t0.5\tNaN\t2\n2\t1\t2\t3\n")
    X, y = read_ucr_tsv(f)
    expect_eq(X.shape, (2, 1, 3)); assert np.isnan(X[0, 0, 1]); expect_eq(list(y), ['1', '2'])
    f.write_text("1\t0.5\t1\t2\n2\t1\t2\n")
    with pytest.raises(ValueError, match='pad=True'): read_ucr_tsv(f)
    expect_eq(read_ucr_tsv(f, pad=True)[0].shape, (2, 1, 3))
    f.write_text("1\t0.5\t1\t2\n2\t1\tabc\t3\n")
    with pytest.raises(ValueError, match=r'line 2: expected a number') as e: read_ucr_tsv(f)
    assert str(f) in str(e.value)

def test_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match='unknown file type'): read_series(tmp_path/'x.csv')

# ---- download path -----------------------------------------------------------------------------------------------------

class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        if self.path.startswith('/truncated/'):
            body = (Path(self.directory)/'good'/self.path.split('/')[-1]).read_bytes()
            self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers()
            self.wfile.write(body[:len(body) // 3]); self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

@pytest.fixture
def server(tmp_path):
    root = tmp_path/'www'
    (root/'good').mkdir(parents=True); (root/'corrupt').mkdir()
    src = untar_ts('GunPoint')
    with zipfile.ZipFile(root/'good'/'Coffee.zip', 'w') as z:
        for split in ('TRAIN', 'TEST'): z.write(src/f'GunPoint_{split}.arff', f'Coffee_{split}.arff')
    with zipfile.ZipFile(root/'good'/'Beef.zip', 'w') as z: z.writestr('readme.txt', 'no series here')
    with zipfile.ZipFile(root/'good'/'BigSet.zip', 'w') as z:            # the files nested in a folder of their own
        for split in ('TRAIN', 'TEST'): z.write(src/f'GunPoint_{split}.arff', f'BigSet/BigSet_{split}.arff')
    (root/'corrupt'/'Coffee.zip').write_bytes(b'PK\x03\x04' + bytes(range(256)) * 40)
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), partial(_Handler, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown(); httpd.server_close()

from conftest import cache_files as _cache_files

def test_download_good_then_cached(server, fastai_home):
    path = untar_ts(f'{server}/good/Coffee.zip')
    expect_eq(path, fastai_home/'data'/'Coffee')
    X, y = read_arff(path/'Coffee_TRAIN.arff'); expect_eq(X.shape, (50, 1, 150))
    expect_eq(untar_ts('Coffee'), path)  # by name, from the cache, no network needed

@pytest.mark.parametrize('kind', ['truncated', 'corrupt'])
def test_download_failure_leaves_nothing(server, fastai_home, kind):
    url = f'{server}/{kind}/Coffee.zip'
    with pytest.raises(DatasetDownloadError) as e: untar_ts(url)
    msg = str(e.value)
    assert url in msg and 'offline' in msg and 'Coffee_TRAIN.arff' in msg
    expect_eq(_cache_files(fastai_home), [])
    assert not (fastai_home/'data'/'Coffee').exists()

def test_download_nested_folder_returns_the_files_folder(server, fastai_home):
    "untar_ts returns the folder holding the TRAIN and TEST files, also when the archive nests them in a folder"
    path = untar_ts(f'{server}/good/BigSet.zip')
    assert (path/'BigSet_TRAIN.arff').exists() and (path/'BigSet_TEST.arff').exists()
    expect_eq(untar_ts(f'{server}/good/BigSet.zip'), path)                 # and again from the cache

def test_download_archive_without_series(server, fastai_home):
    with pytest.raises(DatasetDownloadError, match='holds no Beef_TRAIN'): untar_ts(f'{server}/good/Beef.zip')
    expect_eq(_cache_files(fastai_home), [])

def test_download_unreachable(fastai_home):
    with pytest.raises(DatasetDownloadError, match='127.0.0.1:9'): untar_ts('http://127.0.0.1:9/Coffee.zip')
    expect_eq(_cache_files(fastai_home), [])


TSF = """# a comment
@relation demo
@attribute series_name string
@attribute start_timestamp date
@frequency monthly
@horizon 3
@missing true
@equallength true
@data
A:2020-01-01 00-00-00:1,2,3,4,5,6
B:2020-01-01 00-00-00:10,20,30,40,50,60
C:2020-03-01 00-00-00:1,?,3
"""


def test_tsf_series_by_name_as_channels_with_stamps(tmp_path):
    "A Monash .tsf: series picked by name or position, several of one length and start as channels, stamps from the start at the frequency"
    from tsexplain.readers import read_tsf
    p = tmp_path/'demo.tsf'; p.write_text(TSF)
    series, info, header = read_tsf(p)
    assert [i['series_name'] for i in info] == ['A', 'B', 'C'] and header['horizon'] == 3 and header['frequency'] == 'monthly'
    assert np.isnan(series[2][1]) and info[2]['@line'] == 12
    v, t = read_forecast_series(p, columns='B')
    np.testing.assert_array_equal(v, [10, 20, 30, 40, 50, 60]); assert list(t[:2]) == ['2020-01', '2020-02'] and t[-1] == '2020-06'
    v, _ = read_forecast_series(p, columns=['B', 0])
    assert v.shape == (2, 6) and v[1, 0] == 1
    from tsexplain.core import TSDataLoaders
    dls = TSDataLoaders.from_series(v, lookback=3, horizon=1, valid_pct=0.34, bs=2)          # straight into a forecaster's windows
    assert dls.forecast['target_channels'] == [0, 1]


@pytest.mark.parametrize('text, columns, msg', [
    (TSF, None, r'holds 3 series \(A, B, C\): pick one'),
    (TSF, 'Z', r"no series 'Z'; the series are named A, B, C"),
    (TSF, 'C', r'demo.tsf, line 12: series C has 1 missing value\(s\)'),
    (TSF.replace('B:2020-01', 'B:2020-02'), ['A', 'B'], r'differ in length or start \(A: 6 steps from 2020-01-01 00-00-00, B: 6 steps from 2020-02'),
    (TSF.replace('@missing true', '@missing false'), 'A', r'line 12: 1 missing value\(s\) .* @missing false'),
    (TSF.replace('@horizon 3\n', '@horizon 3\n@frequency daily\n'), 'A', r"line 7: @frequency given twice \('monthly', then 'daily'\)"),
    (TSF.replace('A:2020', 'A:x:2020'), 'A', r"line 10: expected 2 attribute value\(s\) \(series_name, start_timestamp\)"),
    (TSF.replace('1,2,3,4,5,6', '1,2,x,4'), 'A', r"line 10: expected a number or a missing value"),
    (TSF.replace('@data\n', ''), 'A', r"line 9: expected a header line"),
    (TSF.split('@data')[0], 'A', r'no @data line'),
    (TSF.replace('A:2020-01-01 00-00-00', 'A:yesterday'), 'A', r"line 10: start_timestamp 'yesterday' is not a date"),
    (TSF.replace('@frequency monthly', '@frequency fortnightly'), 'A', r"@frequency 'fortnightly' is not one of the Monash archive's"),
])
def test_tsf_bad_input_names_the_file_and_line(tmp_path, text, columns, msg):
    p = tmp_path/'demo.tsf'; p.write_text(text)
    with pytest.raises(ValueError, match=msg): read_forecast_series(p, columns=columns)
