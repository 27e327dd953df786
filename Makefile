# The README's commands. `make help` lists them.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: help build test check lint format venv clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/gen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

venv: $(BIN)/gen ## create .venv with gen and the dev tools

build: $(BIN)/gen ## validate the default catalog and write dist/
	$(BIN)/gen validate
	$(BIN)/gen build

test: $(BIN)/gen ## install what the tests need, then lint, type-check and run the whole suite
	scripts/prepare-test-env
	$(MAKE) lint
	$(BIN)/pytest

check: $(BIN)/gen ## lint, type-check and the tests that need no system package (installs nothing)
	$(MAKE) lint
	$(BIN)/pytest -m "not integration"

lint: $(BIN)/gen ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/gen ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## remove the virtual environment and build output
	rm -rf $(VENV) dist site-build .pytest_cache .mypy_cache .ruff_cache
