"""`python -m eks_blueprint.governance`: see cli.py."""

import sys

from .cli import main

sys.exit(main())
