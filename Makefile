# The README's commands. `make run` and `make test` do all set-up on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint unit integration clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/claimstream run --demo

lint: $(STAMP)
	$(BIN)/ruff check streams tests scripts examples
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/agents

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

test: lint
	$(BIN)/pytest -q -rs

clean:
	rm -rf $(VENV) .claimstream .pytest_cache .mypy_cache .ruff_cache
