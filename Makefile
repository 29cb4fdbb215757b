# Two commands: `make run` and `make test`. Both set up what they need first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
export DAGSTER_HOME := $(CURDIR)/.dagster_home
# uv does not compile bytecode by default, and this machine sets PYTHONDONTWRITEBYTECODE:
# without it every import (dagster, dbt) is about twice as slow.
export UV_COMPILE_BYTECODE := 1
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: run test setup dev clean

run: setup
	$(BIN)/python -m orchestration.run

# One worker per core; worksteal keeps both busy when the long refresh tests land on one of them.
test: setup
	$(BIN)/python -m pytest -n auto --dist worksteal

dev: setup
	$(BIN)/dagster dev -m orchestration.definitions

setup: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml

# Exact pins in requirements.lock (compiled from pyproject.toml); the project itself without deps.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The Definitions load the dbt manifest at import time, so it must exist first. Parsed against the
# path a refresh points dbt at (warehouse.paths.DBT_BUILD_LINK), so each run's dbt reuses this parse.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
# From inside dbt_project/, as dagster-dbt runs dbt: the parse records seed paths relative to it.
	cd dbt_project && DBT_BUILD_DUCKDB_PATH=$(CURDIR)/dbt_project/target/build.duckdb \
	  ../$(BIN)/dbt parse --quiet --no-partial-parse --profiles-dir .
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) dbt_project/target dbt_project/logs warehouse/innovation.duckdb*
