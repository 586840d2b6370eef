"""`python -m eks_blueprint.review BASE HEAD [--output FILE] [--fail-on-replace]`."""

import sys

from .cli import main

sys.exit(main())
