# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## Run ktxh on its embedded default (the Lai Châu 2024 dataset).
demo: $(STAMP)
	$(BIN)/ktxh forms

## Install everything the tests need, then run lint, type checks and the whole suite.
test: $(STAMP)
	bash scripts/test-deps.sh
	$(BIN)/ruff check ktxh tests benchmarks scripts
	$(BIN)/ruff format --check ktxh tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check --fix ktxh tests benchmarks scripts
	$(BIN)/ruff format ktxh tests benchmarks scripts

## Regenerate requirements.lock after changing dependencies in pyproject.toml.
lock:
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
