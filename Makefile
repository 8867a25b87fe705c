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

# lock.txt: the root environment (every member, the development tools, test and
# lint tools). runtime.txt: what a service image installs, pinned to the same
# versions (the lock's editable lines are no valid constraints, hence the sed).
lock:
	$(UV) pip compile --python-version 3.11 --no-header requirements/dev.in -o requirements/lock.txt
	$(UV) pip compile --python-version 3.11 --no-header --no-annotate \
	  --constraint <(sed -e '/^-e[[:space:]]/d' requirements/lock.txt) \
	  requirements/runtime.in -o requirements/runtime.txt

run: venv
	$(BIN)/careflow-local run

# A scripted scenario against the suite `make run` started (in another terminal).
demo: venv
	$(BIN)/python -m careflow.local.demo

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

# Platform, case flow (intake -> workqueue), notification, case-message and chat
# benchmarks, one table each; each starts its own PostgreSQL and broker. BENCH_ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python -m careflow.bench $(BENCH_ARGS)
	$(BIN)/python benchmarks/case_flow.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/notifications.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/messaging.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/chat.py $(BENCH_ARGS)

clean-var:
	rm -rf var
