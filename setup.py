"""The optional compiled accelerator (everything else is in pyproject.toml).

``optional=True``: where the extension cannot be built (no C compiler, no
Python headers) setuptools warns and installs the pure-Python package.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("natskit._speedups", ["src/natskit/_speedups.c"], optional=True),
    ]
)
