"""Governance messages, actions and records, declared once: exact wire maps and strict refusals.

Transactions signed by clients written before the declarations must decode to
the same message: each action's wire map is spelled here by hand, as the old
hand-written ``to_value`` wrote it, and compared with the declared one. The
refusals keep their codes (``gov:13`` for a validator key or scheme, ``gov:17``
for a parameter, ``tx:6`` for a malformed map), asserted by name.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finchain.client import builders as b
from finchain.codec import RawMsg, encode
from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import generate_private_key
from finchain.errors import ErrorCode, FinchainError
from finchain.modules.accounts.types import account_id
from finchain.modules.governance.errors import ErrBadGenesis, ErrInvalidParam, ErrInvalidValidator
from finchain.modules.governance.messages import MsgSubmitProposal, MsgVote
from finchain.modules.governance.module import GovernanceModule, GovGenesis
from finchain.modules.governance.types import (
    VALIDATOR_ACTIVE,
    Action,
    AddMember,
    AddValidator,
    Evidence,
    ExecMsg,
    Failure,
    Fraction,
    GovParams,
    Proposal,
    RemoveMember,
    RemoveValidator,
    RestoreValidator,
    SetMemberWeight,
    SetParam,
    SetValidatorPower,
    Tally,
    Validator,
    Vote,
    address,
)

ED_KEYS = [generate_private_key("ed25519").public_key() for _ in range(3)]
SM_KEYS = [generate_private_key("sm2").public_key() for _ in range(2)]


def legacy_wire(action: Action) -> dict[str, Any]:
    """The wire map of ``action`` as the hand-written codec of the last release spelled it."""
    match action:
        case AddMember():
            return {
                "type": "add_member",
                "account": action.account,
                "name": action.name,
                "weight": action.weight,
            }
        case RemoveMember():
            return {"type": "remove_member", "account": action.account}
        case SetMemberWeight():
            return {"type": "set_member_weight", "account": action.account, "weight": action.weight}
        case AddValidator():
            return {
                "type": "add_validator",
                "name": action.name,
                "scheme": action.scheme,
                "public_key": action.public_key,
                "power": action.power,
            }
        case SetValidatorPower() | RestoreValidator():
            return {"type": action.KIND, "public_key": action.public_key, "power": action.power}
        case RemoveValidator():
            return {"type": "remove_validator", "public_key": action.public_key}
        case SetParam():
            return {
                "type": "set_param",
                "space": action.space,
                "name": action.name,
                "value": action.value,
            }
        case ExecMsg():
            return {"type": "exec", "msg": {"type": action.msg_type, **action.msg_value}}
    raise AssertionError(action)


# -- strategies of valid actions ----------------------------------------------------------------

accounts = st.integers(1, 10**6).map(account_id)
names = st.text(min_size=1, max_size=16)
weights = st.integers(1, 1_000_000)
powers = st.integers(1, 2**57)
raw_keys = st.one_of(st.binary(min_size=32, max_size=32), st.binary(min_size=65, max_size=65))
gov_params = st.one_of(
    st.tuples(st.just("voting_period"), st.integers(1, 10_000_000)),
    st.tuples(st.just("execution_delay"), st.integers(0, 10_000_000)),
    st.tuples(st.just("min_validators"), st.integers(1, 10_000)),
    st.tuples(st.just("pass_threshold"), st.sampled_from(["3/5", "2/3", "3/4", "99/100"])),
    st.tuples(st.just("quorum"), st.sampled_from(["1/3", "1/2", "1/1"])),
)
message_values = st.dictionaries(
    st.from_regex(r"[a-z_]{1,8}", fullmatch=True).filter(lambda k: k != "type"),
    st.one_of(st.text(max_size=8), st.integers(0, 2**63), st.binary(max_size=8)),
    max_size=3,
)
actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(AddMember, accounts, names, weights),
    st.builds(RemoveMember, accounts),
    st.builds(SetMemberWeight, accounts, weights),
    st.builds(
        lambda key, name, power: AddValidator(name, key.scheme, key.data, power),
        st.sampled_from(ED_KEYS + SM_KEYS),
        names,
        powers,
    ),
    st.builds(SetValidatorPower, raw_keys, powers),
    st.builds(RemoveValidator, raw_keys),
    st.builds(RestoreValidator, raw_keys, powers),
    gov_params.map(lambda p: SetParam("governance", p[0], p[1])),
    st.builds(lambda n: SetParam("app", "max_memo_bytes", n), st.integers(1, 2**62)),
    st.builds(
        ExecMsg.of, st.from_regex(r"[a-z]{1,8}/[a-z_]{1,12}", fullmatch=True), message_values
    ),
)


@given(
    title=st.text(min_size=1, max_size=35),
    description=st.text(max_size=40),
    carried=st.lists(actions, max_size=16),
)
def test_submit_proposal_round_trips_with_the_released_wire_map(
    title: str, description: str, carried: list[Action]
) -> None:
    msg = MsgSubmitProposal(title, description, tuple(carried))
    released = {
        "title": title,
        "description": description,
        "actions": [legacy_wire(a) for a in carried],
    }
    assert msg.to_value() == released
    assert encode(msg.to_value()) == encode(released)
    assert MsgSubmitProposal.from_value(released) == msg
    assert b.submit_proposal(title, carried, description=description) == RawMsg(
        "gov/submit_proposal", released
    )


@given(proposal_id=st.integers(1, 2**63 - 1), option=st.sampled_from(["yes", "no", "abstain"]))
def test_vote_round_trips_with_the_released_wire_map(proposal_id: int, option: str) -> None:
    released = {"proposal_id": proposal_id, "option": option}
    assert MsgVote.from_value(released) == MsgVote(proposal_id, option)
    assert b.vote(proposal_id, option) == RawMsg("gov/vote", released)


@given(carried=st.lists(actions, max_size=16), status=st.sampled_from(["voting", "failed"]))
def test_a_proposal_record_round_trips_in_state_and_in_json(
    carried: list[Action], status: str
) -> None:
    failure = (
        Failure("gov", 6, "action #0 (remove_member): not a member") if status == "failed" else None
    )
    proposal = Proposal(
        7,
        account_id(1),
        "t",
        "",
        tuple(carried),
        status,
        3,
        6,
        0,
        6,
        Tally(1, 2, 0, 4),
        "",
        failure,
    )
    assert Proposal.from_obj(proposal.to_obj()) == proposal
    as_json = json.loads(json.dumps(proposal.to_json()))  # JSON holds no bytes
    assert Proposal.from_json(as_json) == proposal


def test_exec_bytes_take_the_dag_json_form_in_json() -> None:
    action = ExecMsg.of("credentials/add_regulator", {"key": {"public_key": b"\x00\xff"}})
    shown = action.to_json()
    assert shown == {
        "msg": {"type": "credentials/add_regulator", "key": {"public_key": {"/": {"bytes": "AP8"}}}}
    }
    assert ExecMsg.from_json(shown) == action


def refused(error: ErrorCode, fn: Any, *args: Any) -> str:
    with pytest.raises(FinchainError) as info:
        fn(*args)
    assert error.matches(info.value), (info.value.codespace, info.value.code, info.value.message)
    return info.value.message


def submit(*action_maps: dict[str, Any]) -> MsgSubmitProposal:
    return MsgSubmitProposal.from_value(
        {"title": "t", "description": "", "actions": list(action_maps)}
    )


@pytest.mark.parametrize(
    ("action", "error", "says"),
    [
        (
            {"type": "set_param", "space": "governance", "name": "pass_threshold", "value": "1/2"},
            ErrInvalidParam,
            "above 1/2",
        ),
        (
            {"type": "set_param", "space": "governance", "name": "quorum", "value": "2/4"},
            ErrInvalidParam,
            "lowest terms",
        ),
        (
            {"type": "set_param", "space": "governance", "name": "voting_period", "value": 0},
            ErrInvalidParam,
            "voting_period",
        ),
        (
            {"type": "set_param", "space": "governance", "name": "nosuch", "value": 1},
            ErrInvalidParam,
            "unknown governance param",
        ),
        (
            {"type": "set_param", "space": "app", "name": "max_memo_bytes", "value": "8"},
            ErrInvalidParam,
            "positive integer",
        ),
        (
            {"type": "set_param", "space": "app", "name": "nosuch", "value": 8},
            ErrInvalidParam,
            "unknown chain param",
        ),
        ({"type": "set_param", "space": "bank", "name": "x", "value": 8}, ErrInvalidParam, "space"),
        (
            {
                "type": "add_validator",
                "name": "v",
                "scheme": "rsa",
                "public_key": bytes(32),
                "power": 1,
            },
            ErrInvalidValidator,
            "scheme",
        ),
        (
            {
                "type": "add_validator",
                "name": "v",
                "scheme": "sm2",
                "public_key": b"\x04" + bytes(64),
                "power": 1,
            },
            ErrInvalidValidator,
            "public_key",
        ),
        ({"type": "remove_validator", "public_key": bytes(31)}, ErrInvalidValidator, "31 bytes"),
        ({"type": "remove_validator", "public_key": "00" * 32}, ErrInvalidMsg, "byte string"),
        (
            {"type": "set_validator_power", "public_key": bytes(32), "power": 0},
            ErrInvalidMsg,
            "power",
        ),
        (
            {"type": "add_member", "account": "FC1", "name": "n", "weight": 1},
            ErrInvalidMsg,
            "account id",
        ),
        (
            {"type": "add_member", "account": account_id(1), "name": "n"},
            ErrInvalidMsg,
            "missing fields ['weight']",
        ),
        (
            {"type": "remove_member", "account": account_id(1), "weight": 1},
            ErrInvalidMsg,
            "unknown fields ['weight']",
        ),
        ({"type": "mint", "account": account_id(1)}, ErrInvalidMsg, "'type' must be one of"),
        (
            {"type": "exec", "msg": {"type": "gov/vote", "proposal_id": 1, "option": "yes"}},
            ErrInvalidMsg,
            "governance's own",
        ),
        ({"type": "exec", "msg": {"proposal_id": 1}}, ErrInvalidMsg, "string 'type'"),
    ],
)
def test_refusals_keep_their_codes(action: dict[str, Any], error: ErrorCode, says: str) -> None:
    assert says in refused(error, submit, action)


def test_message_refusals_keep_their_codes() -> None:
    refused(ErrInvalidMsg, MsgVote.from_value, {"proposal_id": 1, "option": "maybe"})
    refused(ErrInvalidMsg, MsgVote.from_value, {"proposal_id": 0, "option": "yes"})
    refused(
        ErrInvalidMsg, MsgSubmitProposal.from_value, {"title": "", "description": "", "actions": []}
    )
    too_many = [{"type": "remove_member", "account": account_id(1)}] * 17
    refused(ErrInvalidMsg, submit, *too_many)


def test_params_defaults_and_refusals() -> None:
    params = GovParams.from_obj(
        {
            "voting_period": 5,
            "pass_threshold": "3/4",
            "quorum": "1/2",
            "execution_delay": 0,
            "min_validators": 2,
        }
    )
    assert params.pass_threshold == Fraction(3, 4) and params.to_obj()["pass_threshold"] == "3/4"
    assert params.with_value("quorum", "1/1").quorum == Fraction(1, 1)
    refused(ErrInvalidParam, params.with_value, "pass_threshold", 1)


# -- the genesis section ------------------------------------------------------------------------


def validator(key: Any, power: int, status: str = VALIDATOR_ACTIVE) -> Validator:
    return Validator(address(key.data), key.scheme, key.data, "v", power, status, 3)


def test_genesis_section_round_trips_through_json() -> None:
    genesis = GovGenesis.from_json(
        {
            "members": [{"account": account_id(1), "name": "a", "weight": 2, "since": 4}],
            "params": {"min_validators": 1},
            "validators": [
                validator(ED_KEYS[0], 5).to_json(),
                validator(ED_KEYS[1], 5, "jailed").to_json(),
            ],
            "proposals": [
                Proposal(
                    1,
                    account_id(1),
                    "t",
                    "d",
                    (b.remove_validator(ED_KEYS[1].data),),
                    "voting",
                    1,
                    4,
                    0,
                    0,
                    None,
                    "",
                    None,
                ).to_json()
            ],
            "votes": [Vote(1, account_id(1), "yes", 2).to_obj()],
            "evidence": [
                Evidence(
                    1, "duplicate_vote", address(ED_KEYS[1].data), 2, 0, 5, 10, 3, "jailed"
                ).to_json()
            ],
            "next_proposal_id": 2,
            "next_evidence_id": 2,
        }
    )
    assert GovGenesis.from_json(json.loads(json.dumps(genesis.to_json()))) == genesis
    assert genesis.params.voting_period == 100  # not named: the default


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"members": [{"account": account_id(1), "name": "a", "weight": 1}] * 2}, "members twice"),
        ({"votes": [Vote(9, account_id(1), "yes", 2).to_obj()]}, "unknown proposal 9"),
        (
            {
                "next_evidence_id": 1,
                "evidence": [
                    Evidence(1, "x", b"\x01" * 20, 1, 0, 1, 1, 1, "not_jailable").to_json()
                ],
            },
            "id counter",
        ),
        ({"params": {"pass_threshold": "1/2"}}, "pass_threshold"),
        ({"params": {"voting_time": 3}}, "unknown governance params"),
        (
            {"validators": [{**validator(ED_KEYS[0], 5).to_json(), "address": "00" * 20}]},
            "not that of its public key",
        ),
        ({"surplus": []}, "unknown fields ['surplus']"),
    ],
)
def test_genesis_section_refusals_are_bad_genesis(change: dict[str, Any], says: str) -> None:
    section = {"members": [], "params": {}, **change}
    module = GovernanceModule.__new__(GovernanceModule)
    assert says in refused(ErrBadGenesis, module.validate_genesis, section)
