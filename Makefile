# The two commands of the README: `make demo` and `make test`. Each creates .venv with
# the interpreter named by PYTHON (3.11 or newer) and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CYPHER_LINT := tools/cypher-lint
# Exact versions of every dependency (README, Dependencies): the runtime's, and the runtime's
# plus every extra's (test, bench, falkordb-server); `make lock` writes both.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock

.PHONY: demo test lint lint-cypher schema bench lock browser-assets

# The venv holds exactly the dev lock, then the project itself without its (locked) dependencies.
$(BIN)/graph-service: pyproject.toml $(DEV_LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

demo: $(BIN)/graph-service
	$(BIN)/graph-service demo

lint: $(BIN)/graph-service
	$(BIN)/ruff check graph_service tests
	$(BIN)/mypy graph_service

# Neo4j's Cypher front end, (re)installed from the lock file when it is missing or changed.
$(CYPHER_LINT)/node_modules/.package-lock.json: $(CYPHER_LINT)/package.json $(CYPHER_LINT)/package-lock.json
	npm ci --prefix $(CYPHER_LINT) --no-audit --no-fund
	touch $@

# The Neo4j statements; the FalkorDB variants in queries/cypher/falkordb are another dialect.
lint-cypher: $(CYPHER_LINT)/node_modules/.package-lock.json
	node $(CYPHER_LINT)/lint.mjs queries/cypher --exclude queries/cypher/falkordb

# Chromium for the browser tests (tests/browser): Debian's package, installed when missing,
# since Playwright cannot download its own browser here (apt-get needs root, as CI has).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# The browser pages' npm packages (GraphiQL and React; cytoscape.js for the explorer) at the
# versions of tools/browser-assets/package-lock.json, (re)installed when missing or changed;
# `make browser-assets` copies their browser files into graph_service/api/static/<folder>
# (committed: the service serves them, no CDN), and the tests check the committed files equal
# the installed ones.
BROWSER_ASSETS := tools/browser-assets
$(BROWSER_ASSETS)/node_modules/.package-lock.json: $(BROWSER_ASSETS)/package.json $(BROWSER_ASSETS)/package-lock.json
	npm ci --prefix $(BROWSER_ASSETS) --no-audit --no-fund
	touch $@

browser-assets: $(BROWSER_ASSETS)/node_modules/.package-lock.json
	node $(BROWSER_ASSETS)/vendor.mjs

# The API and bulk tests run a second time on the stock path (strawberry's and graphql-core's
# public API alone, without graph_service/api/fast_path.py). pytest-xdist runs TEST_WORKERS
# test files at a time (each file's tests on one worker, so its fixtures are built once).
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
test: lint lint-cypher $(BROWSER_ASSETS)/node_modules/.package-lock.json $(CHROMIUM)
	$(PYTEST)
	GRAPH_SERVICE_FAST_PATH=0 $(PYTEST) tests/api tests/test_bulk.py

schema: $(BIN)/graph-service
	$(BIN)/python -m graph_service.api.export_schema

# The benchmark (benchmarks/README.md): SIZES=10k,100k,1M by default, BENCH_ARGS more
# options of benchmarks/run.py (e.g. --budget 30); writes benchmarks/results/ and BENCHMARKS.md.
SIZES ?= 10k,100k,1M
BENCH_ARGS ?=
# wrk, the throughput measure's load generator in C: Debian's package, installed when missing
# (as Chromium is; without it the measure falls back to Python threads sharing the cores).
WRK := /usr/bin/wrk
$(WRK):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk

bench: $(BIN)/graph-service $(WRK)
	$(BIN)/python benchmarks/run.py --sizes $(SIZES) $(BENCH_ARGS)
	$(BIN)/python benchmarks/report.py

# Resolve pyproject.toml's dependencies (ranges) into the lock files, for Python 3.11 on Linux,
# with uv. Pins already in a lock file are kept where the ranges allow, so adding a dependency
# moves nothing else; UPGRADE=1 moves every package to its newest allowed version. The runtime
# lock is resolved within the dev lock: the image runs the versions CI tests.
UV_VERSION := 0.13.8
UPGRADE ?=
COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 \
	--python-platform linux --no-strip-markers --annotation-style line \
	--custom-compile-command 'make lock'
lock:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(COMPILE) --all-extras $(if $(UPGRADE),--upgrade) -o $(DEV_LOCK)
	$(COMPILE) --constraint $(DEV_LOCK) -o $(LOCK)
