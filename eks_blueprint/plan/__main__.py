"""`python -m eks_blueprint.plan`: see :mod:`eks_blueprint.plan.cli`."""

import sys

from .cli import main

sys.exit(main())
