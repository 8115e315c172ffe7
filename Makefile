# Two commands do all set-up: `make run` and `make test`. Everything else is a step they share.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app blog
HOST ?= 127.0.0.1
PORT ?= 5000

HTMX_SRC := node_modules/htmx.org/dist/htmx.min.js
# The version is in the served file name, so a new htmx is never mixed up with a cached old one.
HTMX_VERSION = $(shell node -p "require('./node_modules/htmx.org/package.json').version")

.PHONY: run test lint format assets translations messages db install clean bench screenshot

run: install assets db
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install assets lint
	$(BIN)/ruff format --check blog tests bench
	@# Three passes run side by side, each one process in its own temporary folder (the
	@# machine has two cores, and the passes wait on browsers, servers and subprocesses part of
	@# the time): the browser tests, then the unit tests and the import/export tests; the rest of
	@# the integration tests; and, where a PostgreSQL server is named (CI sets it), the
	@# integration suite again with every test app on PostgreSQL (tests that start their own
	@# servers, or that are about SQLite itself, run on SQLite only). The first two measure
	@# coverage of blog/, combined and reported at the end. The other passes' output is shown
	@# when all have ended; any failing fails the target. Tests marked `alone` (Lighthouse's
	@# performance score: it counts the page's main-thread time, which a busy machine
	@# stretches) run last, by themselves. Exit 5 ("no test selected": a pass that
	@# PYTEST_ARGS's -k or -m leaves empty) counts as passing.
	@runs=$$(mktemp -d); \
	( COVERAGE_FILE=$$runs/coverage.browser $(BIN)/pytest tests/e2e tests/unit \
	    tests/integration/transfer -p no:cacheprovider --basetemp=$$runs/browser \
	    --cov=blog --cov-report= -m "not alone" $(PYTEST_ARGS) > $$runs/browser.log 2>&1; \
	  echo $$? > $$runs/browser.status ) & \
	if [ -n "$$TEST_DATABASE_URL" ]; then \
	  ( BLOG_TEST_DATABASE=postgresql $(BIN)/pytest tests/integration -p no:cacheprovider \
	      --basetemp=$$runs/pg -m "not sqlite_only and not slow" $(PYTEST_ARGS) \
	      > $$runs/pg.log 2>&1; echo $$? > $$runs/pg.status ) & \
	else echo 0 > $$runs/pg.status; fi; \
	COVERAGE_FILE=$$runs/coverage.main $(BIN)/pytest tests/integration \
	  --ignore=tests/integration/transfer --cov=blog --cov-report= -m "not alone" \
	  $(PYTEST_ARGS); first=$$?; \
	wait; \
	echo "== the browser, unit and import/export tests"; cat $$runs/browser.log; \
	[ -f $$runs/pg.log ] && { echo "== the integration suite again, on PostgreSQL"; cat $$runs/pg.log; }; \
	browser=$$(cat $$runs/browser.status); pg=$$(cat $$runs/pg.status); \
	echo "== coverage of blog/ (all but the PostgreSQL pass)"; \
	$(BIN)/coverage combine --quiet $$runs/coverage.*; $(BIN)/coverage report; rm -rf $$runs; \
	echo "== the tests that run alone"; \
	$(BIN)/pytest -p no:cacheprovider -m alone $(PYTEST_ARGS); alone=$$?; \
	[ "$$first" = 5 ] && first=0; [ "$$browser" = 5 ] && browser=0; \
	[ "$$pg" = 5 ] && pg=0; [ "$$alone" = 5 ] && alone=0; \
	echo "== integration: exit $$first; browser, unit, import/export: exit $$browser; PostgreSQL: exit $$pg; alone: exit $$alone"; \
	[ "$$first" = 0 ] && [ "$$browser" = 0 ] && [ "$$pg" = 0 ] && [ "$$alone" = 0 ]

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

assets: static/vendor/.htmx-copied translations

# The interface's translations (blog/web/i18n.py): each catalogue compiled for Flask-Babel.
PO_FILES := $(wildcard blog/translations/*/LC_MESSAGES/messages.po)
translations: $(PO_FILES:.po=.mo)

blog/translations/%/LC_MESSAGES/messages.mo: blog/translations/%/LC_MESSAGES/messages.po | install
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After marking new text with _(): collect it and add it to every catalogue, to be translated.
messages: install
	$(BIN)/pybabel extract --no-location --sort-by-file -F babel.cfg -k _l -o blog/translations/messages.pot blog templates
	$(BIN)/pybabel update --no-fuzzy-matching -i blog/translations/messages.pot -d blog/translations

# npm ci also installs the devDependency vnu-jar: the Nu Html Checker the test suite runs (on Java;
# its postinstall finds the system Java that .ci/run installs first, and downloads nothing then).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/.htmx-copied: node_modules/.package-lock.json
	rm -rf static/vendor
	mkdir -p static/vendor
	cp $(HTMX_SRC) static/vendor/htmx-$(HTMX_VERSION).min.js
	touch $@

db: install
	$(FLASK) init-db
	$(FLASK) seed-demo

# The load test (not part of `make test`): gunicorn from the "bench" extra, wrk from Debian.
# BENCH_ARGS="--rounds 5 --seconds 5 out.json" passes arguments to bench/run.py.
bench: install assets $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y wrk; \
	  elif command -v sudo >/dev/null; then sudo apt-get install -y wrk; \
	  else echo "wrk is missing: apt-get install wrk (Debian/Ubuntu), or build it from its source"; exit 1; fi; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

$(VENV)/.bench-installed: pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# ruff, and import-linter's contracts in pyproject.toml: the areas import one way only.
# The README's picture, taken by the browser tests' own Chromium (tests/e2e/test_screenshot.py).
screenshot: install assets
	BLOG_SCREENSHOT_TO=$(CURDIR)/docs/screenshot.png $(BIN)/pytest -q tests/e2e/test_screenshot.py

lint: install
	$(BIN)/ruff check blog tests bench
	$(BIN)/lint-imports

format:
	$(BIN)/ruff format blog tests bench
	$(BIN)/ruff check --fix blog tests bench

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache .coverage dist build
