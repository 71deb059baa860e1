# Two entry points for a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# HOST and PORT: `make run PORT=9000`; the token issuer follows unless SCORELINK_ISSUER is set.
.PHONY: lock run test lint typecheck layers pytest bench clean schema chromium redis wrk fuzz soak mutate mutate-fresh \
	binning-crosscheck node-clients image-check

# Exact versions, with hashes, from the lock files (`make lock` rewrites them from pyproject.toml);
# the marker files re-install only when a lock file or pyproject.toml changes.
$(BIN)/.installed-run: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(BIN)/.installed-run $@

LOCK_OPTIONS = --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url \
	--no-emit-find-links
lock: $(BIN)/.installed-dev
	$(BIN)/pip-compile $(LOCK_OPTIONS) -o requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra dev -o requirements-dev.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) -o requirements-optbinning.lock requirements-optbinning.in

run: $(BIN)/.installed-run
	$(BIN)/scorelink migrate
	$(BIN)/scorelink sandbox seed
	@echo "The person's app: http://$(HOST):$(PORT)/app/ (test personas sign in with the code 246810)"
	$(BIN)/scorelink serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed-dev
	$(BIN)/mypy

layers: $(BIN)/.installed-dev
	$(BIN)/lint-imports

# The WoE binning against optbinning (scoring_engine/binning.py says why not in `make test`):
# installs optbinning and its solvers into the virtualenv, pinned beside the dev lock, and runs
# the slow test that `make test` skips without it.
binning-crosscheck: $(BIN)/.installed-dev
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-optbinning.lock
	$(BIN)/pytest -m slow tests/scoring_engine/test_binning_vs_optbinning.py

# The browser test drives Debian's chromium; this installs it when missing (and does nothing else).
chromium:
	scripts/ensure-chromium

# The shared rate-limit tests start Debian's redis-server; this installs it when missing.
redis:
	scripts/ensure-redis

# Builds the Dockerfile without a Docker daemon or Docker Hub (buildah, a debootstrap stand-in for
# the base image) and checks the image refuses without a secret and answers /readyz with one.
image-check:
	scripts/image-check

# README's JavaScript and TypeScript snippets run against clients/js's locked npm packages.
node-clients:
	scripts/ensure-node-clients

# The HTTP benchmark's load generator is Debian's wrk; this installs it when missing.
wrk:
	scripts/ensure-wrk

pytest: $(BIN)/.installed-dev chromium redis node-clients
	$(BIN)/pytest

test: lint typecheck layers pytest

# Regenerate the committed SDL after a schema change; refuses breaking changes unless
# `$(BIN)/python -m schema.contract write --allow-breaking`.
schema: $(BIN)/.installed-dev
	$(BIN)/python -m schema.contract write

bench: $(BIN)/.installed-dev wrk
	$(BIN)/python -m bench

# The long reliability runs (make test runs the short versions); each ends with PASS or FAIL.
# `make fuzz` also runs the consent property (tests/consent/test_consent_property.py) at
# CONSENT_EXAMPLES per database (200 in make test).
FUZZ_EXAMPLES ?= 200
CONSENT_EXAMPLES ?= 10000
fuzz: $(BIN)/.installed-dev
	@SCORELINK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SCORELINK_CONSENT_EXAMPLES=$(CONSENT_EXAMPLES) \
		$(BIN)/pytest tests/reliability/test_fuzz_graphql.py tests/consent/test_consent_property.py \
		&& echo "fuzz: PASS ($(FUZZ_EXAMPLES) examples per field and caller, $(CONSENT_EXAMPLES) consent histories per database)" \
		|| { echo "fuzz: FAIL"; exit 1; }

soak: $(BIN)/.installed-dev
	@SCORELINK_SOAK_SECONDS=60 SCORELINK_CRASH_ROUNDS=5 SCORELINK_CRASH_SECONDS=6 \
		SCORELINK_OUTAGE_SECONDS=15 $(BIN)/pytest -s \
		tests/reliability/test_load.py tests/reliability/test_crash_recovery.py \
		tests/reliability/test_database_outage.py tests/reliability/test_graceful_shutdown.py \
		&& echo "soak: PASS (60 s steady load x2 backends, 5 crash rounds, 15 s outage)" \
		|| { echo "soak: FAIL"; exit 1; }

# Mutation testing of consent/, domain/partner_reads.py and the access log's transparency code
# against the in-process consent tests on SQLite (mutants mypy --strict rejects count as caught),
# then the mutants only PostgreSQL races observe against the PostgreSQL race tests; ends with the
# kill rate per module and PASS or FAIL against 95 % (TESTING.md). Resumes: verdicts of unchanged
# functions are kept (scripts/mutation-resume), so an interrupted run continues where it stopped
# and a run after a change tests only what changed; `make mutate-fresh` starts from zero (about
# 2 hours on 2 loaded cores).
mutate: $(BIN)/.installed-dev
	$(BIN)/python scripts/mutation-resume
	SCORELINK_CONSENT_EXAMPLES=30 $(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation-postgres
	$(BIN)/python scripts/mutation-report

mutate-fresh:
	rm -rf mutants
	$(MAKE) mutate

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis mutants
