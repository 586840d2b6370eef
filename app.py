#!/usr/bin/env python3
"""The eks_blueprint app: one Stage per environment file in config/.

    cdk synth                      every config/*.yaml
    cdk synth -c env=prod          config/prod.yaml
    cdk synth -c config=my.yaml    any file

Every selected file is validated before anything is built; an invalid one ends the run
with one line per problem and exit code 1, and nothing is written to cdk.out.
"""

from __future__ import annotations

import os
import sys

from eks_blueprint.config import ConfigError, load_configs
from stacks.selection import cli_context, config_paths, file_context


def main() -> int:
    """Validate the selected configs, then build and synthesise the app."""
    context = file_context()
    selection = context | cli_context(os.environ)
    env, config = selection.get("env"), selection.get("config")
    try:
        configs = load_configs(config_paths(env, config))
    except ConfigError as exc:
        print("Invalid configuration; nothing was synthesised:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    # Only now start jsii: on a supported Node.js, from the virtualenv.
    from stacks.runtime import use_supported_node

    use_supported_node()
    from stacks.app_builder import build_app

    build_app(configs, context=context).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
