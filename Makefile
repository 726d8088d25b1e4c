# make demo | make test | make run — each creates .venv from the lock file when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE :=
# Prefect: no telemetry, a private home, patience for its local server on a slow machine.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 60

.PHONY: install demo run test lint typecheck pytest eval bench lock clean

install: $(STAMP)

# uv installs the pinned set in seconds (pip takes ~30 s); it is itself installed by pip.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kapwatch demo

run: $(STAMP)
	$(BIN)/kapwatch run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	PREFECT_HOME=$$(mktemp -d) $(BIN)/pytest -q

# The evidence engine against the labelled studies in tests/eval (writes tests/eval/results.json).
eval: $(STAMP)
	$(BIN)/python -m tests.eval.evaluate

# Benchmarks (not timed tests): deduplication quality on the SRA sets in ../shared/data, and
# processing throughput on synthetic PubMed records.
bench: $(STAMP)
	$(BIN)/python bench/dedupe_sra.py
	$(BIN)/python bench/throughput.py 10000

# Re-resolve the pins (needs the registry); commit requirements.lock afterwards.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra postgres --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
