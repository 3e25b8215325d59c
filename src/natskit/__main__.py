"""``python -m natskit``: the command-line tool (see ``natskit.cli``)."""

import sys

from .cli import main

sys.exit(main())
