"""Property tests of the readers (hypothesis, seeded): write -> read gives the same values and labels in every format, and
mutated files either read right or raise a ValueError naming the file and line. Plus one test per finding of the fuzz."""
import tempfile
from pathlib import Path
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from tsexplain.data import read_arff, read_ts, read_ucr_tsv, read_series
from readers_fuzz import FORMATS, READ, BAD, random_dataset, write, mutate, judge, same

FUZZ = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

@pytest.mark.parametrize('fmt', FORMATS)
@FUZZ
@given(seed=st.integers(0, 2**32 - 1))
def test_round_trip(fmt, seed):
    X, y = random_dataset(np.random.default_rng(seed), fmt)
    with tempfile.TemporaryDirectory() as d:
        got = READ[fmt](write(Path(d)/f'x.{fmt}', X, y, fmt))
    assert same(got, (X, y)), (got, (X, y))

@pytest.mark.parametrize('fmt', FORMATS)
@FUZZ
@given(seed=st.integers(0, 2**32 - 1))
def test_mutations_are_read_right_or_refused_by_line(fmt, seed):
    rng = np.random.default_rng(seed)
    X, y = random_dataset(rng, fmt)
    with tempfile.TemporaryDirectory() as d:
        f = write(Path(d)/f'x.{fmt}', X, y, fmt)
        kind, data, expected = mutate(rng, f.read_text(encoding='utf-8'), fmt, X, y)
        f.write_bytes(data)
        assert judge(f, fmt, kind, expected, (X, y)) not in BAD, (kind, data[-300:])

# ---- each finding of the fuzz of the earlier readers, as it was seen ----------------------------------------------------

TRICKY = ['01', '+1', '1e0', '-0', '00', '04', '09e3']

@pytest.mark.parametrize('fmt', [f for f in FORMATS if f != 'tser'])    # class labels: TSER targets are numbers
def test_labels_as_written_in_every_format(tmp_path, fmt):
    X = np.arange(len(TRICKY) * 3, dtype=np.float32).reshape(-1, 1, 3)
    y = np.array(TRICKY)
    got = READ[fmt](write(tmp_path/f'x.{fmt}', X, y, fmt))
    assert list(got[1]) == TRICKY                                # '01' and '1' or '04' and '4' were merged in .tsv

def test_txt_labels_in_float_notation(tmp_path):
    f = tmp_path/'x.txt'; f.write_text('  -1.0000000e+00   2.5\n   1.0000000e+00   3.5\n   01   1\n')
    assert list(read_series(f)[1]) == ['-1', '1', '01']

ARFF = "@relation t\n@attribute a numeric\n@attribute b numeric\n@attribute c numeric\n@attribute target {x,y}\n@data\n"
REL = ("@relation r\n@attribute rel relational\n@attribute t0 numeric\n@attribute t1 numeric\n@end rel\n"
       "@attribute target {x,y}\n@data\n")

@pytest.mark.parametrize('text,msg,line', [
    (REL + "'1,2\\n3,4',x\n'5,6',y\n", 'has 1 channel', 9),                    # was broadcast into both channels
    (REL + "'1,2\\n3',x\n", 'a channel of this series has 1 values; the header declares 2', 8),
    (ARFF + "1,2,1e39,x\n", 'does not fit in float32', 7),                     # was inf with a numpy warning
    (ARFF + "1,2,inf,x\n", "got 'inf'", 7), (ARFF + "1,Infinity,3,x\n", "got 'Infinity'", 7),
    (ARFF + "1,NAN,3,x\n", "got 'NAN'", 7), (ARFF + "1,+nan,3,x\n", r"got '\+nan'", 7),
    (ARFF + "1,,3,x\n", 'got an empty field', 7),
    ("@relation t\n@attribute target {x,y}\n@data\nx\n", 'expected numeric attributes', None),   # was shape (N, 1, 0)
    (ARFF + "1,2,3,x\n4,5", 'it looks cut', 8),
])
def test_arff_findings(tmp_path, text, msg, line):
    f = tmp_path/'f.arff'; f.write_text(text)
    with pytest.raises(ValueError, match=msg) as e: read_arff(f)
    assert str(f) in str(e.value) and (line is None or f'line {line}:' in str(e.value))

def test_trailing_question_mark_reads(tmp_path):
    f = tmp_path/'f.arff'; f.write_text(ARFF + "1,2,3,x\n4,5,?,y\n")        # raised "unequal lengths"
    X, _ = read_arff(f)
    assert X.shape == (2, 1, 3) and np.isnan(X[1, 0, 2])

def test_tsv_bom_utf8_formfeed(tmp_path):
    f = tmp_path/'f.tsv'
    f.write_bytes(b'\xef\xbb\xbfA\t1\t2\nB\t3\t4\n')
    assert list(read_ucr_tsv(f)[1]) == ['A', 'B']                             # the BOM was part of the first label
    f.write_bytes(b'A\t1\t2\nB\xff\t3\t4\n')
    with pytest.raises(ValueError, match=r'line 2: byte 0xff is not UTF-8'): read_ucr_tsv(f)   # was U+FFFD in the label
    f.write_bytes(b'A\t1\t2\nB\t3\x0c\t4\n')                                   # \x0c split the line into two series, then was
    with pytest.raises(ValueError, match=r"line 2: control character '\\x0c'"): read_ucr_tsv(f)   # stripped as whitespace: refused
    f.write_bytes(b'A\t1\t2\t3\nB\t3\t4')
    with pytest.raises(ValueError, match='line 2: .*it looks cut'), pytest.warns(UserWarning, match='does not end with a newline'):
        read_ucr_tsv(f)

TS = "% a comment, as aeon's own files have\n@problemName t\n@timeStamps false\n@univariate true\n@equalLength true\n@seriesLength 3\n@classLabel true a b\n@data\n"

def test_ts_comments_and_declared_length(tmp_path):
    f = tmp_path/'f.ts'; f.write_text(TS + "% another comment\n1,2,3:a\n4,5,6:b\n")
    X, y = read_ts(f)
    assert X.shape == (2, 1, 3) and list(y) == ['a', 'b']
    f.write_text(TS + "1,2,3:a\n4,5:b\n")
    with pytest.raises(ValueError, match='line 10: this series has 2 values per channel; the header declares 3'): read_ts(f)
    f.write_text(TS.replace('@seriesLength 3', '@seriesLength x') + "1,2,3:a\n")
    with pytest.raises(ValueError, match="line 6: @serieslength must be a whole number"): read_ts(f)
    f.write_text(TS.replace('@classLabel true a b', '@classLabel') + "1,2,3\n")
    with pytest.raises(ValueError, match="line 7: @classlabel must be true or false"): read_ts(f)

DATA = Path(__file__).parent/'data'

def test_aeon_files_with_percent_comments_and_unequal_lengths():
    X, y = read_ts(DATA/'UnitTest_TRAIN.ts')                                  # '%' comment lines were refused
    assert X.shape == (20, 1, 24) and set(y) == {'1', '2'}
    with pytest.raises(ValueError, match='pad=True'): read_ts(DATA/'PickupGestureWiimoteZ_TRAIN.ts')
    X, y = read_ts(DATA/'PickupGestureWiimoteZ_TRAIN.ts', pad=True)
    assert X.shape == (50, 1, 361) and np.isnan(X).any() and len(set(y)) == 10

def test_regression_ts_reads_numbers_and_refuses_the_rest(tmp_path):
    "A TSER file (@targetLabel true) gives float targets; a target that is not a number, or missing, is refused with its line"
    f = tmp_path/'r.ts'; f.write_text("@problemName r\n@timestamps false\n@univariate true\n@equalLength true\n@targetlabel true\n@data\n1,2,3:0.5\n4,5,6:-1e3\n")
    X, y = read_ts(f)
    assert X.shape == (2, 1, 3) and y.dtype == np.float32 and y.tolist() == [0.5, -1000.0]
    f.write_text("@problemName r\n@targetlabel true\n@data\n1,2,3:0.5\n4,5,6:big\n")
    with pytest.raises(ValueError, match='line 5'): read_ts(f)
    f.write_text("@problemName r\n@targetlabel true\n@classLabel true a b\n@data\n1,2,3:a\n")
    with pytest.raises(ValueError, match='classes or numbers'): read_ts(f)


def test_tser_edge_rows_refused_with_the_fix(tmp_path):
    "A row holding only its target (no @dimensions) names its line; numbers after ':' with no label declared are named a labelled file, with or without pad=True (they were read as a NaN channel)"
    f = tmp_path/'r.ts'
    f.write_text("@problemName r\n@targetlabel true\n@data\n1,2,3,4:0.5\n2.5\n1,2,3,5:0.7\n")
    with pytest.raises(ValueError, match=r"line 5: this row holds no series values, only its target"): read_ts(f)
    f.write_text("@problemName r\n@univariate true\n@data\n1,2,3,4:0.5\n1,2,3,5,6:0.7\n")
    for pad in (False, True):
        with pytest.raises(ValueError, match=r"declares no label: it looks like a labelled file. Add '@targetLabel true'"): read_ts(f, pad=pad)
    f.write_text("@problemName r\n@univariate false\n@data\n1,2,3:4:5,6\n1,2,3:4:5,6\n")    # a real ragged multichannel file still pads
    assert read_ts(f, pad=True)[0].shape == (2, 3, 3)

# ---- the second fuzz round's findings: each was accepted with wrong values, or a valid file was refused -----------------------

def test_cr_only_line_ends_refused(tmp_path):
    f = tmp_path/'x.txt'; f.write_bytes(b'1  1.5  2.5\r2  3.5  4.5\r')   # was one row [1.5, 2.5, 2.0, 3.5, 4.5]
    with pytest.raises(ValueError, match=r"line 1: control character '\\r' .*carriage return inside a line.*old Macs"): read_series(f)
    f.write_bytes(b'1  1.5  2.5\r\n2  3.5  4.5\r\n')                      # CRLF is fine
    X, y = read_series(f)
    assert X.shape == (2, 1, 2) and list(y) == ['1', '2']

def test_tab_after_a_ts_header_key(tmp_path):
    f = tmp_path/'f.ts'
    f.write_text(TS.replace('@classLabel true', '@classLabel\ttrue').replace('@seriesLength 3', '@seriesLength\t3') + "1,2,3:a\n4,5,6:b\n")
    X, y = read_ts(f)                                                     # the labels became a channel, y = ['', '']
    assert X.shape == (2, 1, 3) and list(y) == ['a', 'b']
    f.write_text(TS.replace('@seriesLength 3', '@seriesLength\t9') + "1,2,3:a\n")
    with pytest.raises(ValueError, match='the header declares 9'): read_ts(f)   # was ignored

@pytest.mark.parametrize('code', [c for c in range(32) if c not in (9, 10)] + [0x7f, 0x85, 0x2028])
def test_every_control_character_is_refused_by_line(tmp_path, code):
    f = tmp_path/'f.tsv'
    f.write_text(f'a\t1\t2\nb\t{chr(code)}7.5\t3\n', encoding='utf-8')   # '\x1d7.5' was 7.5: a corrupted '-' flips the sign
    if code == 13: f.write_text('a\t1\t2\nb\t\r7.5\t3\n')
    with pytest.raises(ValueError, match='line 2: control character') as e: read_ucr_tsv(f)
    assert str(f) in str(e.value)

def test_nul_in_a_label_is_refused(tmp_path):
    f = tmp_path/'f.tsv'; f.write_bytes(b'a\x00\t1\t2\nb\t3\t4\n')         # numpy dropped the NUL: y = ['a', 'b']
    with pytest.raises(ValueError, match=r"line 1: control character '\\x00'"): read_ucr_tsv(f)

@pytest.mark.parametrize('tok', ['١٢', '１２', '𝟏', '1\u00a0', '\u20031.5', '1\u200b'])
def test_non_ascii_digits_and_spaces_are_not_numbers(tmp_path, tok):
    f = tmp_path/'f.tsv'; f.write_text(f'a\t1\t2\nb\t{tok}\t3\n', encoding='utf-8')
    with pytest.raises(ValueError, match='line 2: expected a number.*only ASCII digits'): read_ucr_tsv(f)

@pytest.mark.parametrize('fmt', FORMATS)
def test_a_file_cut_in_its_last_token_warns(tmp_path, fmt):
    "At every byte of the last row: an error, or the file is read and the reader warns that its last line may be cut"
    X = np.array([[[1.25, 2.5, 4.75]], [[5.5, 6.25, 7.75]]], dtype=np.float32); y = np.array(['10', '20'])
    text = write(tmp_path/f'full.{fmt}', X, y, fmt).read_text()
    start = text.rstrip('\n').rfind('\n') + 1
    for cut in range(start + 1, len(text) - 1):
        f = tmp_path/f'cut.{fmt}'; f.write_text(text[:cut])
        try:
            with pytest.warns(UserWarning, match='does not end with a newline'): READ[fmt](f)
        except ValueError as e: assert str(f) in str(e)

def test_valid_files_that_were_refused(tmp_path):
    f = tmp_path/'f.tsv'; f.write_text('a\t3.4028235e+38\t-3.4028235e+38\n')   # float32's max as numpy prints it
    X, _ = read_ucr_tsv(f)
    assert X[0, 0, 0] == np.finfo(np.float32).max and X[0, 0, 1] == -np.finfo(np.float32).max
    f.write_text('a\t3.4028236e+38\t1\n')                                   # rounds to inf in float32
    with pytest.raises(ValueError, match='does not fit in float32'): read_ucr_tsv(f)
    g = tmp_path/'f.arff'; g.write_text("@relation t\n@attribute a numeric\n@attribute target {'a b',c}\n@data\n1,'a b' \n2,c\n")
    X, y = read_arff(g)                                                    # "',' expected" after the quote
    assert list(y) == ['a b', 'c'] and X[:, 0, 0].tolist() == [1, 2]


def test_forecasting_csvs_fuzzed(tmp_path):
    "Random (time, value, ...) CSVs mutated 600 times (bad or empty values, a field dropped or added, a repeated or swapped stamp, a cut last row, BOM, bytes that are not UTF-8, control characters): each read exactly or refused naming the file, never a raw error or a silent change"
    import collections
    from readers_fuzz import random_series_csv, mutate_csv, judge_csv
    rng, table = np.random.default_rng(0), collections.defaultdict(collections.Counter)
    for k in range(600):
        path, values, stamps = random_series_csv(rng, tmp_path/f'f{k % 7}.csv')
        kind, expected = mutate_csv(rng, path, values, stamps)
        table[kind][judge_csv(path, expected, values, stamps)] += 1
    bad = {kind: {o: c[o] for o in BAD if c[o]} for kind, c in table.items() if any(c[o] for o in BAD)}
    assert not bad, (bad, dict(table))
