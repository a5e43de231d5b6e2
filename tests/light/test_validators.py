"""The >2/3 rule: each trusted validator once, nil votes checked but not counted."""

from __future__ import annotations

from finchain.light.validators import Quorum, Validator, validator_address


def _set(*powers: int) -> list[Validator]:
    keys = [bytes([i]) * 32 for i in range(len(powers))]
    return [
        Validator(validator_address(k), "ed25519", k, p) for k, p in zip(keys, powers, strict=True)
    ]


def _verify(scheme: str, key: bytes, message: bytes, signature: bytes) -> bool:
    return signature == b"ok:" + key[:1] + message


def test_more_than_two_thirds_counts():
    trusted = _set(10, 10, 10)
    quorum = Quorum(trusted, _verify)
    for v in trusted[:2]:
        assert quorum.signer(v.address) is v
        assert quorum.add(v, b"m", b"ok:" + v.public_key[:1] + b"m")
    assert (quorum.signed, quorum.total, quorum.counted) == (20, 30, 2)
    assert not quorum.reached  # exactly 2/3 is not enough
    v = trusted[2]
    assert quorum.signer(v.address) is v and quorum.add(v, b"m", b"ok:\x02m")
    assert quorum.reached and quorum.seen == {t.address for t in trusted}


def test_unknown_repeated_invalid_and_nil_votes():
    trusted = _set(10, 1)
    quorum = Quorum(trusted, _verify)
    assert quorum.signer(b"\x09" * 20) is None
    first = quorum.signer(trusted[0].address)
    assert first is not None and quorum.signer(trusted[0].address) is None  # once only
    assert not quorum.add(first, b"m", b"forged")
    assert quorum.signed == 0
    nil = quorum.signer(trusted[1].address)
    assert nil is not None and quorum.add(nil, b"nil", b"ok:\x01nil", counts=False)
    assert (quorum.signed, quorum.counted, len(quorum.seen)) == (0, 0, 2)


def test_address_and_json():
    v = _set(5)[0]
    assert len(v.address) == 20
    assert v.to_json() == {
        "address": v.address.hex(),
        "scheme": "ed25519",
        "public_key": v.public_key.hex(),
        "power": 5,
    }
