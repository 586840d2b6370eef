"""The JSON Schemas of the configuration files, generated from the models.

Committed as config/schema.json (an environment file) and config/pipeline.schema.json (the
pipeline file) so editors (YAML language server) complete and check the files; tests fail
when they are stale. Regenerate with `python -m eks_blueprint.config.schema > config/schema.json`
and `python -m eks_blueprint.config.schema pipeline > config/pipeline.schema.json` (or
`make schema`).
"""

from __future__ import annotations

import json
import sys

from pydantic import BaseModel

from .environment import EnvironmentConfig
from .pipeline import PipelineConfig

#: The schemas by command-line name: model and title.
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "environment": (EnvironmentConfig, "eks_blueprint environment"),
    "pipeline": (PipelineConfig, "eks_blueprint pipeline"),
}


def render_schema(kind: str = "environment") -> str:
    """The schema of `kind` (environment or pipeline) as stable, pretty-printed JSON text."""
    model, title = SCHEMAS[kind]
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """`python -m eks_blueprint.config.schema [environment|pipeline]`: print the schema."""
    kind = argv[0] if argv else "environment"
    if len(argv) > 1 or kind not in SCHEMAS:
        print(
            f"usage: python -m eks_blueprint.config.schema [{'|'.join(SCHEMAS)}]", file=sys.stderr
        )
        return 2
    print(render_schema(kind), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
