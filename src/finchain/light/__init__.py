"""finchain's offline verification: proofs, headers and commits, with the standard library only.

Everything a third party needs to check finchain's data with no node, no
database and no compiled code, and the one implementation the node, the SDK,
the receipts and the anchoring tools share (the store makes the proofs these
check; the engines build the headers these hash):

=========================  ===============================================================
module                     what it checks
=========================  ===============================================================
``light.hashes``           ``sm3`` / ``sha256`` by name (``hashlib``)
``light.rfc6962``          RFC 6962 Merkle trees: tx roots, tx proofs, evidence batch paths
``light.state``            state proofs (membership, absence) against an app hash
``light.cbor``             canonical DAG-CBOR, read strictly and written
``light.validators``       validator sets, addresses, the >2/3 rule, the signature hook
``light.solo``             solo block headers: hash, hash chain, the validator's signature
``light.cometbft``         CometBFT headers and commits: hashes, vote bytes, >2/3 of a set
=========================  ===============================================================

Formats: ``docs/state-proofs.md`` (state and tx proofs) and ``docs/receipts.md``
(headers and commits as a receipt carries them).

**Signatures are a parameter.** Ed25519 and SM2 are not in the standard
library, so a check that needs a signature takes the verifier as an argument,
``verify(scheme, public_key, message, signature) -> bool``
(:data:`finchain.light.validators.SignatureVerifier`): pass
``finchain.crypto.verify_signature``, or any implementation you trust.

This package imports nothing from finchain outside itself and nothing outside
the standard library (``tests/light/test_stdlib_only.py``), and it is the lowest
layer of the import contract in ``pyproject.toml``: copy the folder and it runs.
"""
