"""The one door to ``finchain_native``, finchain's Rust extension (``native/`` in the source tree).

The extension verifies Ed25519 (ZIP 215, single and batch) and SM2 signatures,
writes canonical DAG-CBOR, and serves the node's HTTP front end (``Front``);
``finchain.crypto``, ``finchain.codec`` and ``finchain.node.front`` import it
through this module only, so that a missing build fails in one place
with one message saying how to build it, instead of a bare
``ModuleNotFoundError`` from deep inside the codec.

It is a declared dependency of finchain (``finchain-native`` in
``pyproject.toml``), but no package index serves it: ``make install`` builds the
wheel (mk/native.mk) and installs it before finchain itself, and anyone else
builds it from ``native/`` with a Rust toolchain.
"""

from __future__ import annotations

BUILD_HINT = (
    "finchain_native, finchain's Rust extension (Ed25519 and SM2 verification, canonical "
    "DAG-CBOR, the HTTP front end), cannot be imported in this Python ({reason}). Build and "
    "install it from a finchain source tree: `make native` (builds the wheel with maturin and "
    "installs it into the project's .venv), or `pip install ./native` into your own "
    "environment (needs a Rust toolchain, rustc 1.87 or newer, e.g. from https://rustup.rs)."
)

try:
    import finchain_native as _extension
except ImportError as exc:
    raise ImportError(BUILD_HINT.format(reason=exc), name="finchain_native") from exc

FloatError = _extension.FloatError
Front = _extension.Front
MAX_DEPTH = _extension.MAX_DEPTH
encode_dag_cbor = _extension.encode_dag_cbor
verify = _extension.verify
verify_batch = _extension.verify_batch
sm2_verify_digest = _extension.sm2_verify_digest
sm2_verify_digest_batch = _extension.sm2_verify_digest_batch

__all__ = [
    "BUILD_HINT",
    "MAX_DEPTH",
    "FloatError",
    "Front",
    "encode_dag_cbor",
    "sm2_verify_digest",
    "sm2_verify_digest_batch",
    "verify",
    "verify_batch",
]
