"""Multi-factor control: named operations need keys of several distinct factors.

Every scenario runs through real blocks (check_tx for admission, finalize and
commit for execution): the ante chain enforces the account's rules, so a
client that skips them gains nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finchain.app import ChainParams
from finchain.client import builders as b
from finchain.client.builders import Signer
from finchain.codec import RawMsg, decode, encode
from finchain.core.errors import ErrInsufficientWeight, ErrInvalidMsg
from finchain.core.msgs import CLOSE, KEY_CHANGE, TRANSFER, Operation, tx_operations
from finchain.crypto import PrivateKey, generate_private_key
from finchain.errors import ErrorCode, FinchainError, lookup
from finchain.modules.accounts.errors import (
    ErrInvalidPolicy,
    ErrKeyNotFound,
    ErrMfaRequired,
    ErrWouldLock,
)
from finchain.modules.accounts.messages import (
    MsgAddKey,
    MsgCancelReset,
    MsgCloseAccount,
    MsgCreateAccount,
    MsgSetFactor,
    MsgSetMfa,
)
from finchain.modules.accounts.mfa import MfaRule
from finchain.modules.accounts.types import AccountKey, KeyPolicy, account_id
from finchain.modules.bank.messages import MsgBurn, MsgTransfer, Output
from tests.harness import CHAIN_ID, Chain

A1, A2, A3 = account_id(1), account_id(2), account_id(3)
LOCK = 3
MFA_REQUIRED = ErrMfaRequired
INVALID_POLICY = ErrInvalidPolicy
WOULD_LOCK = ErrWouldLock
FUNDS = 10_000
LIMIT = 1_000
TWO_FACTOR_TRANSFERS = b.mfa_transfer("CNY", above=LIMIT)


@pytest.fixture
def chain(tmp_path):
    return Chain(tmp_path / "db", recovery={3: 1}, params=ChainParams(reset_lock_blocks=LOCK))


@dataclass
class Holder:
    """An account opened on the chain, with the private keys of its policy by key id."""

    chain: Chain
    account: str
    keys: dict[str, PrivateKey]

    def signer(self, *key_ids: str) -> Signer:
        nonce = self.chain.app.accounts.nonce(self.chain.app.state, self.account)
        return Signer(CHAIN_ID, self.account, [(k, self.keys[k]) for k in key_ids], nonce)

    def nonce(self) -> int:
        return self.chain.app.accounts.nonce(self.chain.app.state, self.account)

    def record(self) -> dict[str, Any]:
        value = self.chain.app.query("accounts/account", {"account": self.account}).value
        record: dict[str, Any] = value["account"]
        return record

    def policy(self) -> dict[str, Any]:
        policy: dict[str, Any] = self.record()["policy"]
        return policy


def open_account(
    chain: Chain,
    rules: list[MfaRule],
    factors: dict[str, str] | None = None,
    *,
    threshold: int = 1,
    recovery: str = "",
) -> Holder:
    """Account 1 opens an account with keys ``factors`` (id -> label, "" none) and funds it."""
    factors = {"dev": "device", "hw": "hardware"} if factors is None else factors
    keys = {key_id: generate_private_key("ed25519") for key_id in factors}
    pol = b.policy(
        [b.key_of(k, keys[k], factor=label) for k, label in factors.items()], threshold, mfa=rules
    )
    opener = chain.signer(1)
    (result,) = chain.block(opener.sign(b.create_account(pol, recovery)))
    assert result.ok, result.log
    (created,) = [e.get("account") for e in result.events if e.type == "account_created"]
    assert chain.block(opener.sign(b.transfer((created, "CNY", FUNDS))))[0].ok
    return Holder(chain, created, keys)


def assert_refused(holder: Holder, raw: bytes, error: ErrorCode, *, by_ante: bool = True) -> str:
    """``raw`` is refused at admission and in a block, changing nothing: returns the log.

    A refusal by the ante chain (the multi-factor check is one) leaves the app
    hash as it was; a message refused by its handler still spends the nonce in a
    block (docs/app_requirements.md R9) and changes nothing else.
    """
    chain = holder.chain
    before = (chain.app_hash(), holder.record(), chain.balance(holder.account), chain.balance(2))
    nonce = holder.nonce()
    checked = chain.app.check_tx(raw)
    assert lookup(checked.codespace, checked.code) is error, checked.log
    (result,) = chain.block(raw)
    assert lookup(result.codespace, result.code) is error, result.log
    assert result.log == checked.log, "mempool and block give the same verdict"
    after = (chain.app_hash(), holder.record(), chain.balance(holder.account), chain.balance(2))
    if by_ante:
        assert after == before, "state, account, nonce and balances are untouched"
        assert holder.nonce() == nonce
    else:
        assert after[1:] == before[1:], "account and balances are untouched"
        assert holder.nonce() == nonce + 1, "the nonce is spent (R9)"
    return result.log


def assert_accepted(holder: Holder, raw: bytes) -> None:
    assert holder.chain.app.check_tx(raw).ok
    (result,) = holder.chain.block(raw)
    assert result.ok, result.log


# -- transfers ---------------------------------------------------------------------------------


def test_transfer_above_threshold_fails_with_one_factor_and_succeeds_with_both(chain):
    holder = open_account(chain, [TWO_FACTOR_TRANSFERS])
    big = b.transfer((A2, "CNY", LIMIT + 1))
    log = assert_refused(holder, holder.signer("dev").sign(big), MFA_REQUIRED)
    assert "transfer of 1001 base units of CNY" in log
    assert "2 distinct factors" in log and "carry 1 (device)" in log
    assert "also sign with keys of hardware" in log
    assert_refused(holder, holder.signer("hw").sign(big), MFA_REQUIRED)

    assert_accepted(holder, holder.signer("dev", "hw").sign(big))
    assert chain.balance(holder.account) == FUNDS - LIMIT - 1
    assert chain.balance(2) == 1_000_000 + LIMIT + 1


def test_at_or_below_threshold_and_other_assets_need_one_factor(chain):
    holder = open_account(chain, [TWO_FACTOR_TRANSFERS])
    assert_accepted(holder, holder.signer("dev").sign(b.transfer((A2, "CNY", LIMIT))))
    chain.block(chain.signer(1).sign(b.create_asset("USD", "Dollar", 2)))
    chain.block(chain.signer(1).sign(b.mint("USD", holder.account, 5_000)))
    assert_accepted(holder, holder.signer("hw").sign(b.transfer((A2, "USD", 5_000))))
    assert chain.balance(holder.account) == FUNDS - LIMIT


def test_transfers_are_summed_over_every_message_and_output_of_a_tx(chain):
    holder = open_account(chain, [TWO_FACTOR_TRANSFERS])
    half = LIMIT // 2 + 1
    split_messages = holder.signer("dev").sign(
        b.transfer((A2, "CNY", half)), b.transfer((A3, "CNY", half))
    )
    log = assert_refused(holder, split_messages, MFA_REQUIRED)
    assert f"transfer of {2 * half} base units of CNY" in log
    split_outputs = holder.signer("dev").sign(b.transfer((A2, "CNY", half), (A3, "CNY", half)))
    assert_refused(holder, split_outputs, MFA_REQUIRED)
    assert_accepted(holder, holder.signer("dev").sign(b.transfer((A2, "CNY", half))))


def test_two_keys_with_the_same_factor_count_once(chain):
    holder = open_account(
        chain, [TWO_FACTOR_TRANSFERS], {"dev": "device", "dev2": "device", "hw": "hardware"}
    )
    big = b.transfer((A2, "CNY", LIMIT + 1))
    log = assert_refused(holder, holder.signer("dev", "dev2").sign(big), MFA_REQUIRED)
    assert "carry 1 (device)" in log
    assert_accepted(holder, holder.signer("dev2", "hw").sign(big))


def test_unlabelled_keys_are_no_factor(chain):
    holder = open_account(
        chain, [TWO_FACTOR_TRANSFERS], {"dev": "device", "ops": "", "hw": "hardware"}
    )
    log = assert_refused(
        holder, holder.signer("dev", "ops").sign(b.transfer((A2, "CNY", LIMIT + 1))), MFA_REQUIRED
    )
    assert "carry 1 (device)" in log


def test_weight_threshold_still_applies_on_top_of_factors(chain):
    holder = open_account(
        chain,
        [TWO_FACTOR_TRANSFERS],
        {"dev": "device", "hw": "hardware", "ops": ""},
        threshold=2,
    )
    small, big = b.transfer((A2, "CNY", 1)), b.transfer((A2, "CNY", LIMIT + 1))
    # Two factors but weight 1 of 2: the M-of-N threshold refuses (tx:9), even below the limit.
    assert_refused(holder, holder.signer("hw").sign(small), ErrInsufficientWeight)
    # Weight 2 of 2 but one factor: enough for small amounts, not above the limit.
    assert_accepted(holder, holder.signer("dev", "ops").sign(small))
    assert_refused(holder, holder.signer("dev", "ops").sign(big), MFA_REQUIRED)
    assert_accepted(holder, holder.signer("dev", "hw").sign(big))


def test_tiered_rules_name_the_strictest_unmet_rule(chain):
    rules = [TWO_FACTOR_TRANSFERS, b.mfa_transfer("CNY", above=5_000, min_factors=3)]
    holder = open_account(chain, rules, {"dev": "device", "hw": "hardware", "cus": "custodian"})
    huge = b.transfer((A2, "CNY", 6_000))
    log = assert_refused(holder, holder.signer("dev").sign(huge), MFA_REQUIRED)
    assert "3 distinct factors" in log and "custodian, hardware" in log
    assert_refused(holder, holder.signer("dev", "hw").sign(huge), MFA_REQUIRED)
    assert_accepted(holder, holder.signer("dev", "hw").sign(b.transfer((A2, "CNY", 2_000))))
    assert_accepted(holder, holder.signer("dev", "hw", "cus").sign(huge))


def test_above_zero_guards_every_transfer_of_the_asset(chain):
    holder = open_account(chain, [b.mfa_transfer("CNY", above=0)])
    assert_refused(holder, holder.signer("dev").sign(b.transfer((A2, "CNY", 1))), MFA_REQUIRED)
    assert_accepted(holder, holder.signer("dev", "hw").sign(b.transfer((A2, "CNY", 1))))


# -- key changes and closing -------------------------------------------------------------------

KEY_CHANGES = {
    "add_key": lambda: b.add_key(b.key_of("new", generate_private_key("ed25519"))),
    "remove_key": lambda: b.remove_key("spare"),
    "rotate_key": lambda: b.rotate_key("spare", generate_private_key("sm2")),
    "set_threshold": lambda: b.set_threshold(2),
    "set_recovery": lambda: b.set_recovery(A1),
    "set_factor": lambda: b.set_factor("spare", "custodian"),
    "set_mfa": lambda: b.set_mfa([]),
}


@pytest.mark.parametrize("change", sorted(KEY_CHANGES))
def test_key_changes_need_two_factors(chain, change):
    holder = open_account(
        chain, [b.mfa_key_change()], {"dev": "device", "hw": "hardware", "spare": ""}
    )
    before = holder.record()
    log = assert_refused(holder, holder.signer("dev").sign(KEY_CHANGES[change]()), MFA_REQUIRED)
    assert log.startswith("a key change needs signatures from keys of 2 distinct factors")
    assert holder.record() == before
    assert_accepted(holder, holder.signer("dev", "hw").sign(KEY_CHANGES[change]()))
    assert holder.record() != before


def test_removing_the_rules_needs_both_factors_then_one_suffices(chain):
    holder = open_account(chain, [b.mfa_key_change(), TWO_FACTOR_TRANSFERS])
    assert_refused(holder, holder.signer("dev").sign(b.set_mfa([])), MFA_REQUIRED)
    (result,) = chain.block(holder.signer("dev", "hw").sign(b.set_mfa([])))
    assert result.ok and [e.type for e in result.events] == ["mfa_rules_changed"]
    assert "mfa" not in holder.policy()
    assert_accepted(holder, holder.signer("dev").sign(b.transfer((A2, "CNY", LIMIT + 1))))


def test_rotating_a_key_keeps_its_factor(chain):
    holder = open_account(chain, [TWO_FACTOR_TRANSFERS])
    new_hw = generate_private_key("secp256k1")
    assert_accepted(holder, holder.signer("dev").sign(b.rotate_key("hw", new_hw)))
    holder.keys["hw"] = new_hw
    factors = {k["id"]: k.get("factor") for k in holder.policy()["keys"]}
    assert factors == {"dev": "device", "hw": "hardware"}
    assert_accepted(holder, holder.signer("dev", "hw").sign(b.transfer((A2, "CNY", LIMIT + 1))))


def test_close_needs_two_factors(chain):
    holder = open_account(chain, [b.mfa_close()])
    empty = b.transfer((A1, "CNY", FUNDS))
    log = assert_refused(holder, holder.signer("dev").sign(empty, b.close_account()), MFA_REQUIRED)
    assert log.startswith("closing the account needs")
    assert_accepted(holder, holder.signer("dev", "hw").sign(empty, b.close_account()))
    status = chain.app.query("accounts/account", {"account": holder.account}).value
    assert status["account"]["status"] == "closed"


def test_operations_without_a_rule_need_one_factor(chain):
    holder = open_account(chain, [b.mfa_close()])
    assert_accepted(holder, holder.signer("dev").sign(b.transfer((A2, "CNY", FUNDS))))
    new_key = b.key_of("new", generate_private_key("ed25519"), factor="custodian")
    assert_accepted(holder, holder.signer("hw").sign(b.add_key(new_key)))


# -- policies the chain refuses ----------------------------------------------------------------


def test_unsatisfiable_policy_is_refused_at_creation(chain):
    opener = chain.signer(1)
    key = generate_private_key("ed25519")
    lonely = b.policy([b.key_of("dev", key, factor="device")])
    one_factor = KeyPolicy(lonely.keys, 1, (MfaRule(KEY_CHANGE, 2),))
    raw = opener.sign(
        RawMsg(MsgCreateAccount.TYPE, {"policy": one_factor.to_obj(), "recovery": ""})
    )
    before = chain.app_hash()
    checked = chain.app.check_tx(raw)
    assert lookup(checked.codespace, checked.code) is INVALID_POLICY
    assert "needs 2 distinct factors but the keys carry 1 (device)" in checked.log
    (result,) = chain.block(raw)
    assert lookup(result.codespace, result.code) is INVALID_POLICY
    assert chain.app_hash() == before


def test_changes_that_would_make_a_rule_unsatisfiable_are_refused(chain):
    holder = open_account(chain, [b.mfa_close()], {"dev": "device", "hw": "hardware", "x": ""})
    both = ("dev", "hw")
    refused = [
        (b.remove_key("hw"), WOULD_LOCK),
        (b.set_factor("hw", ""), WOULD_LOCK),
        (b.set_factor("hw", "device"), WOULD_LOCK),
    ]
    for msg, error in refused:
        log = assert_refused(holder, holder.signer(*both).sign(msg), error, by_ante=False)
        assert "close rule needs keys of 2 distinct factors" in log
        assert "lower or remove the rule first" in log
    three = b.set_mfa([b.mfa_close(min_factors=3)])
    log = assert_refused(holder, holder.signer(*both).sign(three), INVALID_POLICY, by_ante=False)
    assert "label more keys with a factor or lower min_factors" in log
    # Labelling the third key first makes three factors possible.
    assert_accepted(holder, holder.signer("dev").sign(b.set_factor("x", "custodian"), three))
    assert [r["min_factors"] for r in holder.policy()["mfa"]] == [3]


def test_set_factor_on_an_unknown_key_is_refused(chain):
    holder = open_account(chain, [b.mfa_close()])
    raw = holder.signer("dev").sign(b.set_factor("nope", "device"))
    assert_refused(holder, raw, ErrKeyNotFound, by_ante=False)


BAD_POLICIES: dict[str, Any] = {
    "empty rule list": {"mfa": []},
    "unknown operation": {"mfa": [{"operation": "mint", "min_factors": 2}]},
    "one factor is no mfa": {"mfa": [{"operation": "close", "min_factors": 1}]},
    "min_factors as text": {"mfa": [{"operation": "close", "min_factors": "2"}]},
    "close with an asset": {
        "mfa": [{"operation": "close", "min_factors": 2, "asset": "CNY", "above": "1"}]
    },
    "transfer without amount": {
        "mfa": [{"operation": "transfer", "min_factors": 2, "asset": "CNY"}]
    },
    "leading zero amount": {
        "mfa": [{"operation": "transfer", "min_factors": 2, "asset": "CNY", "above": "010"}]
    },
    "amount as integer": {
        "mfa": [{"operation": "transfer", "min_factors": 2, "asset": "CNY", "above": 10}]
    },
    "bad symbol": {
        "mfa": [{"operation": "transfer", "min_factors": 2, "asset": "cny", "above": "1"}]
    },
    "duplicate rule": {"mfa": [{"operation": "close", "min_factors": 2}] * 2},
    "too many rules": {
        "mfa": [
            {"operation": "transfer", "min_factors": 2, "asset": "CNY", "above": str(n)}
            for n in range(1, 10)
        ]
    },
    "empty factor": {"factor": ""},
    "uppercase factor": {"factor": "Device"},
    "long factor": {"factor": "d" * 17},
    "factor as bytes": {"factor": b"device"},
}


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_malformed_factors_and_rules_are_refused_with_registered_codes(chain, case):
    keys = [generate_private_key("ed25519") for _ in range(2)]
    good = b.policy(
        [b.key_of("a", keys[0], factor="device"), b.key_of("b", keys[1], factor="hardware")]
    ).to_obj()
    change = BAD_POLICIES[case]
    if "factor" in change:
        good["keys"][0]["factor"] = change["factor"]
    else:
        good["mfa"] = change["mfa"]
    raw = chain.signer(1).sign(RawMsg(MsgCreateAccount.TYPE, {"policy": good, "recovery": ""}))
    before = chain.app_hash()
    result = chain.app.check_tx(raw)
    assert not result.ok
    assert lookup(result.codespace, result.code) in (INVALID_POLICY, ErrInvalidMsg), result.log
    assert chain.app_hash() == before


# -- reset and recovery ------------------------------------------------------------------------


def test_one_factor_can_cancel_a_reset_and_a_completed_reset_replaces_the_rules(chain):
    holder = open_account(chain, [b.mfa_key_change(), TWO_FACTOR_TRANSFERS], recovery=A1)
    recovery = chain.signer(1)
    new_key = generate_private_key("ed25519")
    reset = b.initiate_reset(holder.account, b.policy([b.key_of("n1", new_key)]))
    assert chain.block(recovery.sign(reset))[0].ok
    # Cancelling keeps the controls as they are: one surviving factor may do it.
    assert_accepted(holder, holder.signer("dev").sign(b.cancel_reset()))

    assert chain.block(recovery.sign(reset))[0].ok
    for _ in range(LOCK):
        chain.block()
    policy = holder.policy()
    assert [k["id"] for k in policy["keys"]] == ["n1"] and "mfa" not in policy
    fresh = Holder(chain, holder.account, {"n1": new_key})
    assert_accepted(fresh, fresh.signer("n1").sign(b.transfer((A2, "CNY", LIMIT + 1))))


def test_recovery_accounts_own_rules_guard_the_resets_it_starts(chain):
    guardian = open_account(chain, [b.mfa_key_change()])
    ward = open_account(chain, [], {"k": ""}, recovery=guardian.account)
    reset = b.initiate_reset(ward.account, b.policy([b.key_of("n1", generate_private_key("sm2"))]))
    assert_refused(guardian, guardian.signer("dev").sign(reset), MFA_REQUIRED)
    assert_accepted(guardian, guardian.signer("dev", "hw").sign(reset))


def test_reset_policy_with_rules_takes_effect(chain):
    holder = open_account(chain, [], {"k": ""}, recovery=A1)
    keys = {"p": generate_private_key("ed25519"), "h": generate_private_key("ed25519")}
    new_policy = b.policy(
        [b.key_of("p", keys["p"], factor="device"), b.key_of("h", keys["h"], factor="hardware")],
        mfa=[TWO_FACTOR_TRANSFERS],
    )
    assert chain.block(chain.signer(1).sign(b.initiate_reset(holder.account, new_policy)))[0].ok
    for _ in range(LOCK):
        chain.block()
    fresh = Holder(chain, holder.account, keys)
    big = b.transfer((A2, "CNY", LIMIT + 1))
    assert_refused(fresh, fresh.signer("p").sign(big), MFA_REQUIRED)
    assert_accepted(fresh, fresh.signer("p", "h").sign(big))


# -- encoding ----------------------------------------------------------------------------------


def test_policy_without_factors_or_rules_encodes_exactly_as_before():
    key = generate_private_key("ed25519")
    pol = b.policy([b.key_of("k1", key, weight=2)], threshold=2)
    legacy = {
        "keys": [
            {"id": "k1", "scheme": "ed25519", "public_key": key.public_key().data, "weight": 2}
        ],
        "threshold": 2,
    }
    assert encode(pol.to_obj()) == encode(legacy)
    assert KeyPolicy.from_obj(decode(encode(legacy), max_size=4096)) == pol


def test_rules_are_stored_in_one_canonical_order():
    keys = [generate_private_key("ed25519") for _ in range(2)]
    labelled = [b.key_of("a", keys[0], factor="device"), b.key_of("b", keys[1], factor="hardware")]
    rules = [TWO_FACTOR_TRANSFERS, b.mfa_close(), b.mfa_key_change()]
    one = b.policy(labelled, mfa=rules)
    other = b.policy(labelled[::-1], mfa=rules[::-1])
    assert encode(one.to_obj()) == encode(other.to_obj())
    assert [r["operation"] for r in one.to_obj()["mfa"]] == [CLOSE, KEY_CHANGE, TRANSFER]
    assert KeyPolicy.from_json(one.to_json()) == one
    assert one.to_obj()["mfa"][2] == {
        "operation": "transfer",
        "min_factors": 2,
        "asset": "CNY",
        "above": str(LIMIT),
    }


def test_genesis_export_round_trips_factors_and_rules(chain):
    holder = open_account(chain, [b.mfa_close(), TWO_FACTOR_TRANSFERS])
    exported = chain.app.export_genesis()["accounts"]["accounts"]
    (entry,) = [a for a in exported if a["id"] == holder.account]
    policy = KeyPolicy.from_json(entry["policy"])
    assert policy.factors() == {"device", "hardware"} and len(policy.mfa) == 2
    assert policy.to_json() == holder.policy()


# -- what messages declare ---------------------------------------------------------------------


def test_messages_declare_their_guarded_operations():
    key = AccountKey("k", "ed25519", generate_private_key("ed25519").public_key().data, 1)
    transfer = MsgTransfer((Output(A1, "USD", 5), Output(A2, "CNY", 7), Output(A3, "USD", 1)))
    assert transfer.sensitive_operations() == (
        Operation(TRANSFER, "CNY", 7),
        Operation(TRANSFER, "USD", 6),
    )
    assert MsgAddKey(key).sensitive_operations() == (Operation(KEY_CHANGE),)
    assert MsgSetMfa(()).sensitive_operations() == (Operation(KEY_CHANGE),)
    assert MsgSetFactor("k", "").sensitive_operations() == (Operation(KEY_CHANGE),)
    assert MsgCloseAccount().sensitive_operations() == (Operation(CLOSE),)
    assert MsgCancelReset().sensitive_operations() == ()
    assert MsgBurn("CNY", 5).sensitive_operations() == ()
    ops = tx_operations([MsgCloseAccount(), transfer, MsgAddKey(key), transfer])
    assert ops == (
        Operation(CLOSE),
        Operation(KEY_CHANGE),
        Operation(TRANSFER, "CNY", 14),
        Operation(TRANSFER, "USD", 12),
    )


# -- fuzz --------------------------------------------------------------------------------------

_POOL = [generate_private_key(s).public_key() for s in ("ed25519", "sm2", "secp256k1", "ed25519")]


@st.composite
def _mostly(draw: st.DrawFn, valid: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> Any:
    """Valid values most of the time, so that the parser's success path is fuzzed too."""
    return draw(junk if draw(st.integers(0, 15)) == 7 else valid)


_labels = _mostly(
    st.sampled_from(["device", "hardware", "custodian", "recovery"]),
    st.one_of(st.text(max_size=20), st.binary(max_size=4), st.integers()),
)
_valid_rule = st.one_of(
    st.builds(
        lambda op, n: {"operation": op, "min_factors": n},
        st.sampled_from(["key_change", "close"]),
        st.integers(2, 3),
    ),
    st.builds(
        lambda asset, above, n: {
            "operation": "transfer",
            "min_factors": n,
            "asset": asset,
            "above": str(above),
        },
        st.sampled_from(["CNY", "USD"]),
        st.integers(0, 2**127 - 1),
        st.integers(2, 3),
    ),
)
_corruptions = st.sampled_from(
    [
        ("operation", "mint"),
        ("min_factors", 1),
        ("min_factors", "2"),
        ("asset", "cny"),
        ("asset", "X" * 20),
        ("above", "00"),
        ("above", "-1"),
        ("above", str(2**127)),
        ("above", 5),
        ("extra", None),
    ]
)


@st.composite
def _rules(draw: st.DrawFn) -> Any:
    rule = dict(draw(_valid_rule))
    if draw(st.integers(0, 7)) == 5:
        name, value = draw(_corruptions)
        rule[name] = value
    return rule


@st.composite
def _policies(draw: st.DrawFn) -> Any:
    entries = []
    pool = draw(st.lists(st.sampled_from(_POOL), min_size=1, max_size=4, unique_by=id))
    for index, public in enumerate(pool):
        entry: dict[str, Any] = {
            "id": draw(_mostly(st.just(f"k{index}"), st.sampled_from(["k0", "BAD", ""]))),
            "scheme": public.scheme,
            "public_key": public.data,
            "weight": draw(_mostly(st.integers(1, 3), st.integers(-1, 2000))),
        }
        if draw(st.integers(0, 3)):
            entry["factor"] = draw(_labels)
        entries.append(entry)
    threshold = draw(_mostly(st.integers(1, 2), st.integers(-1, 9)))
    obj: dict[str, Any] = {"keys": entries, "threshold": threshold}
    if draw(st.booleans()):
        obj["mfa"] = draw(_mostly(st.lists(_rules(), min_size=1, max_size=3), st.lists(_rules())))
    return draw(_mostly(st.just(obj), st.sampled_from([None, 7, {"keys": None}])))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policies())
def test_fuzz_policy_parser_round_trips_or_raises_a_registered_error(obj):
    try:
        policy = KeyPolicy.from_obj(obj)
    except FinchainError as exc:
        assert lookup(exc.codespace, exc.code) is exc.error
        return
    encoded = encode(policy.to_obj())
    again = KeyPolicy.from_obj(decode(encoded, max_size=1 << 16))
    assert again == policy and encode(again.to_obj()) == encoded
    assert KeyPolicy.from_json(policy.to_json()) == policy
    assert policy.unsatisfiable_rule() is None


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({"rules": st.lists(_rules(), max_size=10)}), _labels)
def test_fuzz_mfa_messages(value, label):
    for parse, arg in ((MsgSetMfa.from_value, value), (MsgSetFactor.from_value, None)):
        arg = {"key_id": "k1", "factor": label} if arg is None else arg
        try:
            msg = parse(arg)
        except FinchainError as exc:
            assert lookup(exc.codespace, exc.code) is exc.error
            continue
        assert type(msg).from_value(msg.to_value()) == msg


# -- command line ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def node() -> Any:
    from finchain.cli.inprocess import local_chain

    with local_chain(suite="gm", instant=True, block_interval=0.2) as running:
        yield running


def test_cli_factors_and_rules_end_to_end(node, monkeypatch):
    """Steps: two keystore keys → create with --factor and --rule → fund → a large transfer
    signed by one key is rejected with accounts:15, by both succeeds → a small one needs one →
    the rules show → clearing them is a key change (needs both) → bad options exit 2.
    """
    import json

    from typer.testing import CliRunner

    from finchain.cli.main import app

    for name in ("FINCHAIN_PASSPHRASE", "FINCHAIN_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    env = {"FINCHAIN_URL": node.url, "FINCHAIN_HOME": str(node.home)}

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*args, "--json"], env=env)
        assert "Traceback" not in result.output, result.output
        return result.exit_code, result.stdout + result.stderr

    def ok(*args: str) -> Any:
        code, out = run(*args)
        assert code == 0, out
        return json.loads(out)

    for name in ("phone", "hsm"):
        ok("keys", "new", name, "--scheme", "ed25519")
    create = ("account", "create", "--from", "operator", "--key", "phone", "--key", "hsm")
    created = ok(
        *create,
        *("--factor", "phone=device", "--factor", "hsm=hardware"),
        *("--rule", "transfer:CNY:10.00:2", "--rule", "key_change:2"),
    )
    assert created["code"] == 0
    ok("tx", "transfer", "phone", "50.00", "CNY", "--from", "operator")

    code, out = run("tx", "transfer", "bob", "20.00", "CNY", "--from", "phone")
    assert code == 1 and "[accounts:15]" in out and "carry 1 (device)" in out
    assert (
        ok("tx", "transfer", "bob", "20.00", "CNY", "--from", "phone", "--from", "hsm")["code"] == 0
    )
    assert (
        ok("tx", "transfer", "bob", "5.00", "CNY", "--from", "hsm", "--account", "phone")["code"]
        == 0
    )

    shown = ok("account", "show", "phone")
    assert {k["id"]: k["factor"] for k in shown["keys"]} == {"k1": "device", "k2": "hardware"}
    assert shown["mfa"] == [
        {"operation": "key_change", "min_factors": 2},
        {"operation": "transfer", "min_factors": 2, "asset": "CNY", "above": "1000"},
    ]
    table = runner.invoke(app, ["account", "show", "phone"], env=env)
    assert table.exit_code == 0 and "multi-factor rules" in table.stdout
    assert "hardware" in table.stdout and "key_change" in table.stdout
    code, out = run("account", "set-mfa", "--from", "phone", "--clear")
    assert code == 1 and "[accounts:15]" in out and "a key change needs" in out
    assert ok("account", "set-mfa", "--from", "phone", "--from", "hsm", "--clear")["code"] == 0
    assert ok("account", "show", "phone")["mfa"] == []

    for bad, says in [
        (("--factor", "nobody=device"), "KEY=LABEL"),
        (("--factor", "phone=Device"), "lowercase"),
        (("--rule", "close:1"), ">= 2"),
        (("--rule", "transfer:CNY:1.001:2"), "decimal places"),
        (("--rule", "withdraw:2"), "is not a rule"),
    ]:
        code, out = run(*create, *bad)
        assert code == 2 and says in out, out
    code, out = run("account", "set-mfa", "--from", "phone")
    assert code == 2 and "--clear" in out
