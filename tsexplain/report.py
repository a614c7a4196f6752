__all__ = ['export_learner', 'explain_test_set', 'fig_to_img', 'write_report', 'export_learner', 'explain_test_set', 'fig_to_img', 'write_report', 'export_learner', 'explain_test_set', 'fig_to_img', 'write_report', 'export_learner', 'explain_test_set', 'fig_to_img', 'write_report', 'export_learner', 'explain_test_set', 'fig_to_img', 'write_report']

# %% ../nbs/08_cli.ipynb #6abc7584
# tsexplain.report: the command's outputs (the saved learner, the maps and figures of the test set, report.html)
import base64, html, io as _io, os, re
from pathlib import Path
import numpy as np
import torch
import matplotlib
from fastai.basics import *
from .data import *
from .models import *
from .hooks import METHODS, get_method, model_device
from .cam import *
from .attribution import *
from .show import show_cam, method_name

# %% ../nbs/08_cli.ipynb #7562ffa0
def export_learner(learn: Learner, fname: Path) -> Path:
    "`learn.export` to `fname` through a temporary file, so an interrupted save never leaves a half-written file"
    fname = Path(fname).absolute()
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(fname.name + '.tmp')
    try:
        learn.export(tmp)
        os.replace(tmp, fname)
    finally:
        if tmp.exists(): tmp.unlink()
    return fname

def _safe(name) -> str: return re.sub(r'[^\w.-]+', '_', str(name)).strip('_') or 'class'

def explain_test_set(learn: Learner, out: Path, method: str = 'grad_cam') -> tuple[Path, list[Path]]:
    "Maps of the whole test set to out/maps.npz, and CAM / Grad-CAM figures of the first test series of each class"
    maps = learn.explain(method=method, save=out/'maps.npz')
    X, Y = dl_batch(learn.dls.valid)
    labels = Y.cpu().numpy()
    figures = []
    for k, name in enumerate(learn.dls.vocab):
        hits = np.flatnonzero(labels == k)
        if not len(hits): continue
        i = int(hits[0])
        x = X[i:i + 1]
        for f in ('cam', 'grad_cam'):
            fname = out/'figures'/f'class_{_safe(name)}_{f}.png'
            try: show_cam(x, learn.model, func_cam=f, target=k, multi_fig=True, force_scale=False, show=False, savefig=fname,
                          titles=[f"test series {i}, class {name}: {method_name(get_method(f))}"])
            except ValueError as e:
                print(f"skipping the {f} figure: {e}")
                continue
            figures.append(fname)
    return maps, figures

# %% ../nbs/08_cli.ipynb #5f4a440a
def fig_to_img(fig, alt: str = '') -> str:
    "An <img> tag holding the figure as embedded PNG data; the figure is closed"
    import matplotlib.pyplot as plt
    buf = _io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    plt.close(fig)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'

def _training_curve(learn):
    from tsexplain.show import new_figure
    hist = getattr(learn, 'train_history', None) or training_history(learn)
    fig, axs = new_figure(1, 2, figsize=(10, 3))
    axs[0, 0].plot(hist['batch_losses'], lw=1)
    axs[0, 0].set_xlabel('batch'); axs[0, 0].set_ylabel('training loss')
    ep = hist['epochs']
    for col in ep.columns: axs[0, 1].plot(np.arange(1, len(ep) + 1), ep[col], label=col)
    axs[0, 1].set_xlabel('epoch'); axs[0, 1].legend(fontsize=8)
    return fig

def _confusion(targets, preds, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    cm = np.zeros((K, K), int)
    for t, p in zip(targets, preds): cm[t, p] += 1
    fig, axs = new_figure(figsize=(1.2 + 0.8 * K, 1 + 0.7 * K))
    ax = axs[0, 0]
    ax.imshow(cm, cmap='Blues')
    for i in range(K):
        for j in range(K): ax.text(j, i, cm[i, j], ha='center', va='center', color='white' if cm[i, j] > cm.max() / 2 else 'black')
    ax.set_xticks(range(K)); ax.set_xticklabels(vocab, rotation=45, ha='right'); ax.set_yticks(range(K)); ax.set_yticklabels(vocab)
    ax.set_xlabel('predicted'); ax.set_ylabel('true')
    return fig, cm

def _class_average_maps(X, maps, targets, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    fig, axs = new_figure(K, 1, figsize=(9, 1.6 * K), sharex=True)
    for k, ax in enumerate(axs[:, 0]):
        sel = targets == k
        if not sel.any(): ax.set_title(f'{vocab[k]}: no test series'); continue
        m = maps[sel].mean(0)                       # (1 or C, L)
        lim = float(np.abs(m).max()) or 1.
        L = m.shape[-1]
        ax.imshow(m, aspect='auto', cmap='RdBu_r', vmin=-lim, vmax=lim, extent=(-0.5, L - 0.5, 0, 1), alpha=0.8)
        for c in range(X.shape[1]):
            mu = X[sel, c].mean(0); mu = (mu - mu.min()) / (np.ptp(mu) or 1)
            ax.plot(np.arange(L), 0.1 + 0.8 * mu, color='k', lw=1)
        ax.set_yticks([]); ax.set_title(f'{vocab[k]}: mean map of {int(sel.sum())} series (black: mean series, scaled)', fontsize=9)
    axs[-1, 0].set_xlabel('time step')
    return fig

def write_report(learn: Learner, out: Path, dsname: str, acc: float, method: str = 'grad_cam', maps_file=None) -> Path:
    "Write out/report.html: a self-contained page on the training and the explanations of the test set"
    out = Path(out)
    d = np.load(maps_file) if maps_file else None
    res = dict(d) if d is not None else learn.explain(method=method, progress=False)
    X = dl_batch(learn.dls.valid)[0].cpu().numpy()
    vocab = [str(v) for v in learn.dls.vocab]
    targets, preds, probs, maps = res['targets'], res['preds'], res['probs'], res['maps']
    parts = [f"<h1>tsexplain report: {html.escape(dsname)}</h1>",
             f"<p>{len(learn.dls.train_ds)} training and {len(X)} test series of {X.shape[1]} channel(s) × {X.shape[2]} steps; "
             f"classes: {', '.join(html.escape(v) for v in vocab)}. Model: {type(learn.model).__name__}. Maps: {html.escape(method_name(get_method(method)))}.</p>",
             "<h2>Training</h2>", fig_to_img(_training_curve(learn), 'training curve'),
             f"<h2>Test accuracy: {acc:.4f}</h2>"]
    fig, cm = _confusion(targets, preds, vocab)
    parts.append(fig_to_img(fig, 'confusion matrix'))
    parts.append("<h2>Best and worst series of each class</h2><p>For each class, the test series the model got right with the "
                 "highest probability, and the one of that class it got most wrong; CAM and Grad-CAM explain the predicted class.</p>")
    for k, name in enumerate(vocab):
        p_true = probs[np.arange(len(probs)), targets]
        right, wrong = np.flatnonzero((targets == k) & (preds == k)), np.flatnonzero((targets == k) & (preds != k))
        picks = ([('most confident correct', right[p_true[right].argmax()])] if len(right) else []) + \
                ([('worst mistaken', wrong[p_true[wrong].argmin()])] if len(wrong) else [])
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if not picks: parts.append("<p>No test series of this class.</p>")
        for what, i in picks:
            x = X[int(i):int(i) + 1]
            imgs = []
            for f in ('cam', 'grad_cam'):
                try:
                    fig = show_cam(x, learn.model, func_cam=f, multi_fig=True, force_scale=False, show=False,
                                   titles=[f"#{i}: true {name}, predicted {vocab[preds[i]]} ({probs[i, preds[i]]:.2f}) - {method_name(get_method(f))}"])
                    imgs.append(fig_to_img(fig, f'{what} {name} {f}'))
                except ValueError: pass
            parts.append(f"<h4>{what}: test series {int(i)}</h4><div class='row'>{''.join(imgs)}</div>")
    parts += ["<h2>Average map of each class</h2>", fig_to_img(_class_average_maps(X, maps, targets, vocab), 'class average maps')]
    rows = ''.join(f"<tr><td>{i}</td><td>{html.escape(vocab[t])}</td><td>{html.escape(vocab[p])}</td><td>{probs[i, p]:.3f}</td>"
                   f"<td>{'✓' if t == p else '✗'}</td><td>{int(np.abs(maps[i]).reshape(-1, maps.shape[-1]).sum(0).argmax())}</td></tr>"
                   for i, (t, p) in enumerate(zip(targets, preds)))
    parts.append("<h2>Explained series</h2><table><thead><tr><th>series</th><th>true</th><th>predicted</th><th>probability</th>"
                 f"<th>correct</th><th>peak of the map (time step)</th></tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:1em}.row img{max-width:48%}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tsexplain report: {html.escape(dsname)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    fname = out/'report.html'
    tmp = fname.with_name(fname.name + '.tmp')
    tmp.write_text(page, encoding='utf-8'); os.replace(tmp, fname)
    return fname

# %% ../nbs/08_cli.ipynb #4c0454c4
# tsexplain.report: the command's outputs (the saved learner, the maps and figures of the test set, report.html)
import base64, html, io as _io, os, re
from pathlib import Path
import numpy as np
import torch
import matplotlib
from fastai.basics import *
from .data import *
from .models import *
from .hooks import METHODS, get_method, model_device
from .cam import *
from .attribution import *
from .show import show_cam, method_name

# %% ../nbs/08_cli.ipynb #7562ffa0
def export_learner(learn: Learner, fname: Path) -> Path:
    "`learn.export` to `fname` through a temporary file, so an interrupted save never leaves a half-written file"
    fname = Path(fname).absolute()
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(fname.name + '.tmp')
    try:
        learn.export(tmp)
        os.replace(tmp, fname)
    finally:
        if tmp.exists(): tmp.unlink()
    return fname

def _safe(name) -> str: return re.sub(r'[^\w.-]+', '_', str(name)).strip('_') or 'class'

def explain_test_set(learn: Learner, out: Path, method: str = 'grad_cam') -> tuple[Path, list[Path]]:
    "Maps of the whole test set to out/maps.npz, and CAM / Grad-CAM figures of the first test series of each class"
    maps = learn.explain(method=method, save=out/'maps.npz')
    X, Y = dl_batch(learn.dls.valid)
    labels = Y.cpu().numpy()
    figures = []
    for k, name in enumerate(learn.dls.vocab):
        hits = np.flatnonzero(labels == k)
        if not len(hits): continue
        i = int(hits[0])
        x = X[i:i + 1]
        for f in ('cam', 'grad_cam'):
            fname = out/'figures'/f'class_{_safe(name)}_{f}.png'
            try: show_cam(x, learn.model, func_cam=f, target=k, multi_fig=True, force_scale=False, show=False, savefig=fname,
                          titles=[f"test series {i}, class {name}: {method_name(get_method(f))}"])
            except ValueError as e:
                print(f"skipping the {f} figure: {e}")
                continue
            figures.append(fname)
    return maps, figures

# %% ../nbs/08_cli.ipynb #5f4a440a
def fig_to_img(fig, alt: str = '') -> str:
    "An <img> tag holding the figure as embedded PNG data; the figure is closed"
    import matplotlib.pyplot as plt
    buf = _io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    plt.close(fig)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'

def _training_curve(learn):
    from tsexplain.show import new_figure
    hist = getattr(learn, 'train_history', None) or training_history(learn)
    fig, axs = new_figure(1, 2, figsize=(10, 3))
    axs[0, 0].plot(hist['batch_losses'], lw=1)
    axs[0, 0].set_xlabel('batch'); axs[0, 0].set_ylabel('training loss')
    ep = hist['epochs']
    for col in ep.columns: axs[0, 1].plot(np.arange(1, len(ep) + 1), ep[col], label=col)
    axs[0, 1].set_xlabel('epoch'); axs[0, 1].legend(fontsize=8)
    return fig

def _confusion(targets, preds, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    cm = np.zeros((K, K), int)
    for t, p in zip(targets, preds): cm[t, p] += 1
    fig, axs = new_figure(figsize=(1.2 + 0.8 * K, 1 + 0.7 * K))
    ax = axs[0, 0]
    ax.imshow(cm, cmap='Blues')
    for i in range(K):
        for j in range(K): ax.text(j, i, cm[i, j], ha='center', va='center', color='white' if cm[i, j] > cm.max() / 2 else 'black')
    ax.set_xticks(range(K)); ax.set_xticklabels(vocab, rotation=45, ha='right'); ax.set_yticks(range(K)); ax.set_yticklabels(vocab)
    ax.set_xlabel('predicted'); ax.set_ylabel('true')
    return fig, cm

def _class_average_maps(X, maps, targets, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    fig, axs = new_figure(K, 1, figsize=(9, 1.6 * K), sharex=True)
    for k, ax in enumerate(axs[:, 0]):
        sel = targets == k
        if not sel.any(): ax.set_title(f'{vocab[k]}: no test series'); continue
        m = maps[sel].mean(0)                       # (1 or C, L)
        lim = float(np.abs(m).max()) or 1.
        L = m.shape[-1]
        ax.imshow(m, aspect='auto', cmap='RdBu_r', vmin=-lim, vmax=lim, extent=(-0.5, L - 0.5, 0, 1), alpha=0.8)
        for c in range(X.shape[1]):
            mu = X[sel, c].mean(0); mu = (mu - mu.min()) / (np.ptp(mu) or 1)
            ax.plot(np.arange(L), 0.1 + 0.8 * mu, color='k', lw=1)
        ax.set_yticks([]); ax.set_title(f'{vocab[k]}: mean map of {int(sel.sum())} series (black: mean series, scaled)', fontsize=9)
    axs[-1, 0].set_xlabel('time step')
    return fig

def write_report(learn: Learner, out: Path, dsname: str, acc: float, method: str = 'grad_cam', maps_file=None) -> Path:
    "Write out/report.html: a self-contained page on the training and the explanations of the test set"
    out = Path(out)
    d = np.load(maps_file) if maps_file else None
    res = dict(d) if d is not None else learn.explain(method=method, progress=False)
    X = dl_batch(learn.dls.valid)[0].cpu().numpy()
    vocab = [str(v) for v in learn.dls.vocab]
    targets, preds, probs, maps = res['targets'], res['preds'], res['probs'], res['maps']
    parts = [f"<h1>tsexplain report: {html.escape(dsname)}</h1>",
             f"<p>{len(learn.dls.train_ds)} training and {len(X)} test series of {X.shape[1]} channel(s) × {X.shape[2]} steps; "
             f"classes: {', '.join(html.escape(v) for v in vocab)}. Model: {type(learn.model).__name__}. Maps: {html.escape(method_name(get_method(method)))}.</p>",
             "<h2>Training</h2>", fig_to_img(_training_curve(learn), 'training curve'),
             f"<h2>Test accuracy: {acc:.4f}</h2>"]
    fig, cm = _confusion(targets, preds, vocab)
    parts.append(fig_to_img(fig, 'confusion matrix'))
    parts.append("<h2>Best and worst series of each class</h2><p>For each class, the test series the model got right with the "
                 "highest probability, and the one of that class it got most wrong; CAM and Grad-CAM explain the predicted class.</p>")
    for k, name in enumerate(vocab):
        p_true = probs[np.arange(len(probs)), targets]
        right, wrong = np.flatnonzero((targets == k) & (preds == k)), np.flatnonzero((targets == k) & (preds != k))
        picks = ([('most confident correct', right[p_true[right].argmax()])] if len(right) else []) + \
                ([('worst mistaken', wrong[p_true[wrong].argmin()])] if len(wrong) else [])
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if not picks: parts.append("<p>No test series of this class.</p>")
        for what, i in picks:
            x = X[int(i):int(i) + 1]
            imgs = []
            for f in ('cam', 'grad_cam'):
                try:
                    fig = show_cam(x, learn.model, func_cam=f, multi_fig=True, force_scale=False, show=False,
                                   titles=[f"#{i}: true {name}, predicted {vocab[preds[i]]} ({probs[i, preds[i]]:.2f}) - {method_name(get_method(f))}"])
                    imgs.append(fig_to_img(fig, f'{what} {name} {f}'))
                except ValueError: pass
            parts.append(f"<h4>{what}: test series {int(i)}</h4><div class='row'>{''.join(imgs)}</div>")
    parts += ["<h2>Average map of each class</h2>", fig_to_img(_class_average_maps(X, maps, targets, vocab), 'class average maps')]
    rows = ''.join(f"<tr><td>{i}</td><td>{html.escape(vocab[t])}</td><td>{html.escape(vocab[p])}</td><td>{probs[i, p]:.3f}</td>"
                   f"<td>{'✓' if t == p else '✗'}</td><td>{int(np.abs(maps[i]).reshape(-1, maps.shape[-1]).sum(0).argmax())}</td></tr>"
                   for i, (t, p) in enumerate(zip(targets, preds)))
    parts.append("<h2>Explained series</h2><table><thead><tr><th>series</th><th>true</th><th>predicted</th><th>probability</th>"
                 f"<th>correct</th><th>peak of the map (time step)</th></tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:1em}.row img{max-width:48%}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tsexplain report: {html.escape(dsname)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    fname = out/'report.html'
    tmp = fname.with_name(fname.name + '.tmp')
    tmp.write_text(page, encoding='utf-8'); os.replace(tmp, fname)
    return fname

# %% ../nbs/08_cli.ipynb #b01e872b
# tsexplain.report: the command's outputs (the saved learner, the maps and figures of the test set, report.html)
import base64, html, io as _io, os, re
from pathlib import Path
import numpy as np
import torch
import matplotlib
from fastai.basics import *
from .data import *
from .models import *
from .hooks import METHODS, get_method, model_device
from .cam import *
from .attribution import *
from .show import show_cam, method_name

# %% ../nbs/08_cli.ipynb #7562ffa0
def export_learner(learn: Learner, fname: Path) -> Path:
    "`learn.export` to `fname` through a temporary file, so an interrupted save never leaves a half-written file"
    fname = Path(fname).absolute()
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(fname.name + '.tmp')
    try:
        learn.export(tmp)
        os.replace(tmp, fname)
    finally:
        if tmp.exists(): tmp.unlink()
    return fname

def _safe(name) -> str: return re.sub(r'[^\w.-]+', '_', str(name)).strip('_') or 'class'

def explain_test_set(learn: Learner, out: Path, method: str = 'grad_cam') -> tuple[Path, list[Path]]:
    "Maps of the whole test set to out/maps.npz, and CAM / Grad-CAM figures of the first test series of each class"
    maps = learn.explain(method=method, save=out/'maps.npz')
    X, Y = dl_batch(learn.dls.valid)
    labels = Y.cpu().numpy()
    figures = []
    for k, name in enumerate(learn.dls.vocab):
        hits = np.flatnonzero(labels == k)
        if not len(hits): continue
        i = int(hits[0])
        x = X[i:i + 1]
        for f in ('cam', 'grad_cam'):
            fname = out/'figures'/f'class_{_safe(name)}_{f}.png'
            try: show_cam(x, learn.model, func_cam=f, target=k, multi_fig=True, force_scale=False, show=False, savefig=fname,
                          titles=[f"test series {i}, class {name}: {method_name(get_method(f))}"])
            except ValueError as e:
                print(f"skipping the {f} figure: {e}")
                continue
            figures.append(fname)
    return maps, figures

# %% ../nbs/08_cli.ipynb #5f4a440a
def fig_to_img(fig, alt: str = '') -> str:
    "An <img> tag holding the figure as embedded PNG data; the figure is closed"
    import matplotlib.pyplot as plt
    buf = _io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    plt.close(fig)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'

def _training_curve(learn):
    from tsexplain.show import new_figure
    hist = getattr(learn, 'train_history', None) or training_history(learn)
    fig, axs = new_figure(1, 2, figsize=(10, 3))
    axs[0, 0].plot(hist['batch_losses'], lw=1)
    axs[0, 0].set_xlabel('batch'); axs[0, 0].set_ylabel('training loss')
    ep = hist['epochs']
    for col in ep.columns: axs[0, 1].plot(np.arange(1, len(ep) + 1), ep[col], label=col)
    axs[0, 1].set_xlabel('epoch'); axs[0, 1].legend(fontsize=8)
    return fig

def _confusion(targets, preds, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    cm = np.zeros((K, K), int)
    for t, p in zip(targets, preds): cm[t, p] += 1
    fig, axs = new_figure(figsize=(1.2 + 0.8 * K, 1 + 0.7 * K))
    ax = axs[0, 0]
    ax.imshow(cm, cmap='Blues')
    for i in range(K):
        for j in range(K): ax.text(j, i, cm[i, j], ha='center', va='center', color='white' if cm[i, j] > cm.max() / 2 else 'black')
    ax.set_xticks(range(K)); ax.set_xticklabels(vocab, rotation=45, ha='right'); ax.set_yticks(range(K)); ax.set_yticklabels(vocab)
    ax.set_xlabel('predicted'); ax.set_ylabel('true')
    return fig, cm

def _class_average_maps(X, maps, targets, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    fig, axs = new_figure(K, 1, figsize=(9, 1.6 * K), sharex=True)
    for k, ax in enumerate(axs[:, 0]):
        sel = targets == k
        if not sel.any(): ax.set_title(f'{vocab[k]}: no test series'); continue
        m = maps[sel].mean(0)                       # (1 or C, L)
        lim = float(np.abs(m).max()) or 1.
        L = m.shape[-1]
        ax.imshow(m, aspect='auto', cmap='RdBu_r', vmin=-lim, vmax=lim, extent=(-0.5, L - 0.5, 0, 1), alpha=0.8)
        for c in range(X.shape[1]):
            mu = X[sel, c].mean(0); mu = (mu - mu.min()) / (np.ptp(mu) or 1)
            ax.plot(np.arange(L), 0.1 + 0.8 * mu, color='k', lw=1)
        ax.set_yticks([]); ax.set_title(f'{vocab[k]}: mean map of {int(sel.sum())} series (black: mean series, scaled)', fontsize=9)
    axs[-1, 0].set_xlabel('time step')
    return fig

def write_report(learn: Learner, out: Path, dsname: str, acc: float, method: str = 'grad_cam', maps_file=None) -> Path:
    "Write out/report.html: a self-contained page on the training and the explanations of the test set"
    out = Path(out)
    d = np.load(maps_file) if maps_file else None
    res = dict(d) if d is not None else learn.explain(method=method, progress=False)
    X = dl_batch(learn.dls.valid)[0].cpu().numpy()
    vocab = [str(v) for v in learn.dls.vocab]
    targets, preds, probs, maps = res['targets'], res['preds'], res['probs'], res['maps']
    parts = [f"<h1>tsexplain report: {html.escape(dsname)}</h1>",
             f"<p>{len(learn.dls.train_ds)} training and {len(X)} test series of {X.shape[1]} channel(s) × {X.shape[2]} steps; "
             f"classes: {', '.join(html.escape(v) for v in vocab)}. Model: {type(learn.model).__name__}. Maps: {html.escape(method_name(get_method(method)))}.</p>",
             "<h2>Training</h2>", fig_to_img(_training_curve(learn), 'training curve'),
             f"<h2>Test accuracy: {acc:.4f}</h2>"]
    fig, cm = _confusion(targets, preds, vocab)
    parts.append(fig_to_img(fig, 'confusion matrix'))
    parts.append("<h2>Best and worst series of each class</h2><p>For each class, the test series the model got right with the "
                 "highest probability, and the one of that class it got most wrong; CAM and Grad-CAM explain the predicted class.</p>")
    for k, name in enumerate(vocab):
        p_true = probs[np.arange(len(probs)), targets]
        right, wrong = np.flatnonzero((targets == k) & (preds == k)), np.flatnonzero((targets == k) & (preds != k))
        picks = ([('most confident correct', right[p_true[right].argmax()])] if len(right) else []) + \
                ([('worst mistaken', wrong[p_true[wrong].argmin()])] if len(wrong) else [])
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if not picks: parts.append("<p>No test series of this class.</p>")
        for what, i in picks:
            x = X[int(i):int(i) + 1]
            imgs = []
            for f in ('cam', 'grad_cam'):
                try:
                    fig = show_cam(x, learn.model, func_cam=f, multi_fig=True, force_scale=False, show=False,
                                   titles=[f"#{i}: true {name}, predicted {vocab[preds[i]]} ({probs[i, preds[i]]:.2f}) - {method_name(get_method(f))}"])
                    imgs.append(fig_to_img(fig, f'{what} {name} {f}'))
                except ValueError: pass
            parts.append(f"<h4>{what}: test series {int(i)}</h4><div class='row'>{''.join(imgs)}</div>")
    parts += ["<h2>Average map of each class</h2>", fig_to_img(_class_average_maps(X, maps, targets, vocab), 'class average maps')]
    rows = ''.join(f"<tr><td>{i}</td><td>{html.escape(vocab[t])}</td><td>{html.escape(vocab[p])}</td><td>{probs[i, p]:.3f}</td>"
                   f"<td>{'✓' if t == p else '✗'}</td><td>{int(np.abs(maps[i]).reshape(-1, maps.shape[-1]).sum(0).argmax())}</td></tr>"
                   for i, (t, p) in enumerate(zip(targets, preds)))
    parts.append("<h2>Explained series</h2><table><thead><tr><th>series</th><th>true</th><th>predicted</th><th>probability</th>"
                 f"<th>correct</th><th>peak of the map (time step)</th></tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:1em}.row img{max-width:48%}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tsexplain report: {html.escape(dsname)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    fname = out/'report.html'
    tmp = fname.with_name(fname.name + '.tmp')
    tmp.write_text(page, encoding='utf-8'); os.replace(tmp, fname)
    return fname

# %% ../nbs/08_cli.ipynb #cb52d5d9
# tsexplain.report: the command's outputs (the saved learner, the maps and figures of the test set, report.html)
import base64, html, io as _io, os, re
from pathlib import Path
import numpy as np
import torch
import matplotlib
from fastai.basics import *
from .data import *
from .models import *
from .hooks import METHODS, get_method, model_device
from .cam import *
from .attribution import *
from .show import show_cam, method_name

# %% ../nbs/08_cli.ipynb #7562ffa0
def export_learner(learn: Learner, fname: Path) -> Path:
    "`learn.export` to `fname` through a temporary file, so an interrupted save never leaves a half-written file"
    fname = Path(fname).absolute()
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(fname.name + '.tmp')
    try:
        learn.export(tmp)
        os.replace(tmp, fname)
    finally:
        if tmp.exists(): tmp.unlink()
    return fname

def _safe(name) -> str: return re.sub(r'[^\w.-]+', '_', str(name)).strip('_') or 'class'

def explain_test_set(learn: Learner, out: Path, method: str = 'grad_cam') -> tuple[Path, list[Path]]:
    "Maps of the whole test set to out/maps.npz, and CAM / Grad-CAM figures of the first test series of each class"
    maps = learn.explain(method=method, save=out/'maps.npz')
    X, Y = dl_batch(learn.dls.valid)
    labels = Y.cpu().numpy()
    figures = []
    for k, name in enumerate(learn.dls.vocab):
        hits = np.flatnonzero(labels == k)
        if not len(hits): continue
        i = int(hits[0])
        x = X[i:i + 1]
        for f in ('cam', 'grad_cam'):
            fname = out/'figures'/f'class_{_safe(name)}_{f}.png'
            try: show_cam(x, learn.model, func_cam=f, target=k, multi_fig=True, force_scale=False, show=False, savefig=fname,
                          titles=[f"test series {i}, class {name}: {method_name(get_method(f))}"])
            except ValueError as e:
                print(f"skipping the {f} figure: {e}")
                continue
            figures.append(fname)
    return maps, figures

# %% ../nbs/08_cli.ipynb #5f4a440a
def fig_to_img(fig, alt: str = '') -> str:
    "An <img> tag holding the figure as embedded PNG data; the figure is closed"
    import matplotlib.pyplot as plt
    buf = _io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    plt.close(fig)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'

def _training_curve(learn):
    from tsexplain.show import new_figure
    hist = getattr(learn, 'train_history', None) or training_history(learn)
    fig, axs = new_figure(1, 2, figsize=(10, 3))
    axs[0, 0].plot(hist['batch_losses'], lw=1)
    axs[0, 0].set_xlabel('batch'); axs[0, 0].set_ylabel('training loss')
    ep = hist['epochs']
    for col in ep.columns: axs[0, 1].plot(np.arange(1, len(ep) + 1), ep[col], label=col)
    axs[0, 1].set_xlabel('epoch'); axs[0, 1].legend(fontsize=8)
    return fig

def _confusion(targets, preds, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    cm = np.zeros((K, K), int)
    for t, p in zip(targets, preds): cm[t, p] += 1
    fig, axs = new_figure(figsize=(1.2 + 0.8 * K, 1 + 0.7 * K))
    ax = axs[0, 0]
    ax.imshow(cm, cmap='Blues')
    for i in range(K):
        for j in range(K): ax.text(j, i, cm[i, j], ha='center', va='center', color='white' if cm[i, j] > cm.max() / 2 else 'black')
    ax.set_xticks(range(K)); ax.set_xticklabels(vocab, rotation=45, ha='right'); ax.set_yticks(range(K)); ax.set_yticklabels(vocab)
    ax.set_xlabel('predicted'); ax.set_ylabel('true')
    return fig, cm

def _class_average_maps(X, maps, targets, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    fig, axs = new_figure(K, 1, figsize=(9, 1.6 * K), sharex=True)
    for k, ax in enumerate(axs[:, 0]):
        sel = targets == k
        if not sel.any(): ax.set_title(f'{vocab[k]}: no test series'); continue
        m = maps[sel].mean(0)                       # (1 or C, L)
        lim = float(np.abs(m).max()) or 1.
        L = m.shape[-1]
        ax.imshow(m, aspect='auto', cmap='RdBu_r', vmin=-lim, vmax=lim, extent=(-0.5, L - 0.5, 0, 1), alpha=0.8)
        for c in range(X.shape[1]):
            mu = X[sel, c].mean(0); mu = (mu - mu.min()) / (np.ptp(mu) or 1)
            ax.plot(np.arange(L), 0.1 + 0.8 * mu, color='k', lw=1)
        ax.set_yticks([]); ax.set_title(f'{vocab[k]}: mean map of {int(sel.sum())} series (black: mean series, scaled)', fontsize=9)
    axs[-1, 0].set_xlabel('time step')
    return fig

def write_report(learn: Learner, out: Path, dsname: str, acc: float, method: str = 'grad_cam', maps_file=None) -> Path:
    "Write out/report.html: a self-contained page on the training and the explanations of the test set"
    out = Path(out)
    d = np.load(maps_file) if maps_file else None
    res = dict(d) if d is not None else learn.explain(method=method, progress=False)
    X = dl_batch(learn.dls.valid)[0].cpu().numpy()
    vocab = [str(v) for v in learn.dls.vocab]
    targets, preds, probs, maps = res['targets'], res['preds'], res['probs'], res['maps']
    parts = [f"<h1>tsexplain report: {html.escape(dsname)}</h1>",
             f"<p>{len(learn.dls.train_ds)} training and {len(X)} test series of {X.shape[1]} channel(s) × {X.shape[2]} steps; "
             f"classes: {', '.join(html.escape(v) for v in vocab)}. Model: {type(learn.model).__name__}. Maps: {html.escape(method_name(get_method(method)))}.</p>",
             "<h2>Training</h2>", fig_to_img(_training_curve(learn), 'training curve'),
             f"<h2>Test accuracy: {acc:.4f}</h2>"]
    fig, cm = _confusion(targets, preds, vocab)
    parts.append(fig_to_img(fig, 'confusion matrix'))
    parts.append("<h2>Best and worst series of each class</h2><p>For each class, the test series the model got right with the "
                 "highest probability, and the one of that class it got most wrong; CAM and Grad-CAM explain the predicted class.</p>")
    for k, name in enumerate(vocab):
        p_true = probs[np.arange(len(probs)), targets]
        right, wrong = np.flatnonzero((targets == k) & (preds == k)), np.flatnonzero((targets == k) & (preds != k))
        picks = ([('most confident correct', right[p_true[right].argmax()])] if len(right) else []) + \
                ([('worst mistaken', wrong[p_true[wrong].argmin()])] if len(wrong) else [])
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if not picks: parts.append("<p>No test series of this class.</p>")
        for what, i in picks:
            x = X[int(i):int(i) + 1]
            imgs = []
            for f in ('cam', 'grad_cam'):
                try:
                    fig = show_cam(x, learn.model, func_cam=f, multi_fig=True, force_scale=False, show=False,
                                   titles=[f"#{i}: true {name}, predicted {vocab[preds[i]]} ({probs[i, preds[i]]:.2f}) - {method_name(get_method(f))}"])
                    imgs.append(fig_to_img(fig, f'{what} {name} {f}'))
                except ValueError: pass
            parts.append(f"<h4>{what}: test series {int(i)}</h4><div class='row'>{''.join(imgs)}</div>")
    parts += ["<h2>Average map of each class</h2>", fig_to_img(_class_average_maps(X, maps, targets, vocab), 'class average maps')]
    rows = ''.join(f"<tr><td>{i}</td><td>{html.escape(vocab[t])}</td><td>{html.escape(vocab[p])}</td><td>{probs[i, p]:.3f}</td>"
                   f"<td>{'✓' if t == p else '✗'}</td><td>{int(np.abs(maps[i]).reshape(-1, maps.shape[-1]).sum(0).argmax())}</td></tr>"
                   for i, (t, p) in enumerate(zip(targets, preds)))
    parts.append("<h2>Explained series</h2><table><thead><tr><th>series</th><th>true</th><th>predicted</th><th>probability</th>"
                 f"<th>correct</th><th>peak of the map (time step)</th></tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:1em}.row img{max-width:48%}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tsexplain report: {html.escape(dsname)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    fname = out/'report.html'
    tmp = fname.with_name(fname.name + '.tmp')
    tmp.write_text(page, encoding='utf-8'); os.replace(tmp, fname)
    return fname

# %% ../nbs/08_cli.ipynb #f8ebef60
# tsexplain.report: the command's outputs (the saved learner, the maps and figures of the test set, report.html)
import base64, html, io as _io, os, re
from pathlib import Path
import numpy as np
import torch
import matplotlib
from fastai.basics import *
from .data import *
from .models import *
from .hooks import METHODS, get_method, model_device
from .cam import *
from .attribution import *
from .show import show_cam, method_name

# %% ../nbs/08_cli.ipynb #7562ffa0
def export_learner(learn: Learner, fname: Path) -> Path:
    "`learn.export` to `fname` through a temporary file, so an interrupted save never leaves a half-written file"
    fname = Path(fname).absolute()
    fname.parent.mkdir(parents=True, exist_ok=True)
    tmp = fname.with_name(fname.name + '.tmp')
    try:
        learn.export(tmp)
        os.replace(tmp, fname)
    finally:
        if tmp.exists(): tmp.unlink()
    return fname

def _safe(name) -> str: return re.sub(r'[^\w.-]+', '_', str(name)).strip('_') or 'class'

def explain_test_set(learn: Learner, out: Path, method: str = 'grad_cam') -> tuple[Path, list[Path]]:
    "Maps of the whole test set to out/maps.npz, and CAM / Grad-CAM figures of the first test series of each class"
    maps = learn.explain(method=method, save=out/'maps.npz')
    X, Y = dl_batch(learn.dls.valid)
    labels = Y.cpu().numpy()
    figures = []
    for k, name in enumerate(learn.dls.vocab):
        hits = np.flatnonzero(labels == k)
        if not len(hits): continue
        i = int(hits[0])
        x = X[i:i + 1]
        for f in ('cam', 'grad_cam'):
            fname = out/'figures'/f'class_{_safe(name)}_{f}.png'
            try: show_cam(x, learn.model, func_cam=f, target=k, multi_fig=True, force_scale=False, show=False, savefig=fname,
                          titles=[f"test series {i}, class {name}: {method_name(get_method(f))}"])
            except ValueError as e:
                print(f"skipping the {f} figure: {e}")
                continue
            figures.append(fname)
    return maps, figures

# %% ../nbs/08_cli.ipynb #5f4a440a
def fig_to_img(fig, alt: str = '') -> str:
    "An <img> tag holding the figure as embedded PNG data; the figure is closed"
    import matplotlib.pyplot as plt
    buf = _io.BytesIO()
    fig.savefig(buf, format='png', dpi=90, bbox_inches='tight')
    plt.close(fig)
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'

def _training_curve(learn):
    from tsexplain.show import new_figure
    hist = getattr(learn, 'train_history', None) or training_history(learn)
    fig, axs = new_figure(1, 2, figsize=(10, 3))
    axs[0, 0].plot(hist['batch_losses'], lw=1)
    axs[0, 0].set_xlabel('batch'); axs[0, 0].set_ylabel('training loss')
    ep = hist['epochs']
    for col in ep.columns: axs[0, 1].plot(np.arange(1, len(ep) + 1), ep[col], label=col)
    axs[0, 1].set_xlabel('epoch'); axs[0, 1].legend(fontsize=8)
    return fig

def _confusion(targets, preds, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    cm = np.zeros((K, K), int)
    for t, p in zip(targets, preds): cm[t, p] += 1
    fig, axs = new_figure(figsize=(1.2 + 0.8 * K, 1 + 0.7 * K))
    ax = axs[0, 0]
    ax.imshow(cm, cmap='Blues')
    for i in range(K):
        for j in range(K): ax.text(j, i, cm[i, j], ha='center', va='center', color='white' if cm[i, j] > cm.max() / 2 else 'black')
    ax.set_xticks(range(K)); ax.set_xticklabels(vocab, rotation=45, ha='right'); ax.set_yticks(range(K)); ax.set_yticklabels(vocab)
    ax.set_xlabel('predicted'); ax.set_ylabel('true')
    return fig, cm

def _class_average_maps(X, maps, targets, vocab):
    from tsexplain.show import new_figure
    K = len(vocab)
    fig, axs = new_figure(K, 1, figsize=(9, 1.6 * K), sharex=True)
    for k, ax in enumerate(axs[:, 0]):
        sel = targets == k
        if not sel.any(): ax.set_title(f'{vocab[k]}: no test series'); continue
        m = maps[sel].mean(0)                       # (1 or C, L)
        lim = float(np.abs(m).max()) or 1.
        L = m.shape[-1]
        ax.imshow(m, aspect='auto', cmap='RdBu_r', vmin=-lim, vmax=lim, extent=(-0.5, L - 0.5, 0, 1), alpha=0.8)
        for c in range(X.shape[1]):
            mu = X[sel, c].mean(0); mu = (mu - mu.min()) / (np.ptp(mu) or 1)
            ax.plot(np.arange(L), 0.1 + 0.8 * mu, color='k', lw=1)
        ax.set_yticks([]); ax.set_title(f'{vocab[k]}: mean map of {int(sel.sum())} series (black: mean series, scaled)', fontsize=9)
    axs[-1, 0].set_xlabel('time step')
    return fig

def write_report(learn: Learner, out: Path, dsname: str, acc: float, method: str = 'grad_cam', maps_file=None) -> Path:
    "Write out/report.html: a self-contained page on the training and the explanations of the test set"
    out = Path(out)
    d = np.load(maps_file) if maps_file else None
    res = dict(d) if d is not None else learn.explain(method=method, progress=False)
    X = dl_batch(learn.dls.valid)[0].cpu().numpy()
    vocab = [str(v) for v in learn.dls.vocab]
    targets, preds, probs, maps = res['targets'], res['preds'], res['probs'], res['maps']
    parts = [f"<h1>tsexplain report: {html.escape(dsname)}</h1>",
             f"<p>{len(learn.dls.train_ds)} training and {len(X)} test series of {X.shape[1]} channel(s) × {X.shape[2]} steps; "
             f"classes: {', '.join(html.escape(v) for v in vocab)}. Model: {type(learn.model).__name__}. Maps: {html.escape(method_name(get_method(method)))}.</p>",
             "<h2>Training</h2>", fig_to_img(_training_curve(learn), 'training curve'),
             f"<h2>Test accuracy: {acc:.4f}</h2>"]
    fig, cm = _confusion(targets, preds, vocab)
    parts.append(fig_to_img(fig, 'confusion matrix'))
    parts.append("<h2>Best and worst series of each class</h2><p>For each class, the test series the model got right with the "
                 "highest probability, and the one of that class it got most wrong; CAM and Grad-CAM explain the predicted class.</p>")
    for k, name in enumerate(vocab):
        p_true = probs[np.arange(len(probs)), targets]
        right, wrong = np.flatnonzero((targets == k) & (preds == k)), np.flatnonzero((targets == k) & (preds != k))
        picks = ([('most confident correct', right[p_true[right].argmax()])] if len(right) else []) + \
                ([('worst mistaken', wrong[p_true[wrong].argmin()])] if len(wrong) else [])
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if not picks: parts.append("<p>No test series of this class.</p>")
        for what, i in picks:
            x = X[int(i):int(i) + 1]
            imgs = []
            for f in ('cam', 'grad_cam'):
                try:
                    fig = show_cam(x, learn.model, func_cam=f, multi_fig=True, force_scale=False, show=False,
                                   titles=[f"#{i}: true {name}, predicted {vocab[preds[i]]} ({probs[i, preds[i]]:.2f}) - {method_name(get_method(f))}"])
                    imgs.append(fig_to_img(fig, f'{what} {name} {f}'))
                except ValueError: pass
            parts.append(f"<h4>{what}: test series {int(i)}</h4><div class='row'>{''.join(imgs)}</div>")
    parts += ["<h2>Average map of each class</h2>", fig_to_img(_class_average_maps(X, maps, targets, vocab), 'class average maps')]
    rows = ''.join(f"<tr><td>{i}</td><td>{html.escape(vocab[t])}</td><td>{html.escape(vocab[p])}</td><td>{probs[i, p]:.3f}</td>"
                   f"<td>{'✓' if t == p else '✗'}</td><td>{int(np.abs(maps[i]).reshape(-1, maps.shape[-1]).sum(0).argmax())}</td></tr>"
                   for i, (t, p) in enumerate(zip(targets, preds)))
    parts.append("<h2>Explained series</h2><table><thead><tr><th>series</th><th>true</th><th>predicted</th><th>probability</th>"
                 f"<th>correct</th><th>peak of the map (time step)</th></tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "img{max-width:100%}.row{display:flex;flex-wrap:wrap;gap:1em}.row img{max-width:48%}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>tsexplain report: {html.escape(dsname)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
    fname = out/'report.html'
    tmp = fname.with_name(fname.name + '.tmp')
    tmp.write_text(page, encoding='utf-8'); os.replace(tmp, fname)
    return fname