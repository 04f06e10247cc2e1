# Quick start: `make run` (the whole engine, embedded servers) and `make test` (the whole suite).
# Both set up their own virtualenv from pyproject.toml; nothing but Python >= 3.11 is needed.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test venv clean-var

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casework needs Python >= 3.11, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	exec $(BIN)/casework up

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-var:
	rm -rf var
