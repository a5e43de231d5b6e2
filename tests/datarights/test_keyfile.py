"""The owner's data-key file (``finchain.offchain.datarights.keyfile``): round trip, checks
against the chain, fuzz.

A malformed or foreign key file must end in a ``DataKeyError`` naming the file (the CLI
prints it as one line, exit 2), never another exception, and a key file that does not
hold the chain's current version must not be used to wrap a key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.crypto import EncryptionKey, generate_private_key
from finchain.offchain.datarights import encrypt_payload
from finchain.offchain.datarights.keyfile import (
    FORMAT,
    DataKeyError,
    KeyFile,
    current_key,
    seal_for_owner,
)

OWNER = "did:finchain:test-chain:000000000195"


def record_of(payloads: list[Any]) -> dict[str, Any]:
    """What ``datarights/asset`` answers for an asset whose versions are ``payloads``."""
    return {
        "id": 7,
        "version_list": [
            {"number": n, "hash": p.content_hash.hex(), "key_id": p.key_id.hex()}
            for n, p in enumerate(payloads, start=1)
        ],
    }


def test_round_trip_and_current_version(tmp_path: Path) -> None:
    own = EncryptionKey(generate_private_key("sm2"))
    v1 = encrypt_payload(b"one", "gm", chain_id="test-chain", owner=OWNER, version=1)
    v2 = encrypt_payload(b"two", "gm", chain_id="test-chain", owner=OWNER, version=2)
    path = tmp_path / "d.fckey"
    keys = KeyFile(
        "test-chain", OWNER, 7, (seal_for_owner(own, 1, v1.content_hash, "a" * 64, v1.data_key),)
    )
    keys.write(path)
    assert path.stat().st_mode & 0o077 == 0
    assert KeyFile.read(path) == keys
    entry, key = current_key(path, keys, own, record_of([v1]), "gm")
    assert (entry.version, key) == (1, v1.data_key)

    with pytest.raises(DataKeyError, match="version 2"):  # the chain moved on: stale file
        current_key(path, keys, own, record_of([v1, v2]), "gm")
    rotated = keys.with_version(seal_for_owner(own, 2, v2.content_hash, "b" * 64, v2.data_key))
    assert current_key(path, rotated, own, record_of([v1, v2]), "gm")[1] == v2.data_key
    assert rotated.without_version(2) == keys

    stranger = EncryptionKey(generate_private_key("sm2"))
    with pytest.raises(DataKeyError, match="--owner-key"):
        current_key(path, keys, stranger, record_of([v1]), "gm")
    with pytest.raises(DataKeyError, match="never reached the chain"):
        current_key(path, KeyFile("test-chain", OWNER, None, keys.versions), own, {}, "gm")
    with pytest.raises(DataKeyError, match="keys of chain 'test-chain', the node is 'other'"):
        keys.check_chain("other", path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
versions = st.lists(
    st.fixed_dictionaries(
        {
            "version": json_values,
            "hash": json_values,
            "address": json_values,
            "sealed_key": json_values,
        }
    ),
    max_size=2,
)


@settings(
    max_examples=200,
    deadline=None,  # each example writes a file: a loaded machine must not fail it
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    document=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "format": st.just(FORMAT),
                "chain_id": json_values,
                "owner": json_values,
                "asset": json_values,
                "tx_id": json_values,
                "versions": versions,
            }
        ),
    )
)
def test_malformed_key_files_are_refused_cleanly(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "fuzz.fckey"
    path.write_text(json.dumps(document))
    try:
        KeyFile.read(path)
    except DataKeyError as exc:
        assert str(path) in str(exc)


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(DataKeyError, match="cannot read"):
        KeyFile.read(tmp_path / "missing.fckey")
    garbage = tmp_path / "garbage.fckey"
    garbage.write_bytes(b"\xff\xfe not json")
    with pytest.raises(DataKeyError, match="not a finchain data key file"):
        KeyFile.read(garbage)
