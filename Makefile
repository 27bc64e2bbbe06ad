# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: run test lint seed-1m bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(PIP) -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

## run: install, migrate the database, seed demo data when it is empty, start the app
run: $(VENV)/.runtime-installed
	$(BIN)/python -m cli migrate
	$(BIN)/python -m cli seed --if-empty
	$(BIN)/streamlit run server.py

## test: install the test tools, lint, run the whole suite
test: $(VENV)/.dev-installed lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## seed-1m: a million demo deals in data/million.db (a few minutes), for trying the app at scale
seed-1m: $(VENV)/.runtime-installed
	DATABASE_URL=sqlite:///data/million.db $(BIN)/python -m cli seed --deals 1000000 --if-empty

## bench: seed 10k and 1M demo databases (SQLite, and PostgreSQL when it answers) once, then print every benchmark
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
