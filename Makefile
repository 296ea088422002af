# grantflow: `make run` sets everything up and starts the app; `make test` sets up and runs the suite.
# Both are idempotent: a second run only does what is missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_WORKERS ?= 2
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
# WeasyPrint's libraries and a font for its fallback; Chromium and poppler for the browser and PDF tests;
# pg_dump/pg_restore for the PostgreSQL backup test.
RUN_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils postgresql-client

# the Demo-Uhr of `make run` (workflows/clock.py): the demo round of 2017-2018 lives on its own dates
DEMO_DATE ?= 2017-09-18

.PHONY: run test setup lint bench clean system-run system-test

run: system-run $(STAMP)
	$(BIN)/grantflow db upgrade
	$(BIN)/grantflow deploy
	$(BIN)/grantflow demo-data
	@echo "grantflow läuft auf http://127.0.0.1:5000  (Demo-Zugänge: siehe README, Passwort 'demo')"
	GRANTFLOW_DEMO_MODE=1 GRANTFLOW_DEMO_DATE=$(DEMO_DATE) $(BIN)/grantflow serve --host 127.0.0.1 --port 5000

# two workers (CI has 2 cores); tests of one xdist_group share a worker, the longest start first (tests/conftest.py)
test: system-test $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

setup: system-test $(STAMP)

# ruff, the import contracts (pyproject.toml [tool.importlinter]) and mypy on workflows/
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# what a step of the real round costs against bare SpiffWorkflow, the inbox at 10,000 rounds, the API under
# load (README "Benchmark"); PostgreSQL too when GRANTFLOW_TEST_DATABASE_URL is set. `--quick`: a smoke run.
bench: system-run $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

system-run:
	@./scripts/ensure-debs $(RUN_DEBS)

# the shared checkers beside the repo (bpmnlint, bpmn.io round trip, pdf-check), which the process and
# document tests run: set up once (0.2 s when done); without them those tests are skipped, and say why
system-test:
	@./scripts/ensure-debs $(TEST_DEBS)
	@if [ -x ../shared/tools/setup ]; then ../shared/tools/setup >/dev/null 2>&1 || \
		echo "Hinweis: ../shared/tools/setup ist fehlgeschlagen; die Prüfungen mit bpmn.io und pdf-check werden übersprungen."; fi

clean:
	rm -rf $(VENV) instance tests/output build
