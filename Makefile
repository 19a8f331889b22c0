# The README's commands. Each target installs what it needs into a local .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Built-in connectors are their own distributions, installed like anyone else's plugin.
CONNECTORS := $(filter-out connectors/template,$(patsubst %/pyproject.toml,%,$(wildcard connectors/*/pyproject.toml)))

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml $(wildcard connectors/*/pyproject.toml)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' $(addprefix -e ,$(CONNECTORS))
	touch $(STAMP)

## demo: a real two-way sync on embedded defaults (the emulator and SQLite)
demo: $(STAMP)
	$(BIN)/syncd emulator serve --seed Contacts=200 --seed Accounts=40 --seed Deals=60

## test: the whole suite (lint, types, unit, integration, PostgreSQL where available)
test: lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check syncd connectors tests
	$(BIN)/ruff format --check syncd connectors tests

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

## bench: the benchmarks; they print their figures
bench: $(STAMP)
	$(BIN)/pytest tests/benchmarks --benchmarks -s

clean:
	rm -rf $(VENV) build *.egg-info
