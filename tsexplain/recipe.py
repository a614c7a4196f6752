__all__ = ['TRAIN_DEFAULTS', 'ARCH_NAMES', 'TRAIN_DEFAULTS', 'ARCH_NAMES', 'TRAIN_DEFAULTS', 'ARCH_NAMES', 'TRAIN_DEFAULTS', 'ARCH_NAMES', 'TRAIN_DEFAULTS', 'ARCH_NAMES']

# %% ../nbs/02_models.ipynb #628920e9
# tsexplain.recipe: the default training recipe and the architectures' names, which the command reads before importing torch
TRAIN_DEFAULTS = dict(arch='InceptionTime', epochs=50, bs=16, lr=1e-3, seed=0, normalize='dataset')
ARCH_NAMES = ('InceptionTime', 'FCN', 'ResNet', 'CNNLSTMAttention')

# %% ../nbs/02_models.ipynb #7071800f
# tsexplain.recipe: the default training recipe and the architectures' names, which the command reads before importing torch
TRAIN_DEFAULTS = dict(arch='InceptionTime', epochs=50, bs=16, lr=1e-3, seed=0, normalize='dataset')
ARCH_NAMES = ('InceptionTime', 'FCN', 'ResNet', 'CNNLSTMAttention')

# %% ../nbs/02_models.ipynb #b0a94940
# tsexplain.recipe: the default training recipe and the architectures' names, which the command reads before importing torch
TRAIN_DEFAULTS = dict(arch='InceptionTime', epochs=50, bs=16, lr=1e-3, seed=0, normalize='dataset')
ARCH_NAMES = ('InceptionTime', 'FCN', 'ResNet', 'CNNLSTMAttention')

# %% ../nbs/02_models.ipynb #67bf7421
# tsexplain.recipe: the default training recipe and the architectures' names, which the command reads before importing torch
TRAIN_DEFAULTS = dict(arch='InceptionTime', epochs=50, bs=16, lr=1e-3, seed=0, normalize='dataset')
ARCH_NAMES = ('InceptionTime', 'FCN', 'ResNet', 'CNNLSTMAttention')

# %% ../nbs/02_models.ipynb #04c560a2
# tsexplain.recipe: the default training recipe and the architectures' names, which the command reads before importing torch
TRAIN_DEFAULTS = dict(arch='InceptionTime', epochs=50, bs=16, lr=1e-3, seed=0, normalize='dataset')
ARCH_NAMES = ('InceptionTime', 'FCN', 'ResNet', 'CNNLSTMAttention')