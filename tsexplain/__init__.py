"""```python
from importlib.metadata import version as _version, PackageNotFoundError as _NotFound
from tsexplain import data as _data, core as _core, models as _models, hooks as _hooks, cam as _cam
from tsexplain import attribution as _attribution, show as _show
from tsexplain.data import *
from tsexplain.core import *
from tsexplain.models import *
from tsexplain.hooks import *
from tsexplain.cam import *
from tsexplain.attribution import *
from tsexplain.show import *
_modules = (_data, _core, _models, _hooks, _cam, _attribution, _show)
__all__ = ['__version__'] + [n for m in _modules for n in m.__all__]  # re-export every public name
try: __version__ = _version('tsexplain')
except _NotFound: __version__ = 'unknown'
```"""
