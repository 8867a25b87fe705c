# CareFlow developer commands. Everything runs from the root virtual
# environment that `make venv` builds from requirements/lock.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.synced

.PHONY: venv run demo test lint contracts contracts-check bench lock clean-var

venv: $(STAMP)

$(STAMP): requirements/lock.txt requirements/bootstrap.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/bootstrap.txt
	$(UV) pip sync --python $(BIN)/python requirements/lock.txt
	touch $(STAMP)

lock:
	$(UV) pip compile --python-version 3.11 --no-header requirements/dev.in -o requirements/lock.txt

run: venv
	$(BIN)/careflow-local run

# A scripted scenario against the suite `make run` started (in another terminal).
demo: venv
	$(BIN)/python -m careflow.shared.local.demo

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

contracts: venv
	$(BIN)/careflow-contracts generate contracts/schemas

contracts-check: venv
	$(BIN)/careflow-contracts check contracts/schemas

# Platform, case flow (intake -> workqueue) and notification benchmarks, one
# table each; each starts its own PostgreSQL and broker. BENCH_ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python -m careflow.bench $(BENCH_ARGS)
	$(BIN)/python benchmarks/case_flow.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/notifications.py $(BENCH_ARGS)

clean-var:
	rm -rf var
