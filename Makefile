# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
# `make up` ports (or the same variables in the environment): Prefect UI/API, the
# verification page, the simulator.
PORT     ?= 4200
WEB_PORT ?= 8000
SIM_PORT ?= 8765
# `make test` runs the suite on this many pytest-xdist workers (most of a test's time is
# spent waiting on servers and subprocesses, so two workers suit a 2-core machine).
TEST_WORKERS ?= 2
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo up test lint typecheck bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/diklat demo

up: setup
	$(BIN)/diklat up --port $(PORT) --web-port $(WEB_PORT) --sim-port $(SIM_PORT)

test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 1

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench sync
	$(BIN)/python -m bench letters
	$(BIN)/python -m bench register
	$(BIN)/python -m bench training
	$(BIN)/python -m bench issuing

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
