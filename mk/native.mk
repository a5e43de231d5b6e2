# finchain_native (native/, Rust): ZIP 215 Ed25519 verification, SM2 verification, the
# canonical DAG-CBOR encoder and the node's HTTP front end (Front).
#
#   make native   build the wheel with maturin (the version pinned in pyproject.toml's dev extra)
#                 once per hash of native/'s sources into $(CACHE_DIR)/native/<hash>/, with cargo's
#                 target directory beside it (crates come from ~/.cargo), and install it into the
#                 venv (creating the venv if need be).
#
# A no-op when the venv already holds the wheel of the current sources; a clone whose sources hash
# the same as one built before installs the cached wheel without compiling. finchain declares
# finchain-native as a dependency and no index serves it, so the Makefile's $(STAMP) runs this
# before `pip install -e '.[dev]'`: pip then finds the dependency satisfied and never looks it up.
# This file must be included after the Makefile defines CACHE_DIR, PYTHON, VENV, BIN and STAMP.

ifndef STAMP
$(error mk/native.mk must be included after the Makefile defines STAMP)
endif

NATIVE_SOURCES := $(sort native/Cargo.toml native/Cargo.lock native/pyproject.toml \
	native/finchain_native.pyi $(wildcard native/src/*.rs))
NATIVE_HASH := $(shell cat $(NATIVE_SOURCES) | sha256sum | cut -c1-16)
NATIVE_WHEELS := $(CACHE_DIR)/native/$(NATIVE_HASH)
NATIVE_STAMP := $(VENV)/.native-$(NATIVE_HASH)
MATURIN_PIN := $(shell grep -o '"maturin==[^"]*"' pyproject.toml)

.PHONY: native

native: $(NATIVE_STAMP)

# No prerequisites: the hash in the path already says which sources a wheel is of, and a fresh
# clone's newer file times must not force a rebuild of a cached wheel.
$(NATIVE_WHEELS)/.built:
	@test -n '$(MATURIN_PIN)' || { echo "pyproject.toml's dev extra must pin maturin (\"maturin==X.Y.Z\")" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/maturin || $(BIN)/pip install --quiet $(MATURIN_PIN)
	rm -rf $(NATIVE_WHEELS)
	PATH="$(HOME)/.cargo/bin:$$PATH" CARGO_TARGET_DIR="$(CACHE_DIR)/native/target" \
		$(BIN)/maturin build --quiet --release --locked --manifest-path native/Cargo.toml \
		--interpreter $(BIN)/python --out $(NATIVE_WHEELS)
	touch $@

$(NATIVE_STAMP): | $(NATIVE_WHEELS)/.built
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(NATIVE_WHEELS)/*.whl
	rm -f $(VENV)/.native-*
	touch $@
