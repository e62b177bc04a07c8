# The two commands the README opens with: `make run` and `make test`.
# Another interpreter or venv: `make test PY=python3.13 VENV=.venv313` (3.11 to 3.13).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install install-runtime browser ocr run serve test smoke fuzz lint format bench bench-analytics bench-dashboard bench-dimensions bench-estimate bench-opendata bench-redis-down bench-projections bench-receipts bench-otlp clean

# Two stamps, one per lock: `make run` and `make serve` install the runtime lock only;
# `make test` and the tools install the dev lock (a superset). Each is redone when its
# lock changes, so `make test` after `make run` still installs the dev extras.
install: $(VENV)/.installed-dev
install-runtime: $(VENV)/.installed-runtime

$(VENV)/.installed-runtime: requirements.lock
	$(call venv_install,requirements.lock)

$(VENV)/.installed-dev: requirements-dev.lock
	$(call venv_install,requirements-dev.lock)

define venv_install
	@python=$(BIN)/python; test -x $$python || python="$(PY)"; \
		$$python -c 'import sys; assert (3, 11) <= sys.version_info[:2] <= (3, 13), "TokenTracker needs Python 3.11, 3.12 or 3.13, not " + sys.version.split()[0]'
	@test -x $(BIN)/python || $(PY) -c 'import ensurepip' 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv; \
		else echo "Install the venv module first: sudo apt-get install python3-venv"; exit 1; fi; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(1)
	touch $@
endef

# The browser tests (pytest -m browser) drive Debian's chromium; Playwright's own browser
# download cannot be used. Installed when missing and running as root (CI); otherwise the
# browser tests skip and say how to install it.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "chromium is missing, so the browser tests will skip: sudo apt-get install chromium"; fi; }

# Receipts are read by Debian's tesseract 5 (billing.ocr), in the worker or, on the embedded
# defaults, in-process: both `make run` and `make test` need it.
ocr:
	@command -v tesseract >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq tesseract-ocr; \
		else echo "tesseract is missing, so receipts cannot be read (and their tests fail): sudo apt-get install tesseract-ocr"; fi; }

run: install-runtime ocr
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The production shape on one machine (deploy/serve.py): refuses to start on an unsafe
# setting, migrates, collects static files, then runs the Procfile (gunicorn, Celery worker
# and beat), starting again whatever crashes. Settings from the environment or .env.
serve: install-runtime ocr
	$(BIN)/python deploy/serve.py

# The suite in TEST_WORKERS processes (pytest-xdist; fewer on a machine with fewer cores),
# each on its own test database and, with REDIS_URL, its own Redis database: worker gwN
# takes the one N below REDIS_URL's (tests/conftest.py). Then the fault tests alone: they
# start real processes, break them and time what they see (they skip on SQLite).
TEST_WORKERS ?= 2
test: install browser ocr
	$(BIN)/pytest -n auto --maxprocesses=$(TEST_WORKERS) -m 'not fuzz and not fault and not smoke'
	$(BIN)/pytest -m fault tests/faults

# The production shape end to end (tests/smoke/): `make serve` on a new PostgreSQL database
# and a redis-server of its own, driven over HTTP, then stopped. PostgreSQL only, like fuzz.
smoke: install
	@case "$${DATABASE_URL:-}" in postgres*) ;; *) echo "make smoke needs DATABASE_URL=postgres://..."; exit 1;; esac
	$(BIN)/pytest -m smoke tests/smoke

# schemathesis over /api/schema/ (tests/api/test_fuzz_api.py): PostgreSQL only, so it needs
# DATABASE_URL; `make test` leaves it out (pyproject's addopts).
fuzz: install
	@case "$${DATABASE_URL:-}" in postgres*) ;; *) echo "make fuzz needs DATABASE_URL=postgres://..."; exit 1;; esac
	$(BIN)/pytest -m fuzz tests/api/test_fuzz_api.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/ingest.py

# The same ingest through OTLP/HTTP (/v1/traces, protobuf and gzip) beside /api/v1/events.
bench-otlp: install
	$(BIN)/python bench/otlp.py

# Generates the 10M-event dataset once (skipped when present), then measures the reads.
bench-analytics: install
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/analytics.py

# The overview's server time on the same dataset (generated first when missing).
bench-dashboard: install
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/dashboard.py

bench-dimensions: install
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/dimensions.py

bench-estimate: install
	$(BIN)/python bench/estimate.py

# The full model catalog as CSV (and the other open datasets) through gunicorn.
bench-opendata: install
	$(BIN)/python bench/opendata.py

# Ingest p50/p95 with Redis up, then with its own redis-server stopped, in one run (~50 s).
bench-redis-down: install
	$(BIN)/python bench/redis_down.py

# The end-of-month projection backtested on generated spend series, two seeds (~2 min).
bench-projections: install
	$(BIN)/python bench/projections.py

# Receipt reading: 120 rendered receipts through the real tesseract, accuracy per field
# and seconds per receipt (~2-3 min).
bench-receipts: install ocr
	$(BIN)/python bench/receipts.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var
