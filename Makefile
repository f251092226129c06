# The two commands of the README: `make demo` and `make test`. Each creates .venv with
# the interpreter named by PYTHON (3.11 or newer) and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint schema bench

$(BIN)/graph-service: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/graph-service
	$(BIN)/graph-service demo

lint: $(BIN)/graph-service
	$(BIN)/ruff check graph_service tests
	$(BIN)/mypy graph_service

test: lint
	$(BIN)/pytest

schema: $(BIN)/graph-service
	$(BIN)/python -m graph_service.api.export_schema

# The benchmark (benchmarks/README.md): SIZES=10k,100k,1M by default; writes
# benchmarks/results/ and BENCHMARKS.md.
SIZES ?= 10k,100k,1M
bench: $(BIN)/graph-service
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py --sizes $(SIZES)
	$(BIN)/python benchmarks/report.py
