"""``python -m eks_blueprint.nag PATH...``: see :mod:`eks_blueprint.nag.cli`."""

import sys

from .cli import main

sys.exit(main())
