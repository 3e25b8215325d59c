"""The optional compiled accelerator (everything else is in pyproject.toml).

``optional=True``: where the extension cannot be built (no C compiler, no
Python headers) setuptools warns and installs the pure-Python package. Its C
files are all in src/natskit: the module's ``_speedups.c``, the parts in
``_speedups_*.c`` and the header they share.
"""

from setuptools import Extension, setup

C = "src/natskit/_speedups"

setup(
    ext_modules=[
        Extension(
            "natskit._speedups",
            [f"{C}.c", f"{C}_scan.c", f"{C}_msg.c", f"{C}_route.c"],
            depends=[f"{C}.h"],
            optional=True,
        ),
    ]
)
