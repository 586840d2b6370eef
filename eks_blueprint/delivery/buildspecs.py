"""The buildspecs of the image pipeline, as plain dicts (CodeBuild buildspec version 0.2).

Pure functions, no aws_cdk: tests parse them, and `ImagePipeline` hands them to
`codebuild.BuildSpec.from_object`. Every value a step needs comes from an environment
variable of its project (`REPOSITORY_URI`, `REPOSITORY_NAME`, `ARCH`, `PLATFORMS`,
`FAIL_ON`, `SIGNING_PROFILE_ARN`, `CONTAINER`, `MANIFEST_TEMPLATE`) or of its pipeline
action (`IMAGE_TAG`: the source commit id), none of them a secret.

The repositories are immutable, so a re-run of the same commit must not push a tag again:
each push is skipped when the tag already exists, which makes a retried execution pass.
"Does not exist" means ECR answered ImageNotFoundException; any other error (access
denied, throttling) fails the step rather than rebuild a tag the repository would refuse.
Likewise a re-run does not sign an image that already has a signature.
"""

from __future__ import annotations

from typing import Any

#: Notation CLI (Notary Project), pinned; installed with `go install`, which checks the
#: module against the Go checksum database.
NOTATION_VERSION = "v1.3.2"
#: AWS Signer plugin for Notation (github.com/aws/aws-signer-notation-plugin), pinned to the
#: newest release tag confirmed in the repository.
SIGNER_PLUGIN_VERSION = "v1.0.350"
#: The Go runtime of the Sign step (`runtime-versions`), offered by both pinned Amazon Linux
#: 2023 images (x86_64 standard:5.0, aarch64 standard:3.0); Notation 1.3 needs Go >= 1.23.
GO_VERSION = "1.23"
#: The artifact type of a Notary Project signature, as `notation ls` lists it.
NOTARY_SIGNATURE = "application/vnd.cncf.notary.signature"
#: The plugin's name, as `notation sign --plugin` and the plugin directory spell it.
SIGNER_PLUGIN = "com.amazonaws.signer.notation.plugin"
#: The file, in the Sign step's output artifact, that the EKS deploy action applies.
MANIFEST_FILE = "deployment.yaml"
#: Scan states of ECR (ImageScanStatus in the ECR API reference): basic scanning ends in
#: COMPLETE; enhanced scanning (Amazon Inspector) reports ACTIVE once the image is scanned
#: and under continuous monitoring.
SCAN_DONE = ("COMPLETE", "ACTIVE")
#: States in which no findings will come: the gate fails on them.
SCAN_FAILED = (
    "FAILED",
    "UNSUPPORTED_IMAGE",
    "LIMIT_EXCEEDED",
    "IMAGE_ARCHIVED",
    "FINDINGS_UNAVAILABLE",
    "SCAN_ELIGIBILITY_EXPIRED",
)
#: Polls of the scan gate, 10 seconds apart (Inspector usually answers within minutes).
SCAN_POLLS = 90

_REGISTRY = '"${REPOSITORY_URI%%/*}"'
_LOGIN = (
    f'aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS '
    f"--password-stdin {_REGISTRY}"
)


def _unless_exists(tag: str, then: str) -> str:
    """Run `then` only if the tag is not in the repository yet. "Not there" is ECR's
    ImageNotFoundException; any other error of describe-images fails the command."""
    return (
        f'if out=$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" '
        f'--image-ids imageTag="{tag}" 2>&1 >/dev/null); then echo "{tag} exists"; '
        f"elif grep -q ImageNotFoundException <<<\"$out\"; then {then}; "
        'else echo "$out" >&2; exit 1; fi'
    )


def image_build_spec(*, tag_commit: bool) -> dict[str, Any]:
    """Build the image natively for `$ARCH` and push `<repo>:<commit>-<arch>`. With
    `tag_commit` (one platform only), also push it as `<repo>:<commit>`."""
    arch_tag = "$IMAGE_TAG-$ARCH"
    commands = [
        _unless_exists(
            arch_tag,
            f'docker build --platform "linux/$ARCH" --tag "$REPOSITORY_URI:{arch_tag}" . && '
            f'docker push "$REPOSITORY_URI:{arch_tag}"',
        ),
    ]
    if tag_commit:
        commands.append(
            _unless_exists(
                "$IMAGE_TAG",
                f'docker pull "$REPOSITORY_URI:{arch_tag}" && '
                f'docker tag "$REPOSITORY_URI:{arch_tag}" "$REPOSITORY_URI:$IMAGE_TAG" && '
                'docker push "$REPOSITORY_URI:$IMAGE_TAG"',
            )
        )
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "pre_build": {"commands": [_LOGIN]},
            "build": {"commands": commands},
        },
    }


def manifest_list_spec() -> dict[str, Any]:
    """Create and push the multi-architecture manifest list `<repo>:<commit>` from the
    per-architecture images of `$PLATFORMS`."""
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "pre_build": {"commands": [_LOGIN]},
            "build": {
                "commands": [
                    _unless_exists(
                        "$IMAGE_TAG",
                        'docker manifest create "$REPOSITORY_URI:$IMAGE_TAG" '
                        '$(for arch in $PLATFORMS; do echo "$REPOSITORY_URI:$IMAGE_TAG-$arch"; '
                        'done) && docker manifest push "$REPOSITORY_URI:$IMAGE_TAG"',
                    ),
                ]
            },
        },
    }


#: Reads the severity counts of one scan (JSON on stdin) and fails on any at or above the
#: threshold (`$FAIL_ON` lists the severities that fail, most severe first).
_GATE = (
    "import json, os, sys; counts = json.load(sys.stdin) or {}; "
    "bad = {s: counts.get(s, 0) for s in os.environ['FAIL_ON'].split() if counts.get(s, 0)}; "
    "print('findings by severity:', counts); "
    "sys.exit(f'scan gate: {bad} at or above the threshold' if bad else 0)"
)


def scan_gate_spec() -> dict[str, Any]:
    """Wait for the scan of every per-architecture image, then fail on findings at or
    above the threshold. The loop accepts ACTIVE as well as COMPLETE: `aws ecr wait
    image-scan-complete` only knows COMPLETE, which enhanced scanning never reports.
    A scan that will give no findings (`SCAN_FAILED`) fails the gate; so does any error of
    the CLI except ScanNotFoundException (the scan has not started yet: poll again)."""
    done = "|".join(SCAN_DONE)
    failed = "|".join(SCAN_FAILED)
    scan = (
        'aws ecr describe-image-scan-findings --repository-name "$REPOSITORY_NAME" '
        '--image-id imageTag="$tag"'
    )
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "build": {
                "commands": [
                    "set -o pipefail\n"
                    "for arch in $PLATFORMS; do\n"
                    '  tag="$IMAGE_TAG-$arch"; status=PENDING\n'
                    f"  for poll in $(seq 1 {SCAN_POLLS}); do\n"
                    f"    if out=$({scan} --query imageScanStatus.status --output text 2>&1); "
                    'then status="$out"\n'
                    '    elif grep -q ScanNotFoundException <<<"$out"; then status=PENDING\n'
                    '    else echo "$out" >&2; exit 1; fi\n'
                    f'    case "$status" in {done}) break;; {failed}) '
                    'echo "scan of $tag: $status"; exit 1;; esac\n'
                    "    sleep 10\n"
                    "  done\n"
                    f'  case "$status" in {done}) ;; *) echo "scan of $tag still $status"; '
                    "exit 1;; esac\n"
                    f"  {scan} --query imageScanFindings.findingSeverityCounts "
                    f"--output json | python3 -c \"{_GATE}\"\n"
                    "done",
                ]
            }
        },
    }


#: Writes the Deployment (`$MANIFEST_TEMPLATE`, JSON) with the container `$CONTAINER`'s
#: image set to `$IMAGE` (JSON is YAML, so kubectl reads it as the .yaml file it is).
_RENDER = (
    "import json, os; d = json.loads(os.environ['MANIFEST_TEMPLATE']); "
    "cs = [c for c in d['spec']['template']['spec']['containers'] "
    "if c['name'] == os.environ['CONTAINER']]; "
    "assert cs, 'no container ' + os.environ['CONTAINER']; "
    "cs[0]['image'] = os.environ['IMAGE']; "
    f"json.dump(d, open('{MANIFEST_FILE}', 'w'), indent=2)"
)


def sign_spec() -> dict[str, Any]:
    """Sign `<repo>@<digest>` of the commit's image with AWS Signer through Notation, then
    render the Deployment manifest naming that digest, for the EKS deploy action.

    The signature is stored through the OCI Referrers API (`--force-referrers-tag=false`):
    Notation's default, the referrers tag schema, pushes a `sha256-<digest>` tag, which an
    immutable repository refuses to move on a re-sign. A re-run skips signing when
    `notation ls` already lists a signature. Go comes from the image's pinned runtime."""
    plugin_dir = f'"$HOME/.config/notation/plugins/{SIGNER_PLUGIN}"'
    return {
        "version": "0.2",
        "env": {"shell": "bash"},
        "phases": {
            "install": {
                "runtime-versions": {"golang": GO_VERSION},
                "commands": [
                    f"go install github.com/notaryproject/notation/cmd/notation@{NOTATION_VERSION}",
                    "go install github.com/aws/aws-signer-notation-plugin/cmd@"
                    f"{SIGNER_PLUGIN_VERSION}",
                    f"mkdir -p {plugin_dir}",
                    f'mv "$(go env GOPATH)/bin/cmd" {plugin_dir}/notation-{SIGNER_PLUGIN}',
                    'export PATH="$(go env GOPATH)/bin:$PATH"',
                    "notation version && notation plugin ls",
                ]
            },
            "pre_build": {
                "commands": [
                    'aws ecr get-login-password --region "$AWS_REGION" | notation login '
                    f"--username AWS --password-stdin {_REGISTRY}",
                    'DIGEST=$(aws ecr describe-images --repository-name "$REPOSITORY_NAME" '
                    '--image-ids imageTag="$IMAGE_TAG" --query "imageDetails[0].imageDigest" '
                    "--output text)",
                    'export IMAGE="$REPOSITORY_URI@$DIGEST"',
                ]
            },
            "build": {
                "commands": [
                    'listed=$(notation ls "$IMAGE") || exit 1; '
                    f'if grep -q "{NOTARY_SIGNATURE}" <<<"$listed"; then '
                    'echo "$IMAGE is signed already"; else '
                    f'notation sign --plugin {SIGNER_PLUGIN} --id "$SIGNING_PROFILE_ARN" '
                    '--force-referrers-tag=false "$IMAGE"; fi',
                    f'python3 -c "{_RENDER}"',
                ]
            },
        },
        "artifacts": {"files": [MANIFEST_FILE]},
    }
