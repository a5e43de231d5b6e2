# CometBFT, the BFT engine of multi-node networks (docs/cometbft.md).
#
#   make cometbft   go install the pinned CometBFT into $(CACHE_DIR)/cometbft-<version>/bin,
#                   with the Go module and build caches also under $(CACHE_DIR): every clone
#                   shares them, and a new pin gets a new directory (so it is rebuilt).
#   make abci-gen   generate the Python ABCI types from that version's .proto files (read from
#                   the Go module cache) into build/abci_gen (git-ignored).
#
# Both are no-ops when up to date. The pin is spelled once, in toolchain.py. This file must be
# included after the Makefile defines CACHE_DIR, BIN and STAMP (the venv), which the generator
# and the build script run in.

ifndef STAMP
$(error mk/cometbft.mk must be included after the Makefile defines STAMP)
endif

COMETBFT_TOOLCHAIN := src/finchain/engines/cometbft/toolchain.py
COMETBFT_VERSION := $(shell sed -n 's/^COMETBFT_VERSION = "\(.*\)"$$/\1/p' $(COMETBFT_TOOLCHAIN))
COMETBFT_BIN := $(CACHE_DIR)/cometbft-$(COMETBFT_VERSION)/bin/cometbft
ABCI_GEN := build/abci_gen
ABCI_GEN_STAMP := $(ABCI_GEN)/cometbft-$(COMETBFT_VERSION).stamp

# The Python side (tests, testnet, run) finds the binary through the same cache directory.
export FINCHAIN_CACHE_DIR := $(CACHE_DIR)

.PHONY: cometbft abci-gen

cometbft: $(COMETBFT_BIN)

abci-gen: $(ABCI_GEN_STAMP)

$(COMETBFT_BIN): | $(STAMP) native
	$(BIN)/python -m finchain.engines.cometbft.build

$(ABCI_GEN_STAMP): $(COMETBFT_BIN) $(STAMP) src/finchain/engines/cometbft/protogen.py | native
	$(BIN)/python -m finchain.engines.cometbft.protogen --out $(ABCI_GEN)
