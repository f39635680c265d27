# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

.PHONY: demo test lint typecheck pytest bench catalogs clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TESTED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(INSTALLED)
	$(BIN)/partnerbot demo $(ARGS)

test: $(TESTED) lint typecheck pytest

lint: $(TESTED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TESTED)
	$(BIN)/mypy

pytest: $(TESTED)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(TESTED)
	$(BIN)/python benchmarks/engine_throughput.py

# Refresh the catalogs' msgids from the sources (translations are then filled in by hand).
catalogs: $(TESTED)
	$(BIN)/pybabel extract -F babel.cfg -k t -k N_ -o locales/partnerbot.pot --no-location --sort-output .
	$(BIN)/pybabel update -i locales/partnerbot.pot -d locales -D partnerbot --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
