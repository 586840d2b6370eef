"""What the pipelines run in CodeBuild follows the same rules as the GitHub workflows.

zizmor reads GitHub Actions files only, so the CodeBuild projects the pipelines synthesise
(the platform pipeline of `stacks.app_builder.build_pipeline_app` and each environment's
image pipeline in `<env>-eks-delivery`) are checked here by our own rules, written as pure
functions over a CloudFormation template dict:

* **pinned-image**: the build image is a CodeBuild managed image with an explicit version tag
  (`aws/codebuild/standard:7.0`), an ECR image by digest (`@sha256:...`), or a CDK container
  asset (its tag is the asset's content hash, in the bootstrap repository whose tags are
  IMMUTABLE); never `:latest` or untagged, and no other mutable tag.
* **plaintext-secret**: no environment variable whose name looks like a secret (TOKEN,
  SECRET, PASSWORD, KEY) is PLAINTEXT, the default type (CodeBuild documents that PLAINTEXT
  values show in the console and CLI; use PARAMETER_STORE or SECRETS_MANAGER). A name that
  ends in _ARN, _NAME, _ALIAS, _ID, _URI, _URL or _PATH points at a key rather than holding
  one and is allowed (AWS_ACCESS_KEY_ID never is). Checked on the project, in the buildspec's
  `env.variables` (always plain text), and on CodePipeline's CodeBuild actions.
* **buildspec**: the inline BuildSpec parses as YAML (CDK writes JSON, a subset), is a
  mapping with `version: 0.2` and `phases` whose commands are strings. A buildspec named by
  path must exist in this repository so it can be read; a project that relies on the
  source's implicit `buildspec.yml` is reported, since nobody reviewing the template sees it.
* **pipe-to-shell**: no `curl ... | sh`, `bash <(curl ...)`, `sh -c "$(curl ...)"`.
* **unpinned-download**: where the buildspec installs tools, they are pinned: `pip install`
  names `pkg==X` or a requirements/constraints file; `npm install -g` names `pkg@X.Y.Z`;
  `go install` names `@vX`, not `@latest`; `docker pull` names a tag other than `latest` or a
  digest; a `curl -o`/`wget` download either has a version in its URL or the buildspec checks
  a checksum (sha256sum/sha512sum/shasum).
* **privileged**: privileged mode (it runs a Docker daemon with root on the host) only where
  the buildspec builds or pushes images (`docker build|buildx|push|manifest`, `buildah`,
  `cdk-assets ... publish`, which builds the container assets CDK marks privileged).

Each rule has unit tests on small synthetic templates, so this file means something before
the pipelines exist; the integration tests run the rules over the real synthesised templates.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pipeline_app import PipelineSynth

ROOT = Path(__file__).resolve().parents[2]

Template = dict[str, Any]
Resolver = Callable[[str], str | None]


@dataclass(frozen=True)
class Finding:
    """One rule broken by one resource: where, which rule, and what to do about it."""

    resource: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.resource}: [{self.rule}] {self.message}"


# ---------------------------------------------------------------------------------------------
# Rendering CloudFormation values to text
# ---------------------------------------------------------------------------------------------


def render(value: Any) -> str:
    """A CloudFormation value as text, each intrinsic that is not a join written `${...}`.

    CDK writes a buildspec or an image URI that mentions a resource as an Fn::Join of strings
    and intrinsics; the placeholders keep the text parseable (no quote or backslash in them)
    and still show which part is not static.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Fn::Join":
            separator, parts = arg
            return str(separator).join(render(p) for p in parts)
        if fn == "Fn::Sub":
            return str(arg[0] if isinstance(arg, list) else arg)
        if fn == "Ref":
            return "${" + str(arg) + "}"
        if fn == "Fn::GetAtt":
            return "${" + ".".join(map(str, arg if isinstance(arg, list) else [arg])) + "}"
        return "${" + str(fn) + "}"
    return "${?}"


def is_static(value: Any) -> bool:
    return isinstance(value, str)


# ---------------------------------------------------------------------------------------------
# The rules (pure functions over a template dict)
# ---------------------------------------------------------------------------------------------

MANAGED_IMAGE = re.compile(r"^aws/codebuild/[A-Za-z0-9._-]+:(?P<tag>[A-Za-z0-9._-]+)$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
ASSET_IMAGE = re.compile(r"/cdk-[a-z0-9]+-container-assets-[^/]*:[0-9a-f]{64}$")


def check_image(resource: str, image: Any) -> list[Finding]:
    """pinned-image: a versioned managed image, an ECR digest, or a CDK container asset."""
    text = render(image)
    managed = MANAGED_IMAGE.match(text)
    if managed:
        tag = managed["tag"]
        if tag == "latest" or not re.search(r"\d", tag):
            return [
                Finding(
                    resource,
                    "pinned-image",
                    f"managed image {text!r} has no version tag; name one, e.g. "
                    "aws/codebuild/standard:7.0",
                )
            ]
        return []
    if DIGEST.search(text) or ASSET_IMAGE.search(text):
        return []
    last = text.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag is None:
        problem = "is untagged (it pulls :latest)"
    elif tag == "latest":
        problem = "uses :latest"
    else:
        problem = f"uses the mutable tag {tag!r}"
    return [
        Finding(
            resource,
            "pinned-image",
            f"image {text!r} {problem}; pin it by digest (@sha256:...) or use a versioned "
            "CodeBuild managed image",
        )
    ]


SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY", re.IGNORECASE)
POINTER_SUFFIX = re.compile(r"_(ARN|NAME|ALIAS|ID|URI|URL|PATH)$", re.IGNORECASE)
NEVER_POINTER = {"AWS_ACCESS_KEY_ID"}


def looks_secret(name: str) -> bool:
    """A name matching TOKEN|SECRET|PASSWORD|KEY that does not merely point at one."""
    if not SECRET_NAME.search(name):
        return False
    return name.upper() in NEVER_POINTER or not POINTER_SUFFIX.search(name)


def check_variables(resource: str, where: str, variables: list[tuple[str, str]]) -> list[Finding]:
    """plaintext-secret over (name, type) pairs; type "" means the PLAINTEXT default."""
    return [
        Finding(
            resource,
            "plaintext-secret",
            f"{where} variable {name!r} looks like a secret and is PLAINTEXT (shown in the "
            "console and CLI); pass it as PARAMETER_STORE or SECRETS_MANAGER",
        )
        for name, type_ in variables
        if looks_secret(name) and (type_ or "PLAINTEXT").upper() == "PLAINTEXT"
    ]


def buildspec_text(
    resource: str, source: dict[str, Any], resolve: Resolver
) -> tuple[str | None, list[Finding]]:
    """The buildspec's text: inline, or read through `resolve` from a path in the source."""
    spec = source.get("BuildSpec")
    if spec is None:
        if source.get("Type") == "NO_SOURCE":
            return None, [Finding(resource, "buildspec", "NO_SOURCE project without a BuildSpec")]
        spec = "buildspec.yml"
    text = render(spec)
    if "\n" in text or text.lstrip().startswith("{"):
        return text, []
    found = resolve(text)
    if found is None:
        return None, [
            Finding(
                resource,
                "buildspec",
                f"buildspec {text!r} is read from the source at run time and is not in this "
                "repository to check; write it inline (codebuild.BuildSpec.from_object)",
            )
        ]
    return found, []


def parse_buildspec(resource: str, text: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    """buildspec: parses as YAML, is a mapping, `version: 0.2`, commands are strings."""
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as err:
        return None, [Finding(resource, "buildspec", f"does not parse as YAML: {err}")]
    if not isinstance(spec, dict):
        return None, [Finding(resource, "buildspec", "is not a mapping")]
    findings = []
    if str(spec.get("version")) != "0.2":
        findings.append(
            Finding(resource, "buildspec", f"version is {spec.get('version')!r}, not 0.2")
        )
    phases = spec.get("phases")
    if not isinstance(phases, dict) or not phases:
        findings.append(Finding(resource, "buildspec", "has no phases"))
    else:
        for phase, body in phases.items():
            for key in ("commands", "finally"):
                cmds = (body or {}).get(key, []) if isinstance(body, dict) else None
                if cmds is None or not (
                    isinstance(cmds, str)
                    or (isinstance(cmds, list) and all(isinstance(c, str) for c in cmds))
                ):
                    findings.append(
                        Finding(resource, "buildspec", f"phases.{phase}.{key} is not strings")
                    )
    return spec, findings


def commands_of(spec: dict[str, Any]) -> list[str]:
    """Every command of every phase (and its `finally`), in order."""
    out: list[str] = []
    phases = spec.get("phases")
    for body in (phases or {}).values() if isinstance(phases, dict) else []:
        if not isinstance(body, dict):
            continue
        for key in ("commands", "finally"):
            cmds = body.get(key) or []
            out.extend([cmds] if isinstance(cmds, str) else [c for c in cmds if isinstance(c, str)])
    return out


SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", "\n"}


def simple_commands(command: str) -> Iterator[list[str]]:
    """The simple commands of a shell line (split on && || ; | &), as words."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        tokens = command.split()
    current: list[str] = []
    for token in tokens:
        if token in SEPARATORS or set(token) <= set(";&|()"):
            if current:
                yield current
            current = []
        else:
            current.append(token)
    if current:
        yield current


PIPE_TO_SHELL = [
    re.compile(
        r"\b(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(\S*/)?(env\s+)?(ba|z|da|k)?sh\b"
        r"|\b(curl|wget)\b[^\n|]*\|\s*(sudo\s+)?(\S*/)?python3?\b"
    ),
    re.compile(r"\b(ba|z|da|k)?sh\s+(-\w+\s+)*<\(\s*(curl|wget)\b"),
    re.compile(r"\b(ba|z|da|k)?sh\s+(-\w+\s+)*[\"']?\$\(\s*(curl|wget)\b"),
]
CHECKSUM = re.compile(r"\b(sha256sum|sha512sum|shasum)\b|--checksum|\bgpg\s+--verify\b")
VERSION_IN_URL = re.compile(r"(?<![0-9])v?\d+\.\d+(\.\d+)?")
EXACT_NPM = re.compile(r"^(@[^/@]+/)?[^@]+@\d+\.\d+\.\d+([-+][\w.]+)?$")
PIP_VALUE_OPTIONS = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--only-binary",
    "--no-binary",
    "--progress-bar",
    "--cache-dir",
    "--trusted-host",
    "--src",
    "--upgrade-strategy",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--cert",
    "--client-cert",
    "--report",
    "--root-user-action",
}
PACKAGE_TOOLS = {"rpm", "dnf", "yum", "microdnf", "apt-get", "apt"}
PIP_FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}


def pip_args(words: list[str]) -> list[str] | None:
    """The arguments after `pip install` / `pip3 install` / `python -m pip install`."""
    for i, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if re.fullmatch(r"pip3?(\.\d+)?", base) and words[i + 1 : i + 2] == ["install"]:
            return words[i + 2 :]
        if base.startswith("python") and words[i + 1 : i + 4] == ["-m", "pip", "install"]:
            return words[i + 4 :]
    return None


def unpinned_pip(args: list[str]) -> list[str]:
    bad, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in PIP_VALUE_OPTIONS or arg in PIP_FILE_OPTIONS:
            skip = True
            continue
        if arg.startswith("-"):  # --flag or --opt=value
            continue
        if "==" in arg or arg.startswith((".", "/")) or arg.endswith((".whl", ".tar.gz")):
            continue
        bad.append(arg)
    return bad


def check_commands(resource: str, spec: dict[str, Any]) -> list[Finding]:
    """pipe-to-shell and unpinned-download over every command of the buildspec."""
    findings: list[Finding] = []
    commands = commands_of(spec)
    has_checksum = any(CHECKSUM.search(c) for c in commands)

    def bad(rule: str, message: str) -> None:
        findings.append(Finding(resource, rule, message))

    for command in commands:
        if any(p.search(command) for p in PIPE_TO_SHELL):
            bad(
                "pipe-to-shell",
                f"{command!r} runs a downloaded script unchecked; download a "
                "pinned release, verify its checksum, then run it",
            )
        for words in simple_commands(command):
            tool = words[0].rsplit("/", 1)[-1] if words else ""
            args = pip_args(words)
            if args is not None:
                loose = unpinned_pip(args)
                if loose:
                    bad(
                        "unpinned-download",
                        f"pip installs {loose} without ==version; pin "
                        "them or install from a pinned requirements file",
                    )
            elif tool == "npm" and len(words) > 2 and words[1] in ("install", "i", "add"):
                pkgs = [w for w in words[2:] if not w.startswith("-")]
                if {"-g", "--global"} & set(words):
                    loose = [p for p in pkgs if not EXACT_NPM.match(p)]
                    if loose:
                        bad(
                            "unpinned-download",
                            f"npm installs {loose} globally without an exact version (pkg@X.Y.Z)",
                        )
            elif tool == "go" and words[1:2] == ["install"]:
                loose = [w for w in words[2:] if not w.startswith("-") and "@" not in w]
                loose += [w for w in words[2:] if w.endswith("@latest")]
                if loose:
                    bad("unpinned-download", f"go install {loose}: name @vX.Y.Z, not @latest")
            elif tool == "docker" and words[1:2] == ["pull"]:
                for ref in (w for w in words[2:] if not w.startswith("-")):
                    last = ref.rsplit("/", 1)[-1]
                    if "@sha256:" not in ref and (":" not in last or last.endswith(":latest")):
                        bad("unpinned-download", f"docker pull {ref!r}: name a version or digest")
            elif tool in ("curl", "wget") or tool in PACKAGE_TOOLS:
                # curl saves with -o/-O or a redirect; wget always; a package manager given
                # a URL (rpm -i https://..., dnf install https://...) downloads it too.
                saves = (
                    tool in PACKAGE_TOOLS
                    or tool == "wget"
                    or bool(
                        {"-o", "-O", "--output", "--remote-name", "--remote-name-all"} & set(words)
                        or any(re.fullmatch(r"-[a-zA-Z]*[oO]", w) for w in words)
                        or ">" in command
                    )
                )
                urls = [w for w in words if re.match(r"https?://", w)]
                for url in urls if saves else []:
                    if not has_checksum and ("latest" in url or not VERSION_IN_URL.search(url)):
                        bad(
                            "unpinned-download",
                            f"{tool} downloads {url} with no version in "
                            "the URL and no checksum check; pin a release and verify its "
                            "sha256",
                        )
    return findings


DOCKER_BUILD = re.compile(
    r"\bdocker\s+(build|buildx|image\s+build|push|manifest|compose\s+build)\b"
    r"|\bbuildah\b|\bcdk-assets\b.*\bpublish\b"
)


def check_privileged(resource: str, privileged: bool, spec: dict[str, Any] | None) -> list[Finding]:
    """privileged: only where the buildspec builds or pushes container images."""
    if not privileged:
        return []
    if spec is not None and any(DOCKER_BUILD.search(c) for c in commands_of(spec)):
        return []
    return [
        Finding(
            resource,
            "privileged",
            "PrivilegedMode is on but the buildspec builds no image (docker build/buildx/push);"
            " turn it off",
        )
    ]


def no_files(_path: str) -> str | None:
    return None


def repo_files(path: str) -> str | None:
    """A buildspec named by path, read from this repository (None if absent)."""
    candidate = (ROOT / path).resolve()
    if ROOT in candidate.parents and candidate.is_file():
        return candidate.read_text()
    return None


def check_project(resource: str, props: dict[str, Any], resolve: Resolver) -> list[Finding]:
    """Every rule over one AWS::CodeBuild::Project's Properties."""
    env = props.get("Environment", {})
    findings = check_image(resource, env.get("Image"))
    findings += check_variables(
        resource,
        "project",
        [(str(v.get("Name")), str(v.get("Type", ""))) for v in env.get("EnvironmentVariables", [])],
    )
    text, problems = buildspec_text(resource, props.get("Source", {}), resolve)
    findings += problems
    spec = None
    if text is not None:
        spec, problems = parse_buildspec(resource, text)
        findings += problems
    if spec is not None:
        variables = (spec.get("env") or {}).get("variables") or {}
        findings += check_variables(resource, "buildspec env", [(n, "") for n in variables])
        findings += check_commands(resource, spec)
    privileged = env.get("PrivilegedMode", False)
    findings += check_privileged(resource, privileged is True or privileged == "true", spec)
    return findings


def check_pipeline_actions(resource: str, props: dict[str, Any]) -> list[Finding]:
    """plaintext-secret on the EnvironmentVariables of a pipeline's CodeBuild actions."""
    findings: list[Finding] = []
    for stage in props.get("Stages", []):
        for action in stage.get("Actions", []):
            type_id = action.get("ActionTypeId", {})
            config = action.get("Configuration", {})
            if type_id.get("Provider") != "CodeBuild" or "EnvironmentVariables" not in config:
                continue
            where = f"action {stage.get('Name')}/{action.get('Name')}"
            try:
                variables = json.loads(render(config["EnvironmentVariables"]))
            except json.JSONDecodeError:
                findings.append(Finding(resource, "plaintext-secret", f"{where}: unreadable"))
                continue
            findings += check_variables(
                resource, where, [(str(v.get("name")), str(v.get("type", ""))) for v in variables]
            )
    return findings


def check_template(template: Template, resolve: Resolver = repo_files) -> list[Finding]:
    """Every rule over every CodeBuild project and CodePipeline of one template."""
    findings: list[Finding] = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::CodeBuild::Project":
            findings += check_project(logical_id, resource.get("Properties", {}), resolve)
        elif resource.get("Type") == "AWS::CodePipeline::Pipeline":
            findings += check_pipeline_actions(logical_id, resource.get("Properties", {}))
    return findings


def projects_in(template: Template) -> list[str]:
    return [
        k
        for k, v in template.get("Resources", {}).items()
        if v.get("Type") == "AWS::CodeBuild::Project"
    ]


# ---------------------------------------------------------------------------------------------
# Unit tests of the rules, on small synthetic templates
# ---------------------------------------------------------------------------------------------


def spec_json(commands: list[str], **extra: Any) -> str:
    """A buildspec as CDK writes it (BuildSpec.from_object renders indented JSON)."""
    return json.dumps(
        {"version": "0.2", **extra, "phases": {"build": {"commands": commands}}}, indent=2
    )


def project(
    image: Any = "aws/codebuild/standard:7.0",
    *,
    buildspec: Any = None,
    commands: list[str] | None = None,
    variables: list[dict[str, Any]] | None = None,
    privileged: Any = None,
    source_type: str = "CODEPIPELINE",
) -> Template:
    env: dict[str, Any] = {
        "ComputeType": "BUILD_GENERAL1_SMALL",
        "Image": image,
        "Type": "LINUX_CONTAINER",
    }
    if variables is not None:
        env["EnvironmentVariables"] = variables
    if privileged is not None:
        env["PrivilegedMode"] = privileged
    source: dict[str, Any] = {"Type": source_type}
    if buildspec is None and commands is not None:
        buildspec = spec_json(commands)
    if buildspec is not None:
        source["BuildSpec"] = buildspec
    return {
        "Resources": {
            "Build": {
                "Type": "AWS::CodeBuild::Project",
                "Properties": {"Environment": env, "Source": source},
            }
        }
    }


def rules(template: Template, resolve: Resolver = no_files) -> list[str]:
    return sorted({f.rule for f in check_template(template, resolve)})


def test_a_clean_project_passes() -> None:
    assert (
        check_template(project(commands=["pip install -r requirements-dev.txt", "make test"])) == []
    )


@pytest.mark.parametrize(
    "image",
    [
        "aws/codebuild/standard:7.0",
        "aws/codebuild/amazonlinux-aarch64-standard:3.0",
        "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/builder@sha256:" + "a" * 64,
        # LinuxBuildImage.from_asset, as CDK 2.275 renders it
        {
            "Fn::Sub": "123456789012.dkr.ecr.eu-west-1.${AWS::URLSuffix}/cdk-hnb659fds-container-"
            "assets-123456789012-eu-west-1:" + "0f" * 32
        },
    ],
)
def test_pinned_images_pass(image: Any) -> None:
    assert rules(project(image, commands=["make"])) == []


@pytest.mark.parametrize(
    "image",
    [
        "aws/codebuild/standard:latest",
        "aws/codebuild/standard",
        "public.ecr.aws/docker/library/python",
        "public.ecr.aws/docker/library/python:3.12",  # a tag can be moved
        {
            "Fn::Join": [
                "",
                [
                    {"Ref": "AWS::AccountId"},
                    ".dkr.ecr.eu-west-1.",
                    {"Ref": "AWS::URLSuffix"},
                    "/",
                    {"Ref": "Repo"},
                    ":latest",
                ],
            ]
        },
    ],
)
def test_unpinned_images_fail(image: Any) -> None:
    findings = check_template(project(image, commands=["make"]), no_files)
    assert [f.rule for f in findings] == ["pinned-image"], findings
    assert "Build" in str(findings[0])


def test_secret_looking_plaintext_variables_fail_and_references_pass() -> None:
    template = project(
        commands=["make"],
        variables=[
            {"Name": "GITHUB_TOKEN", "Value": "ghp_x"},  # Type absent: PLAINTEXT
            {"Name": "DB_PASSWORD", "Type": "PLAINTEXT", "Value": "x"},
            {"Name": "AWS_ACCESS_KEY_ID", "Type": "PLAINTEXT", "Value": "AKIA"},
            {"Name": "API_KEY", "Type": "SECRETS_MANAGER", "Value": "prod/api:key"},
            {"Name": "NPM_TOKEN", "Type": "PARAMETER_STORE", "Value": "/ci/npm"},
            {"Name": "KMS_KEY_ARN", "Type": "PLAINTEXT", "Value": {"Fn::GetAtt": ["K", "Arn"]}},
            {"Name": "SIGNING_PROFILE_NAME", "Value": "p"},
            {"Name": "IMAGE_REPO", "Value": "r"},
        ],
    )
    flagged = sorted(f.message.split("'")[1] for f in check_template(template, no_files))
    assert flagged == ["AWS_ACCESS_KEY_ID", "DB_PASSWORD", "GITHUB_TOKEN"]


def test_buildspec_env_variables_are_plain_text() -> None:
    spec = spec_json(
        ["make"],
        env={
            "variables": {"SECRET": "x", "REGION": "eu-west-1"},
            "secrets-manager": {"TOKEN": "ci/token"},
        },
    )
    findings = check_template(project(buildspec=spec), no_files)
    assert [(f.rule, "'SECRET'" in f.message) for f in findings] == [("plaintext-secret", True)]


def test_pipeline_codebuild_action_variables_are_checked() -> None:
    variables = [
        {"name": "SLACK_TOKEN", "type": "PLAINTEXT", "value": "x"},
        {"name": "COMMIT", "type": "PLAINTEXT", "value": "#{Source.CommitId}"},
    ]
    template = {
        "Resources": {
            "Pipeline": {
                "Type": "AWS::CodePipeline::Pipeline",
                "Properties": {
                    "Stages": [
                        {
                            "Name": "Build",
                            "Actions": [
                                {
                                    "Name": "Image",
                                    "ActionTypeId": {
                                        "Category": "Build",
                                        "Owner": "AWS",
                                        "Provider": "CodeBuild",
                                        "Version": "1",
                                    },
                                    "Configuration": {
                                        "ProjectName": {"Ref": "P"},
                                        "EnvironmentVariables": json.dumps(variables),
                                    },
                                }
                            ],
                        }
                    ]
                },
            }
        }
    }
    findings = check_template(template, no_files)
    assert [f.rule for f in findings] == ["plaintext-secret"]
    assert "SLACK_TOKEN" in findings[0].message and "Build/Image" in findings[0].message


@pytest.mark.parametrize(
    ("buildspec", "expected"),
    [
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - make\n", []),
        ('{\n "version": "0.2", "phases": {"build": {"commands": "make"}}}', []),
        ("version: 0.1\nphases:\n  build:\n    commands: [make]\n", ["version is"]),
        ("version: 0.2\nphases: [\n", ["does not parse"]),
        ("- just\n- a list\n", ["not a mapping"]),
        ("version: 0.2\nenv: {}\n", ["no phases"]),
        ("version: 0.2\nphases:\n  build:\n    commands:\n      - {a: b}\n", ["not strings"]),
    ],
)
def test_inline_buildspecs_parse_with_version_0_2(buildspec: str, expected: list[str]) -> None:
    messages = [f.message for f in check_template(project(buildspec=buildspec), no_files)]
    assert len(messages) == len(expected), messages
    for message, fragment in zip(messages, expected, strict=True):
        assert fragment in message


def test_buildspec_rendered_from_a_join_parses() -> None:
    joined = {
        "Fn::Join": [
            "",
            [
                '{\n "version": "0.2",\n "env": {"variables": {"REPO": "',
                {"Fn::GetAtt": ["Repo", "Arn"]},
                '"}},\n "phases": {"build": {"commands": ["make"]}}}',
            ],
        ]
    }
    assert check_template(project(buildspec=joined), no_files) == []


def test_buildspec_files_must_be_readable_here() -> None:
    template = project(buildspec="ci/buildspec.yml")
    assert rules(template) == ["buildspec"]
    good = "version: 0.2\nphases:\n  build:\n    commands: [make]\n"
    assert rules(template, {"ci/buildspec.yml": good}.get) == []
    implicit = project()  # CODEPIPELINE source, no BuildSpec: the source's buildspec.yml
    assert "buildspec.yml" in check_template(implicit, no_files)[0].message


@pytest.mark.parametrize(
    "command",
    [
        "curl -sSL https://example.com/install.sh | sh",
        "curl -fsSL https://example.com/install.sh | sudo bash -s -- --yes",
        "wget -qO- https://example.com/get | /bin/bash",
        "bash <(curl -s https://example.com/x.sh)",
        'sh -c "$(curl -fsSL https://example.com/x.sh)"',
        "curl -s https://example.com/x.py | python3",
    ],
)
def test_pipe_to_shell_fails(command: str) -> None:
    assert "pipe-to-shell" in rules(project(commands=[command]))


@pytest.mark.parametrize(
    "command",
    [
        "pip install cfn-lint",
        "pip install --upgrade pip",
        "python -m pip install --quiet ruff>=0.1",
        "npm install -g aws-cdk",
        "npm install -g cdk-assets@latest",
        "npm i --global aws-cdk@2",
        "go install github.com/x/y/cmd/z@latest",
        "docker pull public.ecr.aws/docker/library/alpine",
        "curl -sSLo notation.tar.gz https://github.com/notaryproject/notation/releases/latest/download/notation.tar.gz",
        "wget https://example.com/tool/tool-linux-amd64.tar.gz",
        "rpm -U https://example.com/linux/amd64/installer/rpm/latest/plugin_amd64.rpm",
        "dnf install -y https://example.com/plugin.rpm",
    ],
)
def test_unpinned_downloads_fail(command: str) -> None:
    assert rules(project(commands=[command])) == ["unpinned-download"], command


@pytest.mark.parametrize(
    "commands",
    [
        ["pip install -r requirements-dev.txt"],
        ["pip install cfn-lint==1.20.0 -c constraints.txt", "pip install -e ."],
        ["npm ci", "npm install -g aws-cdk@2.1148.1", "npx cdk synth --no-lookups"],
        ["go install github.com/x/y/cmd/z@v1.2.3"],
        ["dnf install -y jq", "rpm -U https://example.com/rpm/1.0.298/plugin_amd64.rpm"],
        ["docker pull public.ecr.aws/docker/library/alpine:3.20"],
        ["curl -sSLo n.tar.gz https://example.com/notation/v1.3.2/notation_1.3.2_linux.tar.gz"],
        [
            "curl -sSLo tool.tgz https://example.com/tool/latest.tgz",
            'echo "$TOOL_SHA256  tool.tgz" | sha256sum -c -',
        ],
        ["curl -s http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"],  # no download
    ],
)
def test_pinned_downloads_pass(commands: list[str]) -> None:
    assert rules(project(commands=commands)) == [], commands


def test_privileged_only_where_images_are_built() -> None:
    assert rules(project(commands=["make test"], privileged=True)) == ["privileged"]
    assert rules(project(commands=["make test"], privileged=False)) == []
    for build in [
        "docker build -t $REPO:$TAG .",
        "docker buildx build --push -t x .",
        'cdk-assets --path "a.assets.json" --verbose publish "x:current_account"',
    ]:
        assert rules(project(commands=[build], privileged=True)) == [], build


def test_findings_name_the_resource_rule_and_fix() -> None:
    (finding,) = check_template(project("aws/codebuild/standard:latest", commands=["make"]))
    assert str(finding).startswith("Build: [pinned-image]")
    assert "aws/codebuild/standard:7.0" in finding.message


# ---------------------------------------------------------------------------------------------
# A real CDK project, so the rules read what CDK renders (joins, JSON buildspecs)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdk_projects() -> Template:
    from stacks.runtime import use_supported_node

    use_supported_node()
    from aws_cdk import App, Environment, Stack
    from aws_cdk import aws_codebuild as codebuild
    from aws_cdk import aws_ecr as ecr

    app = App()
    stack = Stack(app, "Builds", env=Environment(account="123456789012", region="eu-west-1"))
    repo = ecr.Repository(stack, "Repo")
    codebuild.PipelineProject(
        stack,
        "Pinned",
        environment=codebuild.BuildEnvironment(
            build_image=codebuild.LinuxBuildImage.STANDARD_7_0, privileged=True
        ),
        environment_variables={
            "REPO_URI": codebuild.BuildEnvironmentVariable(value=repo.repository_uri),
            "KMS_KEY_ARN": codebuild.BuildEnvironmentVariable(value=repo.repository_arn),
        },
        build_spec=codebuild.BuildSpec.from_object(
            {
                "version": "0.2",
                "env": {"variables": {"REPO": repo.repository_uri}},
                "phases": {
                    "build": {
                        "commands": ["docker build -t $REPO:$TAG .", "docker push $REPO:$TAG"]
                    }
                },
            }
        ),
    )
    codebuild.PipelineProject(
        stack,
        "Latest",
        environment=codebuild.BuildEnvironment(
            build_image=codebuild.LinuxBuildImage.from_ecr_repository(repo, "latest")
        ),
        environment_variables={"API_TOKEN": codebuild.BuildEnvironmentVariable(value="x")},
        build_spec=codebuild.BuildSpec.from_object(
            {"version": "0.2", "phases": {"install": {"commands": ["npm i -g aws-cdk"]}}}
        ),
    )
    template: Template = app.synth().get_stack_by_name("Builds").template
    return template


def test_rules_read_cdk_rendered_projects(cdk_projects: Template) -> None:
    by_resource: dict[str, set[str]] = {}
    for finding in check_template(cdk_projects, no_files):
        by_resource.setdefault(finding.resource, set()).add(finding.rule)
    pinned = next(k for k in projects_in(cdk_projects) if k.startswith("Pinned"))
    latest = next(k for k in projects_in(cdk_projects) if k.startswith("Latest"))
    assert pinned not in by_resource, by_resource
    assert by_resource[latest] == {"pinned-image", "plaintext-secret", "unpinned-download"}


# ---------------------------------------------------------------------------------------------
# Integration: the real templates
# ---------------------------------------------------------------------------------------------


def assert_clean(templates: dict[str, Template], resolve: Resolver = repo_files) -> None:
    findings = [f"{name}/{f}" for name, t in templates.items() for f in check_template(t, resolve)]
    assert not findings, "CodeBuild rules broken:\n" + "\n".join(findings)


@dataclass(frozen=True)
class PipelineApp:
    """The synthesised pipeline app: every stack's template, and where it was written."""

    templates: dict[str, Template]
    outdir: Path

    def resolve(self, path: str) -> str | None:
        """A buildspec named by path: CDK pipelines writes the asset-publishing buildspecs
        (`buildspec-<addr>-<id>.yaml`, with publish_assets_in_parallel off) next to the
        assembly, which is the input artifact of those projects; else a repository file."""
        candidate = (self.outdir / path).resolve()
        if self.outdir.resolve() in candidate.parents and candidate.is_file():
            return candidate.read_text()
        return repo_files(path)


@pytest.fixture(scope="module")
def pipeline_app(pipeline_synth: PipelineSynth) -> PipelineApp:
    """Every stack of the pipeline app (config/pipeline.yaml), nested stages included: the
    session's one synth of it."""
    return PipelineApp(templates=pipeline_synth.templates, outdir=pipeline_synth.outdir)


def test_the_pipeline_app_has_codebuild_projects(pipeline_app: PipelineApp) -> None:
    assert any(projects_in(t) for t in pipeline_app.templates.values()), sorted(
        pipeline_app.templates
    )


def test_the_pipeline_apps_codebuild_follows_the_rules(pipeline_app: PipelineApp) -> None:
    assert_clean(pipeline_app.templates, pipeline_app.resolve)


def test_the_environments_codebuild_follows_the_rules(synth: Any) -> None:
    """The normal per-environment synth (tests/conftest.py), delivery stacks included."""
    templates = {
        f"{env}/{kind}": t for env, kinds in synth.templates.items() for kind, t in kinds.items()
    }
    if not any(projects_in(t) for t in templates.values()):
        pytest.skip("no environment synthesises a CodeBuild project yet (P2's delivery stack)")
    assert_clean(templates)


def shipped_buildspec_files() -> list[str]:
    """Buildspec files tracked in this repository (none today: ours are written inline)."""
    listed = subprocess.run(
        ["git", "ls-files", "*buildspec*.yml", "*buildspec*.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return sorted(listed)


@pytest.mark.parametrize(
    "path",
    shipped_buildspec_files()
    or [
        pytest.param(
            None, marks=pytest.mark.skip(reason="no buildspec file is shipped; ours are inline")
        )
    ],
)
def test_shipped_buildspec_files_follow_the_rules(path: str | None) -> None:
    assert path is not None
    text = (ROOT / path).read_text()
    spec, findings = parse_buildspec(path, text)
    if spec is not None:
        findings += check_commands(path, spec)
        variables = (spec.get("env") or {}).get("variables") or {}
        findings += check_variables(path, "buildspec env", [(n, "") for n in variables])
    assert not findings, "\n".join(map(str, findings))
