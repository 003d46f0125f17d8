# The two commands a new user needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
# Directories too: their mtime changes when a file is added, moved or removed (a move keeps the file's mtime).
DBT_SOURCES := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros) dbt_project/dbt_project.yml dbt_project/profiles.yml

export DAGSTER_HOME := $(CURDIR)/.dagster
DAGSTER_CONFIG := $(DAGSTER_HOME)/dagster.yaml
# The project's own tools (dbt, dagster) come first, also for tools that call them by name.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test dev bench clean dashboard sql

run: $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/python -m pipelines.run $(if $(DEMO),--demo,) $(if $(GEMEENTEN),--gemeenten $(GEMEENTEN),)

test: $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Generation, full build and nightly run at 1 and 10 municipalities against a pandas and a bare-DuckDB baseline;
# NATIONAL=1 adds all 342 municipalities. Report in benchmarks/results/.
bench: $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/python -m benchmarks $(if $(NATIONAL),--national,) $(if $(GEMEENTEN),--gemeenten $(GEMEENTEN),)

dev: $(MANIFEST) $(DAGSTER_CONFIG)
	$(BIN)/dagster dev -m pipelines.definitions

# The dashboard on gold (read-only): http://localhost:$(PORT); `make dashboard PORT=8502` for another port.
PORT ?= 8501
dashboard: $(MANIFEST)
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false --client.toolbarMode viewer

# Ask gold a question from the command line, read-only: make sql Q="select * from publicatie"
sql: $(INSTALLED)
	$(BIN)/python -m dashboard.sql "$(Q)"

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The Dagster instance's settings; made again after `make clean`, which removes the instance with its runs.
$(DAGSTER_CONFIG): dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

# The dbt manifest drives the Dagster asset graph, so it is rebuilt whenever a model, seed or macro changes.
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	$(BIN)/python -m pipelines.transform
	touch $@

clean:
	rm -rf bronze/*/ silver/*/ silver/*.duckdb* gold/rapporten gold/*.parquet gold/*.duckdb gold/_publicatie.json gold/.staging-* gold/.gold-* lineage/*/ .dagster dbt_project/target benchmarks/.work
