"""Careless edits of the shipped environment files, generated: the config accepts a file only
if AWS would, and never answers with a traceback.

Property: every mutation of config/{dev,staging,prod}.yaml is either
  - refused by the loader: a ConfigError whose every line names the file, then a field path
    or a line ("line 12: ..."), on one printable line; or
  - loaded, and then the environment synthesises and passes the compliance gates.

Mutations work on the YAML text (duplicate or deleted lines, keys YAML reads as dates,
numbers or booleans, aliases and anchors, odd characters) and on the parsed data (deleted
keys, values of another type, trailing newlines, control characters, emoji, bidirectional
overrides, 10,000-character strings, bad CIDRs and ARNs), then written back as YAML.

Deterministic (derandomize, no example database). The loader takes milliseconds, so the
load-only property runs 400 examples; a synthesis takes 0.4-1 s, so the synth property
synthesises 16. Both run as background jobs beside the other tests (tests/conftest.py): one
checks the load-only property, one draws the synth property's examples and synthesises each
in its own app. For a long run:

    EKS_BLUEPRINT_MUTATIONS=500 .venv/bin/python -m pytest tests/unit/test_config_mutations.py

runs 500 synthesised examples and 20x as many load-only ones (about 6 minutes), and
EKS_BLUEPRINT_MUTATIONS_SEED=<n> explores other examples than the fixed ones.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, seed, settings
from hypothesis import strategies as st

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_config
from stacks.app_builder import CONFIG_DIR
from tests.conftest import SYNTH_TIMEOUT, Finished, Job

from .test_config import dump

ENVIRONMENTS = ("dev", "staging", "prod")
TEXTS = {name: (CONFIG_DIR / f"{name}.yaml").read_text(encoding="utf-8") for name in ENVIRONMENTS}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

LONG_RUN = int(os.environ.get("EKS_BLUEPRINT_MUTATIONS", "0"))
LOAD_EXAMPLES = max(400, 20 * LONG_RUN)
SYNTH_EXAMPLES = max(16, LONG_RUN)
SEED = os.environ.get("EKS_BLUEPRINT_MUTATIONS_SEED")
COMMON = {
    "derandomize": SEED is None,
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

#: What a problem line says after `<file>: `: a line, or a field path and a colon.
_PART = r"""(\[('([^'\\]|\\.)*'|"([^"\\]|\\.)*"|\d+)\])"""
WHERE = re.compile(
    rf"line \d+[:,]|([A-Za-z_][A-Za-z0-9_]*|{_PART})(\.[A-Za-z_][A-Za-z0-9_]*|{_PART})*: "
)

ODD_TEXT = [
    "",
    " ",
    "prod\n",
    "x\r",
    "tab\there",
    "bell\x07",
    "nul\x00",
    "rtl\u202eevil",
    "zero\u200bwidth",
    "emoji 🚀",
    "ünïcödé",
    "*",
    "0.0.0.0/0",
    "x" * 10_000,
    "1" * 5_000,
    "../../etc/passwd",
    "${aws:username}",
    "arn:aws-cn:iam::111111111111:role/A",
    "arn:aws:iam::111111111111:role/" + "r" * 65,
    "arn:aws:iam::111111111111:role/Admin\n",
    "arn:aws:iam::111111111111:user/" + "p/" * 300 + "u",
    "arn:aws:s3:::bucket/*",
    "10.0.0.0/8",
    "10.0.0.0/33",
    "169.254.0.0/16",
    "127.0.0.1/32",
    "224.0.0.0/4",
    "100.64.0.0/10",
    "8.8.8.0/24",
    "1.34",
    "v1.2.3-eksbuild.1",
    "system:masters",
    "example.com/team",
    "kubernetes.io/role",
    "cn-north-1",
    "us-gov-west-1",
    "latest",
    "Never",
    "500m",
    "1Ei",
]
ODD_VALUES: list[Any] = [
    *ODD_TEXT,
    None,
    True,
    False,
    0,
    -1,
    1,
    3,
    65536,
    10**30,
    1.5,
    [],
    [None],
    ["a", "a"],
    {},
    {"unknown": 1},
]
#: Lines that YAML reads as something other than a text key, or that repeat a key.
ODD_LINES = [
    "2024-01-01: x",
    "1: x",
    "on: x",
    "yes: x",
    "null: x",
    "~: x",
    "1.5: x",
    "x: &c [*c]",
    "x: *undefined",
    "<<: {name: other}",
    "? [a, b]\n: x",
    "!!python/object:os.system x: y",
    "x: !!binary aGk=",
    "x: !!set {a, b}",
    "x: !!timestamp soon",
    "x: 2001-12-14t21:59:43.10-05:00",
    "name: duplicate",
    "deletion_protection: false",
    "\t- tab",
    "---",
    "%YAML 1.1",
    "x: |\n  two\n  lines",
    "x: [unclosed",
    "x: 'unterminated",
    "\ufeffx: bom",
    "x: \x85",
    "x: \u2028",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `value` (dict keys and list indexes), the root excluded."""
    out: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, item in items:
        out.append((*prefix, key))
        out.extend(_paths(item, (*prefix, key)))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def data_mutations(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped file's data with one to three changes, as YAML text."""
    env = draw(st.sampled_from(ENVIRONMENTS))
    data = copy.deepcopy(DATA[env])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path), path[-1]
        old = parent[key]
        kind = draw(st.sampled_from(["delete", "replace", "suffix", "retype", "add_key", "repeat"]))
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif kind == "suffix" and isinstance(old, str):
            parent[key] = old + draw(st.sampled_from(["\n", " ", "\t", "\u202e", "🚀", "*", "/"]))
        elif kind == "retype":
            parent[key] = [old] if not isinstance(old, list) else (old[0] if old else None)
        elif kind == "add_key" and isinstance(old, dict):
            new_key = draw(st.sampled_from(["unknown", "Name", "x" * 200, "aws:tag"]))
            old[new_key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif kind == "repeat" and isinstance(old, list) and old:
            old.append(copy.deepcopy(old[0]))
        else:
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
    return env, dump(data)


@st.composite
def text_mutations(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped file's text with a line inserted, repeated or deleted, or a character
    inserted."""
    env = draw(st.sampled_from(ENVIRONMENTS))
    lines = TEXTS[env].splitlines()
    index = draw(st.integers(0, len(lines) - 1))
    indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
    kind = draw(st.sampled_from(["insert", "repeat", "delete", "char", "anchor"]))
    if kind == "insert":
        lines.insert(index, indent + draw(st.sampled_from(ODD_LINES)))
    elif kind == "repeat":
        lines.insert(index, lines[index])
    elif kind == "delete":
        del lines[index]
    elif kind == "char":
        line = lines[index]
        at = draw(st.integers(0, len(line)))
        char = draw(st.sampled_from(list(":-#&*!|>{}[]\"'\t%@`,?\x00\x85\u2028\ufeff\u202e🚀")))
        lines[index] = line[:at] + char + line[at:]
    else:  # anchor a value and alias it on another line
        other = draw(st.integers(0, len(lines) - 1))
        if ": " in lines[index]:
            key, value = lines[index].split(": ", 1)
            lines[index] = f"{key}: &a {value}"
        if ": " in lines[other]:
            key, _ = lines[other].split(": ", 1)
            lines[other] = f"{key}: *a"
    return env, "\n".join(lines) + "\n"


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


#: Values that occur somewhere in the shipped files: a careless copy from another line.
SHIPPED_VALUES = sorted(
    {v for data in DATA.values() for v in _leaves(data) if isinstance(v, (str, int))},
    key=lambda v: (type(v).__name__, str(v)),
)


@st.composite
def plausible_mutations(draw: st.DrawFn) -> tuple[str, str]:
    """Edits that often still load: a deleted key, a flipped switch, a value copied from
    another line or file, a list item dropped or repeated."""
    env = draw(st.sampled_from(ENVIRONMENTS))
    data = copy.deepcopy(DATA[env])
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_paths(data)))
        parent, key = _parent(data, path), path[-1]
        old = parent[key]
        kind = draw(st.sampled_from(["delete", "flip", "copy", "drop", "repeat"]))
        if kind == "flip" and isinstance(old, bool):
            parent[key] = not old
        elif kind == "copy" and not isinstance(old, (dict, list)):
            same = [v for v in SHIPPED_VALUES if type(v) is type(old)] or SHIPPED_VALUES
            parent[key] = draw(st.sampled_from(same))
        elif kind == "drop" and isinstance(old, list) and old:
            old.pop(draw(st.integers(0, len(old) - 1)))
        elif kind == "repeat" and isinstance(old, list) and old:
            old.append(copy.deepcopy(old[-1]))
        else:
            del parent[key]
    return env, dump(data)


def load_or_refuse(env: str, text: str, directory: Path) -> EnvironmentConfig | None:
    """Load the text as `<env>.yaml`; a refusal must be readable, line by line."""
    path = directory / f"{env}.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        return load_config(path)
    except ConfigError as exc:
        assert exc.problems, "a ConfigError without problems"
        for problem in exc.problems:
            assert problem.startswith(f"{path}: "), problem[:300]
            rest = problem[len(f"{path}: ") :]
            assert WHERE.match(rest), f"names no field path or line: {problem[:300]}"
            assert problem.isprintable(), f"not one printable line: {problem[:300]!r}"
            assert len(problem) < 2000, f"too long ({len(problem)}): {problem[:300]}"
        return None


@seed(int(SEED or 0))
@settings(max_examples=LOAD_EXAMPLES, **COMMON)  # type: ignore[arg-type]
@given(st.one_of(data_mutations(), text_mutations()))
def refused_readably_or_loads(mutation: tuple[str, str]) -> None:
    env, text = mutation
    with tempfile.TemporaryDirectory() as directory:
        load_or_refuse(env, text, Path(directory))


def check_every_mutation(out: Path) -> None:
    """The load-only property (Hypothesis raises with the falsifying example), as a
    background :class:`Job`: its thousands of YAML loads run beside the other tests."""
    refused_readably_or_loads()


@pytest.mark.background(Job("tests.unit.test_config_mutations:check_every_mutation"))
def test_every_mutation_is_refused_readably_or_loads(background: Finished) -> None:
    done = background.process
    assert done.returncode == 0, done.stdout + done.stderr  # whole: Hypothesis' every failure


def loading_mutations() -> list[tuple[str, str]]:
    """The first SYNTH_EXAMPLES mutations that load, as Hypothesis draws them (deterministic
    unless EKS_BLUEPRINT_MUTATIONS_SEED is set). Each refusal met on the way is checked as in
    the load-only property."""
    loaded: list[tuple[str, str]] = []

    @seed(int(SEED or 0))
    @settings(
        max_examples=SYNTH_EXAMPLES,
        **{
            **COMMON,
            "suppress_health_check": [
                *COMMON["suppress_health_check"],  # type: ignore[list-item]
                HealthCheck.filter_too_much,
            ],
        },
    )
    @given(st.one_of(plausible_mutations(), data_mutations()))
    def draw(mutation: tuple[str, str]) -> None:
        env, text = mutation
        with tempfile.TemporaryDirectory() as directory:
            config = load_or_refuse(env, text, Path(directory))
        assume(config is not None)  # only loaded files count: each example is one synth
        loaded.append(mutation)

    draw()
    return loaded


def synthesise_mutations(out: Path) -> None:
    """The mutations that load (:func:`loading_mutations`), each in its own app: load,
    build_app, synth (the compliance packs enforce at synth). The failures, with their file
    and traceback, as JSON. A background :class:`Job` (`SYNTH_EACH`): in a warm worker, one
    jsii runtime for all of them, on the core the test process leaves idle."""
    import traceback

    from stacks.app_builder import build_app

    mutations = loading_mutations()
    assert len(mutations) == SYNTH_EXAMPLES
    failures = []
    for env, text in mutations:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / f"{env}.yaml"
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            try:
                build_app([load_config(path)], outdir=str(Path(directory) / "cdk.out")).synth()
            except Exception:
                trace = traceback.format_exc()[-3000:]
                failures.append({"env": env, "text": text, "trace": trace})
    out.joinpath("synthesised.json").write_text(json.dumps(len(mutations)))
    out.joinpath("failures.json").write_text(json.dumps(failures))


SYNTH_EACH = Job(
    "tests.unit.test_config_mutations:synthesise_mutations",
    timeout=SYNTH_TIMEOUT + 5 * SYNTH_EXAMPLES,
)


@pytest.mark.background(SYNTH_EACH)
def test_a_mutation_that_loads_synthesises_and_passes_the_gates(background: Finished) -> None:
    """Every mutation that loads synthesises and passes the gates. Drawn and synthesised
    beside the other tests (tests/conftest.py); a failure shows the file
    (not shrunk: run the drawn text through `load_config` and `build_app` to minimise it)."""
    done = background.process
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((background.out / "synthesised.json").read_text()) == SYNTH_EXAMPLES
    failures = json.loads((background.out / "failures.json").read_text())
    assert not failures, "\n\n".join(
        f"{f['env']}.yaml, mutated, fails to synthesise:\n{f['text']}\n{f['trace']}"
        for f in failures
    )
