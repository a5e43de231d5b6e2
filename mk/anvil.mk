# anvil, Foundry's local Ethereum node: the peer `make bench-peers` measures finchain's solo node
# against (benchmarks/bench_peers.py, docs/BENCHMARKS.md).
#
#   make anvil   fetch the pinned anvil from the npm registry (@foundry-rs/anvil-linux-amd64, a
#                package holding the prebuilt binary) with `npm pack` into
#                $(CACHE_DIR)/anvil-<version>/, outside the clone: every clone shares it, and a
#                new pin gets a new directory. The binary must answer `--version` with the pin.
#
# A no-op when the binary is there. Nothing else of the project needs anvil (nor npm).
# This file must be included after the Makefile defines CACHE_DIR.

ifndef CACHE_DIR
$(error mk/anvil.mk must be included after the Makefile defines CACHE_DIR)
endif

ANVIL_VERSION := 1.7.1
ANVIL_PACKAGE := @foundry-rs/anvil-linux-amd64
ANVIL_DIR := $(CACHE_DIR)/anvil-$(ANVIL_VERSION)
ANVIL := $(ANVIL_DIR)/bin/anvil

.PHONY: anvil

anvil: $(ANVIL)

# Unpacked in a scratch directory and moved into place last, so an interrupted fetch leaves
# no half-written binary that the next run would take for the real one.
$(ANVIL):
	@command -v npm >/dev/null 2>&1 || { echo "make anvil needs npm (Debian: apt-get install npm)" >&2; exit 1; }
	rm -rf $(ANVIL_DIR).tmp
	mkdir -p $(ANVIL_DIR).tmp
	cd $(ANVIL_DIR).tmp && npm pack --silent $(ANVIL_PACKAGE)@$(ANVIL_VERSION) >/dev/null
	tar -xzf $(ANVIL_DIR).tmp/*.tgz -C $(ANVIL_DIR).tmp
	$(ANVIL_DIR).tmp/package/bin/anvil --version | grep -q '^anvil Version: $(ANVIL_VERSION)$$' || \
		{ echo "$(ANVIL_PACKAGE)@$(ANVIL_VERSION) did not unpack a working anvil $(ANVIL_VERSION)" >&2; exit 1; }
	rm -rf $(ANVIL_DIR)
	mv $(ANVIL_DIR).tmp/package $(ANVIL_DIR)
	rm -rf $(ANVIL_DIR).tmp
