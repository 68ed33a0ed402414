# Twofold — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Bytecode is kept (in __pycache__, ignored by git) even where the environment says not to:
# without it every test process compiles Twofold and rewrites the tests again (.ci/run).
unexport PYTHONDONTWRITEBYTECODE
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The installer speaks only when it fails: its output goes to .venv/pip.log and is shown on error.
PIP_QUIET = >>$(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
# The locked packages go in through uv (pinned, put into .venv by its own pip): it installs the
# ~700 MB of wheels in seconds where pip took a minute of one core (README, "Install"). Where uv
# cannot be had or cannot reach the index (uv reads none of pip's settings: a mirror set up for
# pip only), pip installs them instead.
UV_VERSION := 0.13.9
LOCKED = locked() { $(BIN)/python -m uv pip install --quiet --compile-bytecode \
	--python $(BIN)/python "$$@" || $(BIN)/pip install --quiet --disable-pip-version-check "$$@"; }; locked

.PHONY: run test install install-dev lint types check pytest test-browser demo worker benchmarks clean

run: install ## create .venv, install, migrate, load the demo, serve on 127.0.0.1:$(PORT)
	@$(BIN)/twofold migrate
	@$(BIN)/twofold demo --if-empty
	@PORT=$(PORT) $(BIN)/twofold serve

test: install-dev lint types check pytest ## lint, types, migrations check, the whole suite

# `install`: what running needs (requirements.lock). `install-dev`: that plus the test,
# type-checking and benchmark tools (requirements-dev.lock). Each leaves a stamp in .venv, so
# `make run` after `make test` installs nothing.
install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@echo "Installing what Twofold needs to run into $(VENV) (requirements.lock) ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@: > $(VENV)/pip.log
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) \
		>>$(VENV)/pip.log 2>&1 || echo "uv could not be installed: pip installs the packages (slower)."
	@$(LOCKED) -r requirements.lock $(PIP_QUIET)
	@$(LOCKED) --no-deps -e . $(PIP_QUIET)
	@$(BIN)/python -c "import django, gunicorn, pydantic, ortools, numba, twofold.engine" && touch $(STAMP)

install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	@echo "Adding the test, type-checking and benchmark tools (requirements-dev.lock) ..."
	@$(LOCKED) -r requirements-dev.lock $(PIP_QUIET)
	@$(BIN)/python -c "import pytest, mypy, ruff, playwright" && touch $(DEV_STAMP)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

types:
	$(BIN)/mypy twofold

check:
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	TWOFOLD_PRODUCTION=1 SECRET_KEY=$$($(BIN)/python -c "import secrets; print(secrets.token_urlsafe(64))") \
		ALLOWED_HOSTS=twofold.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

# The suite runs on every core (pytest-xdist); `PYTEST_WORKERS=0` runs it in one process.
# PYTEST_ARGS adds options (.ci/run: one retry of a failed test, reported, and the slowest tests).
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
pytest:
	$(BIN)/pytest -m "not browser" -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-browser: install-dev
	$(BIN)/pytest -m browser tests/browser

benchmarks: install-dev
	$(BIN)/python benchmarks/cpm.py
	$(BIN)/python benchmarks/ops.py
	$(BIN)/python benchmarks/risk.py

clean:
	rm -rf $(VENV) var build *.egg-info
