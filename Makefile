# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
# The second run of the store's, the web's and the command line's tests; PostgreSQL is
# started by scripts/test-deps.sh.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
DEMO_ADDRESS ?= 127.0.0.1:8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	# bytecode now, as pip does for the libraries: a process that may not write it
	# (PYTHONDONTWRITEBYTECODE, a read-only checkout) would compile ktxh at every start
	$(BIN)/python -m compileall -q ktxh
	touch $(STAMP)

install: $(STAMP)

## Start the web workspace on the Lai Châu 2024 plan (the store: README, docs/store.md):
## create the store's tables, load the shipped package when the store is empty, make the
## demo accounts, print them, serve on 127.0.0.1:8000.
demo: $(STAMP)
	$(BIN)/ktxh demo --address $(DEMO_ADDRESS)

## Install everything the tests need, then run lint, type checks and the whole suite.
test: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/ruff check ktxh tests benchmarks scripts
	$(BIN)/ruff format --check ktxh tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest -n auto
	DATABASE_URL=$(PG_TEST_URL) KTXH_TEST_RUN=$$$$ $(BIN)/pytest -n auto -p no:cacheprovider \
		tests/store tests/web tests/test_cli.py tests/test_cli_import.py

lint: $(STAMP)
	$(BIN)/ruff check --fix ktxh tests benchmarks scripts
	$(BIN)/ruff format ktxh tests benchmarks scripts

## Regenerate requirements.lock after changing dependencies in pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
