"""Classic nbdev setup: every fact about the package comes from settings.ini."""
import re
from configparser import ConfigParser
from pathlib import Path
import setuptools
from packaging.version import Version

here = Path(__file__).parent
config = ConfigParser(delimiters=['='])
config.read(here/'settings.ini', encoding='utf-8')
cfg = config['DEFAULT']
Version(cfg['version'])  # fail early on a malformed version

statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = ['3.10', '3.11', '3.12', '3.13']
min_python = cfg['min_python']
readme = here/'README.md'


def long_description() -> str:
    "The README with its relative links made absolute, so figures and pages resolve on PyPI"
    if not readme.exists(): return cfg['description']
    text = readme.read_text(encoding='utf-8')
    raw, blob = cfg['git_url'].replace('github.com', 'raw.githubusercontent.com') + '/main/', cfg['git_url'] + '/blob/main/'
    text = re.sub(r'\]\((README_files/[^)\s]+)\)', lambda m: f']({raw}{m.group(1)})', text)
    return re.sub(r'\]\(((?:nbs|tsexplain|bench|tests)/[^)\s]+)\)', lambda m: f']({blob}{m.group(1)})', text)


setuptools.setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=long_description(),
    long_description_content_type='text/markdown',
    license=cfg['license'],
    license_files=['LICENSE'],
    author=cfg['author'], author_email=cfg['author_email'],
    url=cfg['git_url'],
    keywords=cfg['keywords'].split(),
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: Science/Research', 'Natural Language :: ' + cfg['language'],
                 'Topic :: Scientific/Engineering :: Artificial Intelligence']
                + ['Programming Language :: Python :: ' + v for v in py_versions[py_versions.index(min_python):]],
    packages=setuptools.find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    package_data={cfg['lib_path']: cfg['package_data'].split()},
    include_package_data=True,
    python_requires='>=' + min_python,
    install_requires=cfg['requirements'].split(),
    extras_require={'dev': cfg['dev_requirements'].split(), 'shap': cfg['shap_requirements'].split(),
                    'interactive': cfg['interactive_requirements'].split()},
    entry_points={'console_scripts': cfg['console_scripts'].split(),
                  'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    zip_safe=False,
)
