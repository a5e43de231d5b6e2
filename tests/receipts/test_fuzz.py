"""Any altered byte of a receipt fails verification (or parsing); nothing ever crashes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.client.receipt_verify import verify_receipt
from finchain.offchain.receipts import dumps
from tests.receipts.chains import comet_receipt, solo_receipt

BUILT = {
    "solo-batched": solo_receipt(leaves=20),
    "comet-batched": comet_receipt(leaves=20),
    "comet-gm": comet_receipt(suite="gm"),
}


@pytest.mark.parametrize("name", BUILT)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_flipping_any_byte_never_verifies(name, data):
    built = BUILT[name]
    original = dumps(built.receipt)
    position = data.draw(st.integers(0, len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda v: v != original[position]))
    altered = original[:position] + bytes([value]) + original[position + 1 :]
    result = verify_receipt(altered, built.trust, file=built.document)
    assert not result.ok, f"byte {position} set to {value:#04x} still verifies"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_fail_without_crashing(data):
    result = verify_receipt(data, BUILT["solo-batched"].trust)
    assert not result.ok and result.failure is not None and result.failure.name == "receipt"


def test_every_field_of_a_flipped_receipt_is_covered():
    """Deterministic sweep: every byte position of one receipt, flipped one way."""
    built = BUILT["comet-batched"]
    original = dumps(built.receipt)
    for position in range(0, len(original)):
        altered = bytearray(original)
        altered[position] ^= 0x01
        assert not verify_receipt(bytes(altered), built.trust, file=built.document).ok, position
