# CareFlow developer commands. Everything runs from the root virtual
# environment that `make venv` builds from requirements/lock.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.synced

.PHONY: venv run demo test lint contracts contracts-check bench chaos lock clean-var compose-secrets prometheus

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

test: venv prometheus
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# prometheus and promtool, for the dashboard and alert-rule tests (installs Debian's
# package where they are missing; fails, never skips, where it cannot).
prometheus:
	tools/scripts/ensure-prometheus.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

contracts: venv
	$(BIN)/careflow-contracts generate contracts/schemas

contracts-check: venv
	$(BIN)/careflow-contracts check contracts/schemas

# Platform, case flow (intake -> workqueue), notification, case-message, chat, complaints,
# gateway and reminders benchmarks, one table each; each starts its own PostgreSQL and
# broker. BENCH_ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python -m careflow.bench $(BENCH_ARGS)
	$(BIN)/python benchmarks/case_flow.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/notifications.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/messaging.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/chat.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/complaints.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/gateway.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/reminders.py $(BENCH_ARGS)

# The suite on free ports under load while each service is SIGKILLed and restarted, the
# broker and PostgreSQL restarted; prints lost and doubled effects against their targets.
# CHAOS_ARGS=--short for the form `make test` runs (tests/chaos).
chaos: venv
	$(BIN)/python -m careflow.local.chaos $(CHAOS_ARGS)

# The files docker-compose.yml mounts as secrets (deploy/docker/secrets/, never
# committed): generated passwords, database URLs and keys. Existing files are kept.
compose-secrets: venv
	$(BIN)/python deploy/docker/compose_secrets.py

clean-var:
	rm -rf var
