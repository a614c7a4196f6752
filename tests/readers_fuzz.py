"""Generated and mutated archive files for the readers' fuzz tests (tests/test_readers_fuzz.py) and the long fuzz
(bench/fuzz_readers.py): writers for the three formats, mutations with known right answers, and one classifier of outcomes."""
from pathlib import Path
import numpy as np
from tsexplain.data import read_arff, read_ts, read_ucr_tsv, MISSING

FORMATS = ('arff', 'ts', 'tsv', 'tser')
# TSER regression targets exactly representable in float32, written as Python writes them: read back, each gives its own text
TARGETS = ['0.5', '-1.25', '3.0', '1000.0', '-0.0', '0.0078125', '12.75', '-300.5', '1e-05', '2.5e+20']

def read_tser(path):
    "A TSER file (`read_ts`, @targetLabel true) with its float targets as the text they were written as"
    X, y = read_ts(path)
    if y.dtype.kind != 'f': raise AssertionError(f'{path}: a TSER file gave {y.dtype} targets')
    return X, np.array([repr(float(v)) for v in y], dtype=str)

READ = {'arff': read_arff, 'ts': read_ts, 'tsv': read_ucr_tsv, 'tser': read_tser}
# labels other readers rewrite (numbers in disguise, signs, accents): each must come back exactly as written
LABELS = ['01', '+1', '1e0', '-0', '00', '04', '09e3', '1.0', '-1', '1', '2', 'A', 'Up', 'é', 'класс']
BAD_TOKENS = ['inf', '-inf', 'Infinity', 'NAN', '+nan', '1e39', '-4e38', '', ' ', 'abc', '1_0', '0x10', '1,5', '--1', '1e', '.']
WRITE_MISSING = {'arff': '?', 'ts': '?', 'tsv': 'NaN', 'tser': '?'}

def random_dataset(rng: np.random.Generator, fmt: str):
    "X float32 (N, C, L) with some missing values, and labels drawn from LABELS"
    N, C, L = int(rng.integers(1, 6)), 1 if fmt == 'tsv' else int(rng.integers(1, 4)), int(rng.integers(1, 12))
    scale = 10.0 ** rng.integers(-6, 30, size=(N, C, 1))
    X = (rng.standard_normal((N, C, L)) * scale).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[..., 0] = np.where(np.isnan(X[..., 0]), 1.0, X[..., 0])          # no series entirely missing
    pool = TARGETS if fmt == 'tser' else LABELS
    y = np.array([pool[i] for i in rng.integers(0, len(pool), N)], dtype=str)
    if fmt == 'tser': y = np.array([repr(float(np.float32(v))) for v in y], dtype=str)
    return X, y

def _tok(v, fmt) -> str: return WRITE_MISSING[fmt] if np.isnan(v) else repr(float(v))

def write(path: Path, X, y, fmt: str) -> Path:
    "Write X (N, C, L) and labels y in `fmt`; every line ends with \\n"
    N, C, L = X.shape
    classes = sorted(set(y.tolist()))
    if fmt == 'tsv':
        rows = ['\t'.join([lab] + [_tok(v, fmt) for v in x[0]]) for x, lab in zip(X, y)]
    elif fmt in ('ts', 'tser'):
        hdr = ['% written by tests/readers_fuzz.py', '@problemName fuzz', '@timeStamps false', '@missing true',
               f'@univariate {str(C == 1).lower()}', f'@dimensions {C}', '@equalLength true', f'@seriesLength {L}',
               '@targetLabel true' if fmt == 'tser' else '@classLabel true ' + ' '.join(classes), '@data']
        rows = hdr + [':'.join(','.join(_tok(v, fmt) for v in ch) for ch in x) + ':' + lab for x, lab in zip(X, y)]
    else:
        q = lambda s: "'" + s + "'"
        if C == 1:
            hdr = ['@relation fuzz'] + [f'@attribute t{i} numeric' for i in range(L)]
            body = [','.join([_tok(v, fmt) for v in x[0]] + [q(lab)]) for x, lab in zip(X, y)]
        else:
            hdr = ['@relation fuzz', '@attribute series relational'] + [f'@attribute t{i} numeric' for i in range(L)] + ['@end series']
            body = [q('\\n'.join(','.join(_tok(v, fmt) for v in ch) for ch in x)) + ',' + q(lab) for x, lab in zip(X, y)]
        rows = hdr + ['@attribute target {' + ','.join(q(c) for c in classes) + '}', '@data'] + body
    path.write_bytes(('\n'.join(rows) + '\n').encode('utf-8'))
    return path

def same(a, b) -> bool:
    "Equal arrays and labels, NaN equal to NaN"
    (Xa, ya), (Xb, yb) = a, b
    return Xa.shape == Xb.shape and np.array_equal(Xa, Xb, equal_nan=True) and list(ya) == list(yb)

def _value_spans(text: str, fmt: str) -> list:
    "(start, end) of every value token in the data part of `text`"
    import re
    start = 0 if fmt == 'tsv' else text.index('@data') + 6
    fmt = 'ts' if fmt == 'tser' else fmt
    spans = []
    for m in re.finditer(r"[^\s,:\t'\\]+", text[start:]):
        s, e = m.start() + start, m.end() + start
        if fmt == 'tsv' and (s == 0 or text[s - 1] == '\n'): continue                    # the label
        if fmt == 'ts' and text[e:e + 1] == '\n': continue                               # the label
        if fmt == 'arff' and text[s - 1:s] == "'" and text[e:e + 1] == "'" and text[e + 1:e + 2] == '\n': continue
        if m.group() in ('n',) or m.group().startswith('n') and text[s - 1] == '\\': continue
        spans.append((s, e))
    return spans

MUTATIONS = ('bad_token', 'missing_token', 'truncate', 'truncate_last_row', 'bom', 'control_char', 'not_utf8', 'byte_flip',
             'drop_line_end', 'drop_channel', 'cr_only', 'unicode_digit', 'unicode_space', 'header_tab', 'label_only_row')
# every C0 control character but tab and newline (separators), DEL, a C1 control and the Unicode line separators
CONTROLS = [chr(c) for c in range(32) if c not in (9, 10)] + ['\x7f', '\x85', '\u2028', '\u2029']
UNICODE_DIGITS = {'0': '٠', '1': '١', '2': '２', '3': '𝟑', '4': '४', '5': '５', '6': '٦', '7': '７', '8': '８', '9': '٩'}
UNICODE_SPACES = ['\u00a0', '\u2003', '\u3000', '\u200b']

def mutate(rng, text: str, fmt: str, X, y):
    "One mutation of a valid file: (new bytes, expected) with expected 'error', an (X, y) answer, or 'prefix'/None (judged later)"
    kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    spans = _value_spans(text, fmt)
    if kind in ('bad_token', 'missing_token') and spans:
        s, e = spans[int(rng.integers(len(spans)))]
        if kind == 'bad_token':
            return kind, (text[:s] + BAD_TOKENS[int(rng.integers(len(BAD_TOKENS)))] + text[e:]).encode(), 'error'
        tok = WRITE_MISSING[fmt] if fmt != 'tsv' else MISSING[int(rng.integers(1, 3))]
        return kind, (text[:s] + tok + text[e:]).encode(), None                 # judged: only that value becomes NaN
    if kind == 'truncate':
        cut = int(rng.integers(len(text) // 2, len(text) - 1))
        return kind, text[:cut].encode(), 'prefix'
    if kind == 'truncate_last_row':                  # a cut at any byte of the last row
        start = text.rstrip('\n').rfind('\n') + 1
        cut = int(rng.integers(start, len(text) - 1)) if len(text) - 1 > start else start
        return kind, text[:cut].encode(), 'prefix'
    if kind == 'control_char' and spans:
        s, e = spans[int(rng.integers(len(spans)))]
        ch = CONTROLS[int(rng.integers(len(CONTROLS)))]
        at = int(rng.integers(s, e + 1))
        if ch == '\r' and text[at:at + 1] == '\n': return kind, (text[:at] + ch + text[at:]).encode(), (X, y)   # a CRLF line end
        return kind, (text[:at] + ch + text[at:]).encode(), 'error'
    if kind == 'cr_only':                            # old Mac line ends: every \n becomes \r
        return kind, text.replace('\n', '\r').encode(), 'error' if text.count('\n') > 1 else (X, y)
    if kind == 'unicode_digit' and spans:
        cands = [(s, e) for s, e in spans if any(c.isdigit() for c in text[s:e])]
        if cands:
            s, e = cands[int(rng.integers(len(cands)))]
            tok = text[s:e]
            i = next(i for i, c in enumerate(tok) if c.isdigit())
            return kind, (text[:s] + tok[:i] + UNICODE_DIGITS[tok[i]] + tok[i + 1:] + text[e:]).encode(), 'error'
    if kind == 'unicode_space' and spans:
        s, _ = spans[int(rng.integers(len(spans)))]
        return kind, (text[:s] + UNICODE_SPACES[int(rng.integers(len(UNICODE_SPACES)))] + text[s:]).encode(), 'error'
    if kind == 'label_only_row' and fmt in ('ts', 'tser'):   # a row holding only its label or target: never a series of nothing
        lines = text.split('\n')
        rows = [i for i, l in enumerate(lines) if l and l[0] not in '@%' and i > lines.index('@data')]
        i = rows[int(rng.integers(len(rows)))]
        lines[i] = lines[i].rsplit(':', 1)[1]
        return kind, '\n'.join(lines).encode(), 'error'
    if kind == 'header_tab' and fmt in ('ts', 'tser'):         # '@classLabel<TAB>true a b': a tab separates a header key as a space does
        lines = text.split('\n')
        hdr = [i for i, l in enumerate(lines) if l.startswith('@') and ' ' in l]
        i = hdr[int(rng.integers(len(hdr)))]
        lines[i] = lines[i].replace(' ', '\t', 1)
        return kind, '\n'.join(lines).encode(), (X, y)
    if kind == 'bom': return kind, b'\xef\xbb\xbf' + text.encode(), (X, y)
    if kind == 'not_utf8':
        b = text.encode(); i = int(rng.integers(len(b)))
        return kind, b[:i] + b'\xff' + b[i:], 'error'
    if kind == 'drop_channel' and fmt != 'tsv' and X.shape[1] > 1:
        fmt = 'ts' if fmt == 'tser' else fmt       # one row loses a channel: never broadcast, never padded
        lines = text.split('\n')
        rows = [i for i, l in enumerate(lines) if l and l[0] not in '@%']
        i = rows[int(rng.integers(len(rows)))]
        lines[i] = lines[i].split(':', 1)[1] if fmt == 'ts' else "'" + lines[i].split('\\n', 1)[1]   # the first channel goes
        return kind, '\n'.join(lines).encode(), 'error' if fmt == 'ts' or len(X) > 1 else None   # ARFF declares no channel count
    if kind == 'drop_line_end': return kind, text.rstrip('\n').encode(), (X, y)   # a last line without \n is still whole
    b = bytearray(text.encode()); i = int(rng.integers(len(b))); b[i] = int(rng.integers(1, 256))
    return 'byte_flip', bytes(b), None

OUTCOMES = ('ok', 'clean_error', 'raw_exception', 'error_without_file_or_line', 'silent_change', 'false_rejection', 'warned',
            'accepted')
BAD = ('raw_exception', 'error_without_file_or_line', 'silent_change', 'false_rejection')

def judge(path: Path, fmt: str, kind: str, expected, original) -> str:
    "Read the mutated file and classify the outcome (one of OUTCOMES); an accepted file whose cut the reader warned about is 'warned'"
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        outcome = _judge(path, fmt, kind, expected, original)
    warned = any('does not end with a newline' in str(w.message) for w in caught)
    return 'warned' if outcome == 'accepted' and warned else outcome

def _label_prefix(written: str, got: str, fmt: str) -> bool:
    "Whether `got` is what the reader makes of a cut of the label `written` (a TSER target: the number a prefix of its text reads as)"
    if fmt != 'tser': return written.startswith(got)
    def num(t):
        try: return repr(float(np.float32(t)))
        except ValueError: return None
    return any(num(written[:k]) == got for k in range(1, len(written) + 1))

def _judge(path: Path, fmt: str, kind: str, expected, original) -> str:
    try: got = READ[fmt](path)
    except ValueError as e:
        if str(path) not in str(e): return 'error_without_file_or_line'
        if expected == 'error' or expected in ('prefix', None): return 'clean_error'
        return 'false_rejection'
    except Exception: return 'raw_exception'
    X, y = original
    if expected == 'error': return 'silent_change'
    if expected == 'prefix':                        # the rows that survived whole, exactly; a cut inside a last value can't be seen
        n = len(got[0])
        if n <= len(X) and same(got, (X[:n], y[:n])): return 'ok'
        whole_but_last = n <= len(X) and _label_prefix(y[n - 1], got[1][-1], fmt) and (n == 1 or same((got[0][:-1], got[1][:-1]), (X[:n - 1], y[:n - 1])))
        if whole_but_last and (n == 1 or got[0].shape[-1] == X.shape[-1]): return 'accepted'   # cut inside its last number or label
        return 'silent_change'
    if expected is None:
        if kind == 'missing_token':                 # exactly one more NaN, everything else the same
            Xg, yg = got
            ok = Xg.shape == X.shape and list(yg) == list(y)
            diff = ~(np.isnan(Xg) & np.isnan(X)) & (Xg != X) if ok else None
            return 'ok' if ok and diff.sum() <= 1 and np.isnan(Xg[diff]).all() else 'silent_change'   # 0: it was missing already
        return 'accepted'
    return 'ok' if same(got, expected) else 'silent_change'


# ---- forecasting CSVs (read_forecast_series): rows of (time, value, ...) -------------------------------------------------------
CSV_MUTATIONS = ('bad_token', 'missing_value', 'empty_value', 'drop_field', 'repeat_stamp', 'swap_rows', 'truncate_last_row', 'bom', 'not_utf8',
                 'control_char', 'extra_field')

def random_series_csv(rng, path: Path):
    "A forecasting CSV of T rows (a time column, 1 to 3 value columns, with or without a header): (path, values (C, T), stamps)"
    T, C = int(rng.integers(3, 30)), int(rng.integers(1, 4))
    values = (rng.standard_normal((C, T)) * 10.0 ** rng.integers(-3, 6, size=(C, 1))).astype(np.float32)
    dates = bool(rng.integers(2))
    stamps = [f'{1950 + i // 12}-{i % 12 + 1:02d}' if dates else str(1900 + 2 * i) for i in range(T)]
    header = bool(rng.integers(2)) or dates                # a file without a header and with number stamps is read as it is
    lines = (['time,' + ','.join(f'v{c}' for c in range(C))] if header else []) + \
            [','.join([s] + [repr(float(v)) for v in values[:, i]]) for i, s in enumerate(stamps)]
    path.write_bytes(('\n'.join(lines) + '\n').encode())
    return path, values, np.array(stamps)

def mutate_csv(rng, path: Path, values, stamps) -> tuple[str, str]:
    "Mutate the CSV at `path` in place: (kind, expected) with expected 'error' or 'same' (the values and stamps as written)"
    text = path.read_text(); lines = text.rstrip('\n').split('\n')
    first = 1 if not _is_num(lines[0].split(',')[1]) else 0
    kind = CSV_MUTATIONS[int(rng.integers(len(CSV_MUTATIONS)))]
    i = int(rng.integers(first, len(lines)))
    f = lines[i].split(',')
    j = int(rng.integers(1, len(f)))
    if kind == 'bad_token': f[j] = ['abc', 'inf', '-inf', '1e39', '0x10', '1_0', '--1', '.', '1,5', 'N/A'][int(rng.integers(10))]; lines[i] = ','.join(f)
    elif kind == 'missing_value':                               # a missing value as the archives write it: NaN in that one cell
        f[j] = ['?', 'NaN', 'nan'][int(rng.integers(3))]; path.write_bytes(('\n'.join(lines[:i] + [','.join(f)] + lines[i + 1:]) + '\n').encode())
        return kind, ('missing', j - 1, i - first)
    elif kind == 'empty_value': f[j] = ''; lines[i] = ','.join(f)
    elif kind == 'drop_field': lines[i] = ','.join(f[:j] + f[j + 1:])
    elif kind == 'extra_field': lines[i] = ','.join(f + ['1.5'])
    elif kind == 'repeat_stamp' and i > first: lines[i] = ','.join([lines[i - 1].split(',')[0]] + f[1:])
    elif kind == 'swap_rows' and i > first: lines[i - 1], lines[i] = lines[i], lines[i - 1]
    elif kind == 'truncate_last_row':
        path.write_bytes(text[:len(text) - 1 - int(rng.integers(1, len(lines[-1])))].encode()); return kind, 'prefix'
    elif kind == 'bom': path.write_bytes(b'\xef\xbb\xbf' + text.encode()); return kind, 'same'
    elif kind == 'not_utf8':
        b = text.encode(); k = int(rng.integers(len(b))); path.write_bytes(b[:k] + b'\xff' + b[k:]); return kind, 'error'
    elif kind == 'control_char': f[j] = f[j][:1] + CONTROLS[int(rng.integers(len(CONTROLS)))] + f[j][1:]; lines[i] = ','.join(f)
    else: return kind, 'same'                                   # a row with nothing above it to repeat or swap
    path.write_bytes(('\n'.join(lines) + '\n').encode())
    return kind, 'error'

def _is_num(t: str) -> bool:
    try: float(t); return True
    except ValueError: return False

def judge_csv(path: Path, expected, values, stamps) -> str:
    "One of OUTCOMES for read_forecast_series on the mutated file"
    import warnings
    from tsexplain.data import read_forecast_series
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            got, times = read_forecast_series(path)
    except ValueError as e: return ('clean_error' if expected != 'same' else 'false_rejection') if str(path) in str(e) else 'error_without_file_or_line'
    except Exception: return 'raw_exception'
    got = got.reshape(len(values), -1)
    if isinstance(expected, tuple):                            # ('missing', channel, step): exactly that cell NaN
        want = values.copy(); want[expected[1], expected[2]] = np.nan
        return 'ok' if np.array_equal(got, want, equal_nan=True) and list(times) == list(stamps) else 'silent_change'
    if expected == 'same': return 'ok' if np.array_equal(got, values) and list(times) == list(stamps) else 'silent_change'
    if expected == 'prefix':                                   # the rows before the cut exactly; the last one's number may be cut
        n = got.shape[1]
        whole = np.array_equal(got[:, :n - 1], values[:, :n - 1]) and list(times[:n - 1]) == list(stamps[:n - 1])
        warned = any('does not end with a newline' in str(w.message) for w in caught)
        return 'warned' if whole and warned else 'ok' if whole and np.array_equal(got, values[:, :n]) else 'silent_change'
    return 'silent_change'
