# Two entry points for a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck layers pytest bench clean schema chromium

# The marker files re-install only when pyproject.toml changes.
$(BIN)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(BIN)/.installed-run $@

run: $(BIN)/.installed-run
	$(BIN)/scorelink migrate
	$(BIN)/scorelink sandbox seed
	$(BIN)/scorelink serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed-dev
	$(BIN)/mypy

layers: $(BIN)/.installed-dev
	$(BIN)/lint-imports

# The browser test drives Debian's chromium; this installs it when missing (and does nothing else).
chromium:
	scripts/ensure-chromium

pytest: $(BIN)/.installed-dev chromium
	$(BIN)/pytest

test: lint typecheck layers pytest

# Regenerate the committed SDL after a schema change; refuses breaking changes unless
# `$(BIN)/python -m schema.contract write --allow-breaking`.
schema: $(BIN)/.installed-dev
	$(BIN)/python -m schema.contract write

bench: $(BIN)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
