# coordcell: `make demo` to try it, `make test` to check it.  See README.md.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# coordcell needs Python 3.12 or newer (Django 6): take the first one this machine has.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.1[23]*/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null; then command -v $$p; break; fi; done)
export COORDCELL_DATA_DIR ?= $(CURDIR)/var
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
PYTEST_ARGS ?=
# `make test` spreads each pass over the cores (pytest-xdist; the browser tests run alone):
# at most 2, which is what CI machines have. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 2 ] && n=2; echo $$n)
# Run once, in the SQLite pass: the optimisation models never touch the database; static analysis
# and escaping read no data; the access matrix asks the same access functions on either database
# (the canary crawl, which reads what the database returns, runs on both).
PURE_TESTS_SKIPPED := --ignore-glob='coordcell/allocation/tests/test_solver_*' \
	--ignore-glob='coordcell/training/tests/test_scheduler_*' \
	--ignore=tests/test_bandit.py --ignore=tests/test_escaping.py \
	--ignore=tests/test_access_matrix.py

.PHONY: demo install test test-quick test-sqlite test-postgres test-e2e e2e-deps lint bench bench-load clean-demo help cluster cluster-check

help:
	@echo "make demo   - install, migrate, load the demo scenario, serve on http://127.0.0.1:8000"
	@echo "make test   - install what the tests need and run them on SQLite and PostgreSQL"
	@echo "make test-quick - SQLite only, without the slow and browser tests (while working)"
	@echo "make bench  - run the benchmarks and print their tables"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "coordcell needs Python >= 3.12 (python3.12 or python3.13 on PATH, or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PIP) install -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import coordcell, django, highspy, ortools, pytest_django"
	touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p $(COORDCELL_DATA_DIR)
	$(BIN)/coordcell migrate --no-input -v 0
	$(BIN)/coordcell demo-data --size small --seed 1 --if-empty
	@echo
	@$(BIN)/coordcell demo-logins
	@echo
	$(BIN)/coordcell serve --bind 127.0.0.1:8000

# mypy (pyproject's [tool.mypy]) loads the settings, on SQLite: no database server needed; its
# cache (.mypy_cache) makes a second run take a few seconds.
lint: install
	$(BIN)/ruff check coordcell tests benchmarks
	$(BIN)/lint-imports
	DATABASE_URL= $(BIN)/coordcell makemigrations --check --dry-run -v 0
	DATABASE_URL= $(BIN)/mypy

# A quick local run while working: SQLite only, without the tests marked `slow` (live servers,
# subprocesses, whole-application sweeps) and the browser. CI runs everything (make test).
test-quick: install
	DATABASE_URL= $(BIN)/pytest -m "not slow and not e2e" $(PYTEST_ARGS)

test-sqlite: install e2e-deps
	DATABASE_URL= $(BIN)/pytest -m "not e2e" -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: install e2e-deps
	@url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url=$$(scripts/testdb.sh start) || exit 1; fi; \
	echo "PostgreSQL tests on $${url%%@*}@…"; \
	DATABASE_URL="$$url" $(BIN)/pytest -m "not e2e" -n $(PYTEST_WORKERS) $(PURE_TESTS_SKIPPED) $(PYTEST_ARGS)

# Browser tests need Debian's Chromium (never a downloaded browser); the briefing PDF needs
# DejaVu (Cyrillic). Both come from Debian's packages when missing.
e2e-deps:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || missing="$$missing fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing from Debian's packages"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# One browser run on SQLite (the live server shares the test database with the browser).
test-e2e: install e2e-deps
	DATABASE_URL= $(BIN)/pytest tests/e2e -m e2e --nomigrations $(PYTEST_ARGS)

test: lint
	@echo "== tests on SQLite =="
	$(MAKE) --no-print-directory test-sqlite
	@echo "== tests on PostgreSQL =="
	$(MAKE) --no-print-directory test-postgres
	@echo "== browser tests (Chromium) =="
	$(MAKE) --no-print-directory test-e2e

bench: install
	$(BIN)/python benchmarks/run.py $(BENCH) $(if $(SIZES),--sizes $(SIZES))

# Many people at once (benchmarks/load/, not a bench_*.py): the large scenario on PostgreSQL
# (100 users) and SQLite (20 users), driven by locust and served behind nginx, which only this
# target installs.
# `make bench-load LOAD_ARGS="--backends postgres --duration 120"`: see benchmarks/load/run.py.
bench-load: install
	@$(BIN)/python -c "import locust" 2>/dev/null || \
		$(PIP) install -e '.[dev,bench]' 2>&1 | grep -v "^WARNING: Location" || true
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
		echo "installing nginx-light from Debian's packages (the proxy in front of the servers)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }
	$(BIN)/python benchmarks/load/run.py $(LOAD_ARGS)

clean-demo:
	rm -rf $(COORDCELL_DATA_DIR)

# Past one machine, on this one: two servers (127.0.0.1:8001 and :8002) and two workers sharing
# one throwaway PostgreSQL (scripts/testdb.sh); Ctrl-C stops them all. cluster-check starts it,
# queues a run through one server, checks both answer and a worker solves it, and stops it.
cluster: install
	scripts/cluster.sh

cluster-check: install
	scripts/cluster.sh --check
