"""The verifier's pure parts (``finchain.light``, the receipts' signature hook) agree with
the node's own code they stand in for."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finchain.codec import encode as node_encode
from finchain.crypto import generate_private_key
from finchain.light import cbor
from finchain.offchain.receipts import dumps
from finchain.offchain.receipts.primitives import hash_function, verify_signature
from tests.receipts.chains import solo_receipt

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=20)
    | st.binary(max_size=70)
    | st.binary(min_size=30, max_size=70).map(lambda b: b"\x01" + b),  # often CID-like
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_cbor_encodes_as_the_node_does_and_reads_it_back(value):
    data = node_encode(value)
    assert cbor.encode(value) == data
    assert cbor.decode(data, max_size=1 << 20) == value


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_cbor_decode_raises_only_cbor_errors(data):
    with contextlib.suppress(cbor.CborError):
        cbor.decode(data, max_size=1 << 20)


_CIDV1 = b"\x01\x71\x12\x20" + bytes(32)


def test_cbor_writes_cid_like_bytes_as_plain_byte_strings():
    assert cbor.encode(_CIDV1) == b"\x58\x24" + _CIDV1 == node_encode(_CIDV1)


@pytest.mark.parametrize(
    "data",
    [
        b"\xa1\x61b\x01\x61a\x02",
        b"\x18\x05",
        b"\x9f\xff",
        b"\xfb" + bytes(8),
        b"\xc1\x00",
        b"\xd8\x2a\x58\x25\x00" + _CIDV1,  # the tag-42 link libipld used to write for it
        b"\xa1\x63sig\xd8\x2a\x58\x25\x00" + _CIDV1,
    ],
)
def test_cbor_refuses_non_canonical_forms(data):
    with pytest.raises(cbor.CborError):
        cbor.decode(data, max_size=100)


@pytest.mark.parametrize("scheme", ["ed25519", "sm2"])
def test_signatures_verify_as_finchain_crypto_signs_them(scheme):
    key = generate_private_key(scheme)
    message = os.urandom(100)
    signature = key.sign(message)
    public = key.public_key().data
    assert verify_signature(scheme, public, message, signature)
    assert not verify_signature(scheme, public, message + b"x", signature)
    altered = signature[:-1] + bytes([signature[-1] ^ 0x01])  # any last byte, even 0x00, changes
    assert not verify_signature(scheme, public, message, altered)
    assert not verify_signature("secp256k1", public, message, signature)


def test_hashes():
    assert hash_function("sha256")(b"abc") == hashlib.sha256(b"abc").digest()
    assert hash_function("sm3")(b"abc").hex().startswith("66c7f0f4")


def test_the_verifier_loads_no_node_store_codec_or_crypto():
    """Load the verifier by file in a fresh interpreter, verify, and list what got imported."""
    src = Path(__file__).resolve().parents[2] / "src"
    script = textwrap.dedent(
        f"""
        import importlib.util, sys
        sys.path.insert(0, {str(src)!r})
        spec = importlib.util.spec_from_file_location(
            "receipt_verify", {str(src / "finchain/client/receipt_verify.py")!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["receipt_verify"] = module
        spec.loader.exec_module(module)
        receipt, trust = sys.stdin.buffer.read().split(b"\\n\\n", 1)
        import json
        assert module.verify_receipt(receipt + b"\\n", json.loads(trust)).ok
        print(" ".join(sorted(sys.modules)))
        """
    )
    built = solo_receipt()
    stdin = dumps(built.receipt) + b"\n" + json.dumps(built.trust).encode()
    run = subprocess.run(
        [sys.executable, "-c", script], input=stdin, capture_output=True, check=False
    )
    assert run.returncode == 0, run.stderr.decode()
    loaded = run.stdout.decode().split()
    forbidden = ("finchain.store", "finchain.node", "finchain.codec", "finchain.crypto",
                 "finchain.app", "finchain.engines", "rocksdict", "libipld", "finchain_native",
                 "httpx")  # fmt: skip
    assert [m for m in loaded if m.startswith(forbidden)] == []
    assert "nacl.bindings" in loaded and "finchain.light.cbor" in loaded
