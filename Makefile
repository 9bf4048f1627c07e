# Two commands: `make run` serves the portal with demo data; `make test` runs the whole suite.
# Both set up everything they need (virtualenv, packages, catalogs, database) and are fast the second time.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=governance $(BIN)/flask
MIGRATIONS := governance/migrations
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test install catalogs translations db demo node-deps browser-deps wrk-deps bench bench-smoke clean help

help:
	@echo "make run           set up and serve the portal with demo data on http://$(HOST):$(PORT)"
	@echo "make test          set up and run the whole test suite"
	@echo "make translations  extract messages and update the nl, fr, en, de catalogs"
	@echo "make bench         generate the benchmark data if missing and measure the portal against its ceiling"
	@echo "make bench-smoke   the same at a tiny scale, in seconds (CI runs it)"

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

# compiled catalogs are not committed; rebuilt when a .po file changes
MO_FILES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | install
	$(BIN)/pybabel -q compile -d translations -l $* -i $< -o $@

catalogs: $(MO_FILES)

translations: install
	$(FLASK) governance i18n update
	$(MAKE) catalogs

db: install catalogs
	$(FLASK) db upgrade -d $(MIGRATIONS)

demo: db
	$(FLASK) governance demo load --if-empty

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

# Front-end tooling for the browser tests (axe-core, the Nu HTML Checker) from npm, into node_modules/
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

node-deps: node_modules/.installed

# Debian's Chromium (and Java for the HTML checker), when missing and we may install them
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and java from Debian"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium fonts-dejavu-core default-jre-headless >/dev/null; \
	  else \
	    echo "chromium or java is missing and cannot be installed here: browser tests will skip"; \
	  fi; \
	fi

test: install catalogs node-deps browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's wrk, the HTTP load generator of the benchmark, when missing and we may install it
wrk-deps:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing wrk from Debian"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	  else echo "wrk is missing and cannot be installed here (apt-get install wrk)"; exit 1; fi; }

# the benchmark's own packages (the open-source counting libraries it compares with)
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	touch $@

# Both need PostgreSQL on 127.0.0.1:5432. BENCH_ARGS: e.g. "--scale 0.1 --rounds 3 --duration 10 --database sqlite"
BENCH_ARGS ?=
bench: $(VENV)/.bench-installed catalogs wrk-deps
	$(BIN)/python -m benchmarks.run --database both --scale 1 $(BENCH_ARGS)

# the smoke run needs no "bench" extra: without the counting libraries it reports their comparisons as skipped
bench-smoke: install catalogs wrk-deps
	$(BIN)/python -m benchmarks.run --smoke --database both

clean:
	rm -rf $(VENV) node_modules instance/governance.db* .pytest_cache
