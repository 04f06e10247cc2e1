# Quick start: `make run` (the whole engine, embedded servers) and `make test` (the whole suite).
# Both set up their own virtualenv from pyproject.toml; nothing but Python >= 3.11 is needed.
# The first interpreter that really runs and is >= 3.11 (pyenv shims may exist for versions that are not active).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench chaos fuzz venv clean-var

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "casework needs Python >= 3.11 (python3 on PATH)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	exec $(BIN)/casework up

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Lint (issue 14): ruff, configured in pyproject.toml, over the code (tests/ not yet: see README). CI runs it
# before the tests.
lint: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	$(BIN)/python -m ruff check --extend-exclude tests .

# Benchmarks (issue 8): one JSON line per figure, then docs/benchmarks.md. BENCH_ARGS=--quick for a tiny run.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Faults (issue 7 item 6): >= 200 cases through the API while workers are killed -9 (>= 400 times), Temporal is
# restarted and PostgreSQL taken away; one JSON line of figures. CHAOS_ARGS="--cases 40 --min-kills 0" for a small run.
chaos: $(STAMP)
	$(BIN)/python -m tests.faults.chaos $(CHAOS_ARGS)

# Hostile input (issue 7 item 4): Schemathesis over the OpenAPI spec, FUZZ_EXAMPLES per operation (40: >= 1,000
# requests; `make test` runs 4), a fresh seed each run unless FUZZ_SEED is given (the seed is printed).
FUZZ_EXAMPLES ?= 40
fuzz: $(STAMP)
	CASEWORK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	CASEWORK_FUZZ_SEED=$${FUZZ_SEED:-$$($(BIN)/python -c 'import random; print(random.randrange(2**32))')} \
	$(BIN)/python -m pytest tests/api/test_schemathesis.py $(PYTEST_ARGS)

clean-var:
	rm -rf var
