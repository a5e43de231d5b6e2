# finchain_native (native/, Rust): ZIP 215 Ed25519 verification, SM2 verification and the
# canonical DAG-CBOR encoder.
#
#   make native   build the wheel with maturin (a pinned dev dependency in pyproject.toml) once per
#                 hash of native/'s sources into $(CACHE_DIR)/native/<hash>/, with cargo's target
#                 directory beside it (crates come from ~/.cargo), and install it into the venv.
#
# A no-op when the venv already holds the wheel of the current sources; a clone whose sources hash
# the same as one built before installs the cached wheel without compiling. This file must be
# included after the Makefile defines CACHE_DIR, VENV, BIN and STAMP.

ifndef STAMP
$(error mk/native.mk must be included after the Makefile defines STAMP)
endif

NATIVE_SOURCES := $(sort native/Cargo.toml native/Cargo.lock native/pyproject.toml \
	native/finchain_native.pyi $(wildcard native/src/*.rs))
NATIVE_HASH := $(shell cat $(NATIVE_SOURCES) | sha256sum | cut -c1-16)
NATIVE_WHEELS := $(CACHE_DIR)/native/$(NATIVE_HASH)
NATIVE_STAMP := $(VENV)/.native-$(NATIVE_HASH)

.PHONY: native

native: $(NATIVE_STAMP)

# Prerequisites are order-only: the hash in the path already says which sources a wheel is of,
# and a fresh clone's newer file times must not force a rebuild of a cached wheel.
$(NATIVE_WHEELS)/.built: | $(STAMP)
	@test -x $(BIN)/maturin || { echo "maturin is not in $(VENV): add it to the dev extra of pyproject.toml" >&2; exit 1; }
	rm -rf $(NATIVE_WHEELS)
	PATH="$(HOME)/.cargo/bin:$$PATH" CARGO_TARGET_DIR="$(CACHE_DIR)/native/target" \
		$(BIN)/maturin build --quiet --release --locked --manifest-path native/Cargo.toml \
		--interpreter $(BIN)/python --out $(NATIVE_WHEELS)
	touch $@

$(NATIVE_STAMP): | $(NATIVE_WHEELS)/.built
	$(BIN)/pip install --quiet --force-reinstall --no-deps $(NATIVE_WHEELS)/*.whl
	rm -f $(VENV)/.native-*
	touch $@
