# The two commands of the README: `make run` starts the bot, `make test` runs the tests.
# Both set up .venv from pyproject.toml first when it is missing or out of date.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/request-bridge serve

test: $(STAMP) lint
	$(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check bot handlers request_bridge sandbox tests bench
	$(VENV)/bin/mypy bot handlers request_bridge sandbox

bench: $(STAMP)
	$(VENV)/bin/python -m bench.throughput
	$(VENV)/bin/python -m bench.store
	$(VENV)/bin/python -m bench.freshness

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
