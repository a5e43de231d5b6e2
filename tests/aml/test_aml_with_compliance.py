"""The aml module under the compliance engine: the built-in rules against real lists and
travel records, through real blocks.

Needs the compliance module (issue 14's other half) wired with ``sanctions=self.aml``
in ``finchain.chain``; skipped on a branch without it.

Steps: the sanctions, travel-rule and large-value templates are installed; the
regulator seals list 1 naming account 3; a payment to 3 is refused before execution
and its result names the rule set and list 1; a ¥999.99 payment passes without a
travel record, ¥1,000.00 is refused without one and passes with one; a record covers
only the message it names; an empty list 2 lifts the designation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finchain.client import aml_builders as amlb
from finchain.client import builders as b
from finchain.crypto import generate_private_key
from finchain.modules.aml.types import list_hash
from finchain.modules.compliance import builtins
from tests.modules.test_governance import A
from tests.modules.test_identity import Registry, method

errors = pytest.importorskip("finchain.modules.compliance.errors")
compliance_world = pytest.importorskip("tests.modules.compliance_world")
ErrDenied = errors.ErrDenied
REGULATOR = compliance_world.REGULATOR


def test_sanctions_hit_refused_with_the_list_version_and_the_travel_rule(tmp_path: Path) -> None:
    world = compliance_world.make_world(tmp_path)
    reg = Registry(world.chain)
    bank_a = reg.create(1, method("k", generate_private_key("ed25519")))
    bank_b = reg.create(2, method("k", generate_private_key("ed25519")))
    version = world.install(builtins.sanctions(), builtins.travel_rule(), *builtins.large_value())
    world.ok(REGULATOR, amlb.list_add(1, [A[3]]))
    world.ok(REGULATOR, amlb.list_seal(1, 1, list_hash("sha256", [A[3]])))
    refused = world.refused(ErrDenied, 1, b.transfer((A[3], "CNY", 1)))
    assert refused.info == f"ruleset={version};sanctions=1", refused.info
    assert "sanctions" in refused.log
    ok = world.ok(1, b.transfer((A[2], "CNY", 99_999)))
    assert ok.info == f"ruleset={version};sanctions=1"
    world.refused(ErrDenied, 1, b.transfer((A[2], "CNY", 100_000)))
    record = amlb.travel_record([0], bytes(32), bank_a, bank_b)
    world.ok(1, b.transfer((A[2], "CNY", 100_000)), record)
    # the record covers message 0 only: a second transfer in the tx is still refused
    world.refused(
        ErrDenied,
        1,
        b.transfer((A[2], "CNY", 100_000)),
        b.transfer((A[2], "CNY", 100_000)),
        amlb.travel_record([0], bytes([1]) * 32, bank_a, bank_b),
    )
    # lifting: an empty version
    world.ok(REGULATOR, amlb.list_seal(2, 0, list_hash("sha256", [])))
    assert world.ok(1, b.transfer((A[3], "CNY", 1))).info == f"ruleset={version};sanctions=2"
