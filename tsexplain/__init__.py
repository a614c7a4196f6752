"""```python
from importlib.metadata import version as _version, PackageNotFoundError as _NotFound
from tsexplain import data as _data, core as _core, models as _models, hooks as _hooks, cam as _cam
from tsexplain import attribution as _attribution, show as _show
from tsexplain.data import *
from tsexplain.core import *
from tsexplain.models import *
from tsexplain import model_files as _model_files
from tsexplain.model_files import *
from tsexplain import targets as _targets
from tsexplain.targets import *
from tsexplain.hooks import *
from tsexplain.cam import *
from tsexplain import faithfulness as _faithfulness
from tsexplain.faithfulness import *
from tsexplain import attention as _attention
from tsexplain.attention import *
from tsexplain.attribution import *
from tsexplain import perturbation as _perturbation
from tsexplain.perturbation import *
from tsexplain import figure_data as _figure_data
from tsexplain.figure_data import *
from tsexplain.show import *
from tsexplain import evaluate as _evaluate
from tsexplain.evaluate import *
from tsexplain import scale as _scale
from tsexplain.scale import *
from tsexplain import interactive as _interactive   # plotly is imported when a view is drawn: without it, a view says what to install
from tsexplain.interactive import *
from tsexplain import interactive_pages as _interactive_pages
from tsexplain.interactive_pages import *
from tsexplain import counterfactual as _counterfactual, counterfactual_show as _counterfactual_show, counterfactual_value as _counterfactual_value
from tsexplain import counterfactual_evaluate as _counterfactual_evaluate, neighbours as _neighbours
from tsexplain import counterfactual_sparse as _counterfactual_sparse
from tsexplain.neighbours import *
from tsexplain.counterfactual import *
from tsexplain.counterfactual_show import *
from tsexplain.counterfactual_sparse import *
from tsexplain.counterfactual_value import *
from tsexplain.counterfactual_evaluate import *
from tsexplain import forecast_show as _forecast_show
from tsexplain.forecast_show import *
from tsexplain import importance as _importance, motifs as _motifs, prototypes as _prototypes
from tsexplain.importance import *
from tsexplain.motifs import *
from tsexplain.prototypes import *
import fastai.basics as _fastai_basics, fastai.callback.all as _fastai_callbacks
from fastai.basics import *
from fastai.callback.all import *
_modules = (_data, _core, _models, _model_files, _targets, _hooks, _cam, _faithfulness, _attention, _attribution, _perturbation, _figure_data, _show,
            _evaluate, _scale, _interactive, _interactive_pages, _neighbours, _counterfactual, _counterfactual_show, _counterfactual_value, _counterfactual_sparse, _counterfactual_evaluate, _forecast_show, _importance, _motifs, _prototypes)
# like fastai's own `all`: every public name of tsexplain, and fastai.basics (np, torch, plt, Learner, test_eq, ...)
__all__ = ['__version__'] + [n for m in _modules for n in m.__all__] + \
          sorted({n for m in (_fastai_basics, _fastai_callbacks) for n in vars(m) if not n.startswith('_')})
try: __version__ = _version('tsexplain')
except _NotFound: __version__ = 'unknown'
```

Modules:

- `tsexplain.motifs`: For each class, the subsequences the maps rank first in its correctly predicted series, z-normalised and clustered; a medoid per cluster with its spread, prevalence and positions — and its **evidence measured on the model**: removing its occurrences lowers the class's probability by so much against random windows of the same size, and pasting it into series of other classes moves them toward the class."""
