"""Generated and mutated archive files for the readers' fuzz tests (tests/test_readers_fuzz.py) and the long fuzz
(bench/fuzz_readers.py): writers for the three formats, mutations with known right answers, and one classifier of outcomes."""
from pathlib import Path
import numpy as np
from tsexplain.data import read_arff, read_ts, read_ucr_tsv, MISSING

FORMATS = ('arff', 'ts', 'tsv')
READ = {'arff': read_arff, 'ts': read_ts, 'tsv': read_ucr_tsv}
# labels other readers rewrite (numbers in disguise, signs, accents): each must come back exactly as written
LABELS = ['01', '+1', '1e0', '-0', '00', '04', '09e3', '1.0', '-1', '1', '2', 'A', 'Up', 'é', 'класс']
BAD_TOKENS = ['inf', '-inf', 'Infinity', 'NAN', '+nan', '1e39', '-4e38', '', ' ', 'abc', '1_0', '0x10', '1,5', '--1', '1e', '.']
WRITE_MISSING = {'arff': '?', 'ts': '?', 'tsv': 'NaN'}

def random_dataset(rng: np.random.Generator, fmt: str):
    "X float32 (N, C, L) with some missing values, and labels drawn from LABELS"
    N, C, L = int(rng.integers(1, 6)), 1 if fmt == 'tsv' else int(rng.integers(1, 4)), int(rng.integers(1, 12))
    scale = 10.0 ** rng.integers(-6, 30, size=(N, C, 1))
    X = (rng.standard_normal((N, C, L)) * scale).astype(np.float32)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[..., 0] = np.where(np.isnan(X[..., 0]), 1.0, X[..., 0])          # no series entirely missing
    y = np.array([LABELS[i] for i in rng.integers(0, len(LABELS), N)], dtype=str)
    return X, y

def _tok(v, fmt) -> str: return WRITE_MISSING[fmt] if np.isnan(v) else repr(float(v))

def write(path: Path, X, y, fmt: str) -> Path:
    "Write X (N, C, L) and labels y in `fmt`; every line ends with \\n"
    N, C, L = X.shape
    classes = sorted(set(y.tolist()))
    if fmt == 'tsv':
        rows = ['\t'.join([lab] + [_tok(v, fmt) for v in x[0]]) for x, lab in zip(X, y)]
    elif fmt == 'ts':
        hdr = ['% written by tests/readers_fuzz.py', '@problemName fuzz', '@timeStamps false', '@missing true',
               f'@univariate {str(C == 1).lower()}', f'@dimensions {C}', '@equalLength true', f'@seriesLength {L}',
               '@classLabel true ' + ' '.join(classes), '@data']
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
             'drop_line_end', 'drop_channel', 'cr_only', 'unicode_digit', 'unicode_space', 'header_tab')
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
    if kind == 'header_tab' and fmt == 'ts':         # '@classLabel<TAB>true a b': a tab separates a header key as a space does
        lines = text.split('\n')
        hdr = [i for i, l in enumerate(lines) if l.startswith('@') and ' ' in l]
        i = hdr[int(rng.integers(len(hdr)))]
        lines[i] = lines[i].replace(' ', '\t', 1)
        return kind, '\n'.join(lines).encode(), (X, y)
    if kind == 'bom': return kind, b'\xef\xbb\xbf' + text.encode(), (X, y)
    if kind == 'not_utf8':
        b = text.encode(); i = int(rng.integers(len(b)))
        return kind, b[:i] + b'\xff' + b[i:], 'error'
    if kind == 'drop_channel' and fmt != 'tsv' and X.shape[1] > 1:       # one row loses a channel: never broadcast, never padded
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
        whole_but_last = n <= len(X) and y[n - 1].startswith(got[1][-1]) and (n == 1 or same((got[0][:-1], got[1][:-1]), (X[:n - 1], y[:n - 1])))
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
