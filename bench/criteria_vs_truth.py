"""Which faithfulness criterion agrees with the ground truth? On the xai bench's quick sets (Ismail et al.'s boxes on a CNN
and an LSTM, planted motifs on a CNN and InceptionTime: the informative cells are known), every criterion a library
could rank maps by — deletion and insertion, each with the four removal baselines (zero, the series' mean, linear
interpolation of the kept cells, noise: ROAD's idea) — picks a method (within 3 % of its best ratio, ties broken by
`TIE_ORDER`, as `rank_methods` does); the table says which, and its AUPRC as a share of the best method's AUPRC.
The "zero deletion" column is what the library chooses (`learner_method`, ranked on 16 validation series).

    python bench/criteria_vs_truth.py            # about 10 minutes on 2 cores
    python bench/criteria_vs_truth.py --only RareFeatures 'type 1'
"""
import argparse, sys, warnings
from pathlib import Path
import torch
warnings.filterwarnings('ignore')
sys.path.insert(0, str(Path(__file__).parent))
import xai_benchmark as XB
from tsexplain.all import *

METHODS = ['grad_cam', 'saliency', 'input_x_grad', 'integrated_gradients', 'occlusion']
SHORT = {'integrated_gradients': 'IG', 'occlusion': 'occlusion', 'input_x_grad': 'input×grad', 'saliency': 'saliency', 'grad_cam': 'Grad-CAM'}
CRITERIA = [(b, ins) for b in ('zero', 'interp', 'mean', 'noise') for ins in (False, True)]

def pick(ratios: dict) -> str:
    "The method a criterion chooses: the lowest ratio, near-ties (3 %) to the first of TIE_ORDER"
    best = min(ratios.values())
    tied = [m for m, r in ratios.items() if r <= best * (1 + TIE_TOLERANCE)]
    return min(tied, key=lambda m: TIE_ORDER.index(m) if m in TIE_ORDER else len(TIE_ORDER))

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--only', nargs='*', default=None, help="only the sets whose name or model contains one of these")
    a = p.parse_args()
    torch.set_num_threads(2)
    head = ' | '.join(f"{b} {'insertion' if ins else 'deletion'}" for b, ins in CRITERIA)
    rows = [f'| set · model | best by the truth (AUPRC) | {head} |', '|---|---|' + '---|' * len(CRITERIA)]
    for name, arch, X, y, mask in XB.make_sets(quick=True):
        if a.only and not any(o.lower() in f'{name} {arch}'.lower() for o in a.only): continue
        learn = XB.train(X, y, arch, epochs=XB.epochs_for(arch, quick=True), seed=0)
        k = 48
        xb, mk = learner_inputs(learn, X[-k:]), mask[-k:]
        default = learner_method(learn)
        auprc, ratios = {}, {c: {} for c in CRITERIA}
        for m in METHODS:
            try: maps = get_method(m)(learn.model, xb)
            except ValueError: continue
            auprc[m] = XB.scores(maps, mk)['AUPRC']
            for b in ('zero', 'interp', 'mean', 'noise'):
                ev = faithfulness(learn.model, xb, maps, method=m, baseline=b, insertion=True)
                ratios[(b, False)][m], ratios[(b, True)][m] = ev.ratio, ev.insertion
        best = max(auprc, key=auprc.get)
        share = lambda m: f"{SHORT[m]} {auprc[m] / auprc[best]:.0%}".replace('%', ' %')
        cells = [share(default if c == ('zero', False) else pick(ratios[c])) for c in CRITERIA]
        rows.append(f'| {name} {arch} | {SHORT[best]} {auprc[best]:.3f} | ' + ' | '.join(cells) + ' |')
        print(rows[-1], flush=True)
    print('\n'.join(rows))

if __name__ == '__main__': main()
