"""The JSON Schema of an environment file, generated from the models.

Committed as config/schema.json so editors (YAML language server) complete and check the
files; a test fails when it is stale. Regenerate with `python -m eks_blueprint.config.schema
> config/schema.json` (or `make schema`).
"""

from __future__ import annotations

import json

from .environment import EnvironmentConfig


def render_schema() -> str:
    """The schema as stable, pretty-printed JSON text."""
    schema = EnvironmentConfig.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "eks_blueprint environment"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render_schema(), end="")
