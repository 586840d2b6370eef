#!/usr/bin/env bash
# The change-safety review of the working tree against a git ref, offline.
#
#   scripts/review.sh <base ref> [--fail-on-replace] [--fail-on-blocked-plan] [--output FILE]
#
# Synthesises <base ref> (in a temporary git worktree) and the working tree, each with this
# checkout's virtualenv and `python app.py` (with `-c pipeline=config/pipeline.yaml` where
# that file exists, so the pipeline stack is reviewed with the environments), then prints
# eks_blueprint.review's Markdown report, with each environment's plans (upgrade when the
# Kubernetes version changes, IP capacity, cost change, a diagram of the change) and the
# Argo CD Applications of the GitOps trees (gitops/) that change.
# Exit codes are the review's: 0 report written, 1 error, 2 --fail-on-replace tripped,
# 3 --fail-on-blocked-plan tripped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${1:-}"
if [[ -z "$ref" ]]; then
  echo "usage: scripts/review.sh <base git ref> [--fail-on-replace] [--output FILE]" >&2
  exit 1
fi
shift
python="${PYTHON:-$root/.venv/bin/python}"
if [[ ! -x "$python" ]]; then
  echo "scripts/review.sh: $python not found; run 'make setup' first (or set PYTHON)" >&2
  exit 1
fi
if ! git -C "$root" rev-parse --verify --quiet "${ref}^{commit}" >/dev/null; then
  echo "scripts/review.sh: '$ref' is not a commit here (fetch it, e.g. git fetch origin main)" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/eks-review.XXXXXX")"
cleanup() {
  git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

synth() {  # synth <label> <source dir> <outdir>
  # Run inside the source dir so that its own app.py, stacks/ and eks_blueprint/ are imported.
  # Where the source has a pipeline file, synthesise the pipeline app: it holds the same
  # environment stages plus the pipeline stack, so the review covers both.
  local context="{}"
  if [[ -f "$2/config/pipeline.yaml" ]]; then
    context='{"pipeline": "config/pipeline.yaml"}'
  fi
  if ! (cd "$2" && CDK_OUTDIR="$3" CDK_CONTEXT_JSON="$context" "$python" app.py \
      >"$tmp/$1.log" 2>&1); then
    echo "scripts/review.sh: synth of $1 failed; last lines:" >&2
    tail -n 20 "$tmp/$1.log" >&2
    exit 1
  fi
}

git -C "$root" worktree add --quiet --detach "$tmp/base" "$ref"
synth "base ($ref)" "$tmp/base" "$tmp/base.out"
synth "head (working tree)" "$root" "$tmp/head.out"
cd "$root"
# Each side's plans read the config directory it was synthesised from.
plans=()
if [[ -d "$tmp/base/config" && -d "$root/config" ]]; then
  plans=(--base-config "$tmp/base/config" --head-config "$root/config")
fi
# Each side's GitOps trees (delivery.mode: gitops; `make gitops` writes them under gitops/):
# the report adds the Argo CD Applications that change. A side without gitops/ has none.
gitops=()
if [[ -d "$tmp/base/gitops" || -d "$root/gitops" ]]; then
  gitops=(--base-gitops "$tmp/base/gitops" --head-gitops "$root/gitops")
fi
"$python" -m eks_blueprint.review "$tmp/base.out" "$tmp/head.out" "${plans[@]}" "${gitops[@]}" "$@"
