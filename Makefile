# finchain — every install step lives here, so a clean clone needs only `make test` / `make run`.
# The virtualenv sits in the clone (.venv, git-ignored); pip's wheel cache (~/.cache/pip)
# keeps reinstalls fast. Slow builds (CometBFT, later) are cached under $(CACHE_DIR).

PYTHON ?= python3
VENV ?= .venv
CACHE_DIR ?= $(HOME)/.cache/finchain
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)
PYTEST_WORKERS ?= 2

.PHONY: install test lint bench bench-peers run clean system-deps docs

# install also builds the pinned CometBFT (cached outside the clone) and its Python ABCI types,
# and the native extension: Ed25519 and SM2 verification, canonical DAG-CBOR (mk/native.mk).
install: $(STAMP) native abci-gen

# finchain depends on finchain-native, which no package index serves: the wheel built from
# native/ is installed first, so pip finds that dependency already satisfied (mk/native.mk).
$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@$(MAKE) --no-print-directory native
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The SM2 interoperability tests drive Debian's openssl CLI; the indexer's tests start a
# throw-away cluster of Debian's PostgreSQL (initdb and pg_ctl in /usr/lib/postgresql/*/bin).
# The regulation walk-through (docs/regulation.md) reads ids from JSON with jq.
system-deps:
	@command -v openssl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq openssl; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql; }
	@command -v jq >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq jq; }

test: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	$(BIN)/python benchmarks/run.py

# finchain's solo node and anvil under one load and one client (benchmarks/bench_peers.py); not
# part of `make bench`, since it fetches anvil from the npm registry (mk/anvil.mk).
bench-peers: install anvil
	$(BIN)/python benchmarks/bench_peers.py --anvil $(ANVIL) $(BENCH_PEERS_ARGS)

run: install
	$(BIN)/finchain dev

docs: install
	$(BIN)/python scripts/gen_errors_doc.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

# Parts with their own rules (the CometBFT build) live in mk/.
-include mk/*.mk
