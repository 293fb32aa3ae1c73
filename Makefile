# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CODE := $(wildcard secbaseline baseline components stacks policies provider tests)

.PHONY: demo test install lint typecheck pytest clean docs bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,drill]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/secbaseline plan --tier beginner
	$(BIN)/secbaseline drill ec2-isolation

lint: install
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/actionlint
	$(BIN)/zizmor --offline --quiet .github/workflows

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=20

test: lint typecheck pytest

# Offline synthesis CPU and peak memory per tier and role against Pulumi's floor (docs/performance.md).
bench: install
	$(BIN)/python -m secbaseline.baseline.bench --repeat 3

docs: install
	$(BIN)/python -m secbaseline.baseline.exports
	$(BIN)/python -m secbaseline.baseline.catalog
	$(BIN)/python -m secbaseline.baseline.docs
	$(BIN)/python -m secbaseline.baseline.cost
	$(BIN)/python -m secbaseline.baseline.diagram

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
