"""`python -m eks_blueprint.preflight`: the eks-blueprint-preflight command."""

import sys

from .cli import main

sys.exit(main())
