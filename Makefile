# Forewarn — the two commands that matter:
#   make demo   set up, load fictional demo data into SQLite, serve on http://127.0.0.1:8000
#   make test   set up, run the whole suite on SQLite and on PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PostgreSQL server for the test run; pytest-django creates and drops its own test_<name> database.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/forewarn
PYTEST_ARGS ?=
XDIST ?= -n 2

.PHONY: setup demo test test-sqlite test-postgres lint docs bench clean

setup: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	./.ci/install-chromium
	touch $@

demo: setup
	FOREWARN_DEBUG=1 $(BIN)/forewarn demo

test: setup lint test-sqlite test-postgres

test-sqlite: setup
	@echo "== test suite on SQLite"
	env -u DATABASE_URL $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-postgres: setup
	@echo "== test suite on PostgreSQL ($(TEST_POSTGRES_URL))"
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests benchmarks

docs: setup
	FOREWARN_DEBUG=1 $(BIN)/forewarn diagrams

bench: setup
	$(BIN)/python benchmarks/national_scale.py

clean:
	rm -rf $(VENV) var .pytest_cache
