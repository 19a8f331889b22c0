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
DEMO     := --config config/demo.toml
DEMO_LOG := var/demo/syncd.log
# syncd sync exits 1 when rows were rejected (the demo has one on purpose); 2 and 3 are real failures.
DEMO_SYNC = $(BIN)/syncd sync $(DEMO) 2>>$(DEMO_LOG) || [ $$? -eq 1 ] || { \
	echo "syncd sync failed; the end of $(DEMO_LOG):"; tail -n 20 $(DEMO_LOG); exit 1; }

demo: $(STAMP)
	@echo "==> Starting afresh: var/demo/shop is a copy of the shop's CSV files (config/demo/shop);"
	@echo "    the embedded Zoho emulator is seeded from config/demo/crm.json. Logs go to $(DEMO_LOG)."
	@rm -rf var/demo && mkdir -p var/demo && cp -r config/demo/shop var/demo/shop
	@echo
	@echo "==> First sync, both directions: new shop customers and companies are created in the CRM,"
	@echo "    CRM-only ones are written to the shop's CSV files, Grace Hopper's phone differs on both"
	@echo "    sides (a conflict, settled by conflict_policy = crm_wins) and maria.garcia@ is rejected."
	@$(DEMO_SYNC)
	@echo
	@echo "==> Second sync: both sides agree now, so there is nothing to do and no write credits are spent."
	@$(DEMO_SYNC)
	@echo
	@echo "==> syncd status: the last run of each pipeline, the credits spent and what is left open."
	@$(BIN)/syncd status $(DEMO) 2>>$(DEMO_LOG)
	@echo
	@echo "==> syncd rejects list: the row syncd refused, and why. Fix it in var/demo/shop/customers.csv"
	@echo "    and run .venv/bin/syncd sync --config config/demo.toml again."
	@$(BIN)/syncd rejects list $(DEMO) 2>>$(DEMO_LOG)

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
