"""```python
from importlib.metadata import version as _version, PackageNotFoundError as _NotFound
from tsexplain import data as _data, core as _core, models as _models
from tsexplain.data import *
from tsexplain.core import *
from tsexplain.models import *
__all__ = ['__version__'] + [n for m in (_data, _core, _models) for n in m.__all__]  # re-export every public name
try: __version__ = _version('tsexplain')
except _NotFound: __version__ = 'unknown'
```"""
