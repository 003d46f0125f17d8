# The two commands a new user needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
# Directories too: their mtime changes when a file is added, moved or removed (a move keeps the file's mtime).
DBT_SOURCES := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros) dbt_project/dbt_project.yml dbt_project/profiles.yml

# Dagster's run history lives with the data it describes: one instance per data root, so the UI shows this
# lakehouse's runs only.
export DAGSTER_HOME := $(abspath $(or $(LAKEHOUSE_DATA_ROOT),$(CURDIR)))/.dagster
DAGSTER_CONFIG := $(DAGSTER_HOME)/dagster.yaml
# The project's own tools (dbt, dagster) come first, also for tools that call them by name.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help run test lint dev bench clean dashboard sql why

run: $(MANIFEST) $(DAGSTER_CONFIG)
	@$(BIN)/python -m pipelines.run $(if $(DEMO),--demo,) $(if $(GEMEENTEN),--gemeenten $(GEMEENTEN),)

help:
	@echo "make run            build everything from landing/; in demo mode (the default) the project's own landing/"
	@echo "                    gets the demo exports when no source folder there holds a file"
	@echo "make run DEMO=1     generate the demo exports first: into the project's own landing/, or into a folder"
	@echo "                    named by LAKEHOUSE_LANDING (or LAKEHOUSE_DATA_ROOT) only if it exists and is empty"
	@echo "make run GEMEENTEN=10  with DEMO=1 or an empty landing: ten demo municipalities"
	@echo "make test           the lint, then the whole test suite"
	@echo "make lint           the Python against ruff (pyproject.toml), the dbt models' SQL against .sqlfluff"
	@echo "make dev            the Dagster UI on http://localhost:3000 (DEV_PORT=3001 for another port)"
	@echo "make bench          the benchmark report (NATIONAL=1: all 342 municipalities)"
	@echo "make why MODEL=silver.fixi_melding  why the last run rebuilt that model, or kept it"
	@echo "make clean          remove everything built, keep landing/"
	@echo "Production: LAKEHOUSE_MODE=productie LAKEHOUSE_PSEUDONYM_KEY=... LAKEHOUSE_LANDING=/path/to/exports make run"

test: lint $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# ruff's rules are in pyproject.toml. sqlfluff renders each model with dbt, which connects to the profile's
# database: an in-memory one, so the lint needs no data.
lint: $(INSTALLED)
	$(BIN)/ruff check pipelines benchmarks dashboard tests
	LAKEHOUSE_BUILD_DB=:memory: $(BIN)/sqlfluff lint dbt_project/models --processes 2

# Generation, full build and nightly run at 1 and 10 municipalities against a pandas and a bare-DuckDB baseline;
# NATIONAL=1 adds all 342 municipalities. Report in benchmarks/results/.
bench: $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/python -m benchmarks $(if $(NATIONAL),--national,) $(if $(GEMEENTEN),--gemeenten $(GEMEENTEN),)

# `dg dev` supersedes `dagster dev` but needs the dg command-line tool; `dagster dev` does the same here, so its
# notice that it is superseded is left out (Dagster's documented way: a warnings filter).
DEV_PORT ?= 3000
dev: $(MANIFEST) $(DAGSTER_CONFIG)
	@PYTHONWARNINGS='ignore:Function `dev_command` is superseded' $(BIN)/dagster dev -m pipelines.definitions -p $(DEV_PORT)

# The dashboard on gold (read-only): http://localhost:$(PORT); `make dashboard PORT=8502` for another port.
PORT ?= 8501
dashboard: $(MANIFEST)
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --client.toolbarMode viewer

# Ask gold a question from the command line, read-only: make sql Q="select * from publicatie"
sql: $(INSTALLED)
	$(BIN)/python -m dashboard.sql "$(Q)"

# Why the last run rebuilt a model or kept it, from the build state: make why MODEL=silver.fixi_melding
why: $(MANIFEST)
	$(BIN)/python -m pipelines.dbt why "$(MODEL)"

$(INSTALLED): pyproject.toml constraints.txt
	@echo "installing the Python environment into $(VENV) (the first time: about 2 minutes)..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# The Dagster instance's settings; made again after `make clean`, which removes the instance with its runs.
$(DAGSTER_CONFIG): dagster_instance.yaml
	@mkdir -p $(DAGSTER_HOME)
	@cp dagster_instance.yaml $@

# The dbt manifest drives the Dagster asset graph, so it is rebuilt whenever a model, seed or macro changes.
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	@echo "parsing the dbt project (after a change to its models, seeds or macros: about half a minute)..."
	@$(BIN)/python -m pipelines.dbt parse
	@touch $@

clean:
	rm -rf bronze/*/ silver/*/ silver/*.duckdb* gold/*.parquet gold/*.duckdb gold/_publicatie.json gold/_versies gold/rapporten gold/.staging-* gold/.gold-* lineage/*/ .dagster dbt_project/target benchmarks/.work
