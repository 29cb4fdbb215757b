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

.PHONY: run test setup setup-test dev clean

# The refresh, then the study's core output. One front door: the `innovation` command line.
run: setup
	$(BIN)/innovation refresh
	$(BIN)/innovation stages

# One worker per core. loadgroup: a module whose fixture is costly (a refresh, a Spark build) runs whole on one
# worker (its xdist_group mark) instead of paying the fixture on both; every other test goes where a worker is free.
test: setup-test
	$(BIN)/python -m pytest -n auto --dist loadgroup

# Dagster's UI and daemon (schedule, sensors, the report's automation) on http://127.0.0.1:3000.
dev: setup
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev

setup: $(VENV)/.installed $(MANIFEST) $(DAGSTER_HOME)/dagster.yaml
setup-test: setup $(VENV)/.installed-test

$(VENV)/bin/uv:
	@echo "Setting up $(VENV) (the first time: about a minute)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# What runs: the exact runtime pins of requirements.lock (compiled from pyproject.toml), then the project itself.
$(VENV)/.installed: requirements.lock pyproject.toml $(VENV)/bin/uv
	$(BIN)/uv pip install --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# What the tests and benchmarks add (pytest, playwright, xlwt, import-linter, pyinstrument): requirements-test.lock.
$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed
	$(BIN)/uv pip install --python $(BIN)/python -r requirements-test.lock
	touch $@

# The Definitions load the dbt manifest at import time, so it must exist first. Parsed against the
# path a refresh points dbt at (core.paths.DBT_BUILD_LINK), so each run's dbt reuses this parse.
$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	@echo "Parsing the dbt project"
# From inside dbt_project/, as dagster-dbt runs dbt: the parse records seed paths relative to it.
	cd dbt_project && DBT_BUILD_DUCKDB_PATH=$(CURDIR)/dbt_project/target/build.duckdb \
	  ../$(BIN)/dbt parse --quiet --no-partial-parse --profiles-dir .
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

clean:
	rm -rf $(VENV) $(DAGSTER_HOME) dbt_project/target dbt_project/logs data
