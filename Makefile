# Rapport: two commands on a fresh machine.
#   make run   set up, generate the sample CRM and run the whole DAG once
#   make test  set up and run the tests
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Never download a Python: use the machine's python3.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= $(shell command -v python3)
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv

.PHONY: help setup browser run test lint bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

setup: $(VENV)/.synced  ## install uv if absent, then the locked environment

run: setup  ## run the whole DAG once on the generated sample CRM (pass ARGS="--date 2026-11-01" etc.)
	$(VENV)/bin/rapport run $(ARGS)

# The insight pages' browser tests drive Debian's chromium through Playwright (never `playwright install`).
browser:  ## install Debian's chromium (and a CJK font for the Chinese pages) if absent
	@command -v chromium >/dev/null || { \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium fonts-wqy-zenhei; \
	  elif command -v apt-get >/dev/null && command -v sudo >/dev/null; then sudo apt-get update && sudo apt-get install -y chromium fonts-wqy-zenhei; \
	  else echo "chromium is missing: install it with your package manager (the browser tests need /usr/bin/chromium)"; fi; }

# Test files are spread over the machine's cores (pytest-xdist; a file's tests stay on one worker, so a
# module's fixtures, such as one DAG run read by several tests, are built once). TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= auto

test: setup browser  ## run the test suite (TEST_WORKERS=auto: one worker per core; ARGS="-k ..." etc.)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile $(ARGS)

lint: setup  ## ruff (check and format, C901), mypy, sqlfluff (vars from rapport.toml) and the dbt/config convention tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/rapport sqlfluff lint dbt_project/models
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/dbt/test_manifest_conventions.py tests/rapport/test_config_single_source.py tests/rapport/test_repository_references.py tests/rapport/test_package_layers.py

bench: setup  ## run the benchmarks at their default scale
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

clean:  ## remove all run state (var/) and build output
	rm -rf var dbt_project/target dbt_project/logs dbt_project/dbt_packages
