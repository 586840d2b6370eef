"""`python -m eks_blueprint.verify`: the eks-blueprint-verify command."""

import sys

from .cli import main

sys.exit(main())
