# Twofold — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install lint types check pytest test-browser demo worker benchmarks clean

run: install ## create .venv, install, migrate, load the demo, serve on 127.0.0.1:$(PORT)
	$(BIN)/twofold migrate
	$(BIN)/twofold demo --if-empty
	PORT=$(PORT) $(BIN)/twofold serve

test: install lint types check pytest ## lint, types, migrations check, the whole suite

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/pip install --quiet -r requirements.lock 2>&1 | grep -v "is ignored" || true
	$(BIN)/pip install --quiet --no-deps -e . 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import django, gunicorn, pydantic, twofold.engine" && touch $(STAMP)

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

pytest:
	$(BIN)/pytest -m "not browser"

test-browser: install
	$(BIN)/pytest -m browser

benchmarks: install
	$(BIN)/python benchmarks/cpm.py
	$(BIN)/python benchmarks/ops.py
	$(BIN)/python benchmarks/risk.py

clean:
	rm -rf $(VENV) var build *.egg-info
