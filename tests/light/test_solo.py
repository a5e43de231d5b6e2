"""Solo headers offline: the node's bytes and hash, the signature hook, the hash chain."""

from __future__ import annotations

import pytest

from finchain.codec import encode as node_encode
from finchain.crypto import generate_private_key, get_suite, verify_signature
from finchain.engines.solo.header import build_header, header_hash
from finchain.light import solo
from finchain.light.hashes import hash_function


def _chain(suite: str, scheme: str, length: int = 3):
    key = generate_private_key(scheme)
    public = key.public_key().data
    h = hash_function(get_suite(suite).hash_name)
    headers, previous = [], b""
    for height in range(1, length + 1):
        header = build_header(
            chain_id="solo-test",
            height=height,
            time_ns=1_750_000_000_000_000_000 + height,
            last_block_hash=previous,
            tx_root=bytes([height]) * 32,
            app_hash=bytes([height + 100]) * 32,
            proposer=public,
        )
        headers.append(header)
        previous = solo.header_hash(header, h)
    return key, public, h, headers


@pytest.mark.parametrize(("suite", "scheme"), [("gm", "sm2"), ("intl", "ed25519")])
def test_the_header_hash_and_signed_bytes_are_the_node_codec_ones(suite, scheme):
    _, _, h, headers = _chain(suite, scheme)
    for header in headers:
        assert solo.header_sign_bytes(header) == solo.HEADER_DOMAIN + node_encode(header)
        assert solo.header_hash(header, h) == get_suite(suite).hash(node_encode(header))
        assert solo.header_hash(header, h) == header_hash(header, suite)


@pytest.mark.parametrize(("suite", "scheme"), [("gm", "sm2"), ("intl", "ed25519")])
def test_the_validator_signature_is_checked_through_the_hook(suite, scheme):
    key, public, _, headers = _chain(suite, scheme, 1)
    header = headers[0]
    signature = key.sign(solo.header_sign_bytes(header))

    def check(header, signature=signature, public=public):
        return solo.verify_header(header, signature, scheme, public, verify=verify_signature)

    assert check(header)
    assert not check({**header, "app_hash": bytes(32)})
    assert not check({**header, "extra": 1})  # exactly the header's fields
    assert not check(header, public=generate_private_key(scheme).public_key().data)  # proposer
    assert not check({**header, "time_ns": 1.5})  # no canonical bytes: False, not an error
    calls = []

    def spy(*args):
        calls.append(args)
        return False

    assert not solo.verify_header(header, signature, scheme, public, verify=spy)
    assert calls == [(scheme, public, solo.header_sign_bytes(header), signature)]


def test_the_hash_chain():
    _, _, h, headers = _chain("intl", "ed25519", 4)
    assert solo.check_chain(headers, h) == ""
    assert solo.check_chain(headers[:1], h) == "" and solo.check_chain([], h) == ""
    altered = [headers[0], {**headers[1], "app_hash": bytes(32)}, *headers[2:]]
    assert "height 3 does not name the hash" in solo.check_chain(altered, h)
    assert "follows height 1" in solo.check_chain([headers[0], headers[2]], h)
    other = [headers[0], {**headers[1], "chain_id": "other"}]
    assert "of chain 'other'" in solo.check_chain(other, h)
    assert "malformed" in solo.check_chain([headers[0], {"height": 2}], h)
    assert solo.check_chain(headers, hash_function("sm3")) != ""  # another suite's hash
