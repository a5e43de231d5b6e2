"""Governance records: parameters, members, validators, actions, proposals, votes, evidence.

Each record is declared once with ``finchain.core.fields``: its strict decoder,
its encoder and its JSON form (genesis files: bytes as lowercase hex) come from
the declaration. A value that is well formed but not allowed is refused with
the governance code that names it (``gov:13`` an invalid validator, ``gov:17``
an invalid parameter); a malformed map or field with ``tx:6``.

Every ratio is an integer fraction compared by cross-multiplication, never a
float: two nodes must reach the same verdict on the same votes, bit for bit.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from math import gcd
from typing import Any, ClassVar

from finchain.core.authority import GOV_AUTHORITY as GOV_AUTHORITY
from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import (
    HEIGHT,
    PUBLIC_KEY,
    Blob,
    Checked,
    Codec,
    Integer,
    ListOf,
    Nested,
    OneOf,
    Optional,
    Plain,
    Record,
    Text,
    wire,
)
from finchain.core.params import ChainParams
from finchain.crypto import hash_bytes, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.accounts.types import ACCOUNT
from finchain.modules.governance.errors import ErrInvalidParam, ErrInvalidValidator
from finchain.modules.identity.types import BOUND_DID

MAX_WEIGHT = 1_000_000
MAX_POWER = 2**57  # the engine's cap on total voting power (CometBFT allows a little more)
MAX_PERIOD = 10_000_000
MAX_MIN_VALIDATORS = 10_000
MAX_CHAIN_PARAM = 2**62
MAX_ACTIONS = 16
MAX_TITLE = 140
MAX_DESCRIPTION = 4096
MAX_NAME = 64
VALIDATOR_SCHEMES = ("ed25519", "sm2")
ADDRESS_BYTES = 20

SPACE_APP = "app"
SPACE_GOV = "governance"
CHAIN_PARAM_NAMES = tuple(f.name for f in fields(ChainParams))

VALIDATOR_ACTIVE = "active"
VALIDATOR_JAILED = "jailed"

VOTING = "voting"
PASSED = "passed"
REJECTED = "rejected"
EXECUTED = "executed"
FAILED = "failed"
STATUSES = (VOTING, PASSED, REJECTED, EXECUTED, FAILED)
STAGE = {VOTING: 0, PASSED: 1, REJECTED: 2, EXECUTED: 2, FAILED: 2}
"""How far along a status is: a proposal's stage only ever grows."""

VOTE_OPTIONS = ("yes", "no", "abstain")
JAILING_KINDS = ("duplicate_vote", "light_client_attack")
OUTCOMES = ("jailed", "already_jailed", "unknown_validator", "kept_min_validators", "not_jailable")

_FRACTION = re.compile(r"([0-9]{1,9})/([1-9][0-9]{0,8})")


def address(public_key: bytes) -> bytes:
    """A validator's address, as CometBFT computes it: the first 20 bytes of SHA-256(key).

    Used for keys of either scheme, so a validator has one name on and off chain.
    """
    return hash_bytes("sha256", public_key)[:ADDRESS_BYTES]


# -- field codecs -------------------------------------------------------------------------------

NAME = Text(max_len=MAX_NAME)
TITLE = Text(max_len=MAX_TITLE)
DESCRIPTION = Text(max_len=MAX_DESCRIPTION, allow_empty=True)
WEIGHT = Integer(low=1, high=MAX_WEIGHT)
POWER = Integer(low=1, high=MAX_POWER)
ID = Integer(low=1, high=2**63 - 1)
COUNT = Integer(low=0, high=2**63 - 1)
ENGINE_INT = Integer(low=-(2**64), high=2**64 - 1)  # a number the engine reported, as given


def _validator_scheme(scheme: str, name: str) -> str:
    if scheme not in VALIDATOR_SCHEMES:
        raise ErrInvalidValidator(
            f"validator scheme must be one of {list(VALIDATOR_SCHEMES)}, got {scheme!r}"
        )
    return scheme


def _validator_key(key: bytes, name: str) -> bytes:
    if len(key) not in (32, 65):
        raise ErrInvalidValidator(
            f"{name} has {len(key)} bytes; an ed25519 key has 32, an sm2 key 65"
        )
    return key


SCHEME = Checked(Text(max_len=16), _validator_scheme)
"""A validator key scheme (``gov:13`` for a scheme validators cannot use)."""
VALIDATOR_KEY = Checked(PUBLIC_KEY, _validator_key)
"""A validator's public key: 32 bytes (ed25519) or 65 (sm2); hex in JSON."""


# -- parameters ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fraction:
    """``num/den`` in lowest terms, written as the string ``"2/3"`` in genesis and messages."""

    num: int
    den: int

    @classmethod
    def parse(cls, text: object, *, name: str) -> Fraction:
        match = _FRACTION.fullmatch(text) if type(text) is str else None
        if match is None:
            raise ErrInvalidParam(f'{name} must be a fraction like "2/3", got {text!r}')
        num, den = int(match[1]), int(match[2])
        if gcd(num, den) != 1:
            reduced = f"{num // gcd(num, den)}/{den // gcd(num, den)}"
            raise ErrInvalidParam(f"{name} {text!r} is not in lowest terms: write {reduced!r}")
        return cls(num, den)

    def __str__(self) -> str:
        return f"{self.num}/{self.den}"

    def __lt__(self, other: Fraction) -> bool:
        return self.num * other.den < other.num * self.den

    def __le__(self, other: Fraction) -> bool:
        return self.num * other.den <= other.num * self.den

    def exceeded_by(self, part: int, whole: int) -> bool:
        """``part > self × whole``, exactly."""
        return part * self.den > self.num * whole

    def reached_by(self, part: int, whole: int) -> bool:
        """``part >= self × whole``, exactly."""
        return part * self.den >= self.num * whole


HALF = Fraction(1, 2)
ONE = Fraction(1, 1)


def _threshold_range(fraction: Fraction, name: str) -> None:
    if not HALF < fraction < ONE:
        raise ErrInvalidParam(
            f"{name} must be above 1/2 and below 1, got {fraction}: a threshold of "
            "1/2 or less would let a minority-or-tie pass proposals"
        )


def _quorum_range(fraction: Fraction, name: str) -> None:
    if not Fraction(0, 1) < fraction <= ONE:
        raise ErrInvalidParam(f"{name} must be above 0 and at most 1, got {fraction}")


class _FractionParam:
    """A fraction parameter (``"2/3"`` on the wire) within the range ``check`` enforces."""

    def __init__(self, check: Callable[[Fraction, str], None]) -> None:
        self._check = check

    def decode(self, value: Any, name: str) -> Fraction:
        fraction = Fraction.parse(value, name=name)
        self._check(fraction, name)
        return fraction

    def encode(self, value: Fraction) -> str:
        return str(value)


class _IntParam:
    """An integer parameter in ``[low, high]`` (``gov:17`` outside it)."""

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high

    def decode(self, value: Any, name: str) -> int:
        if type(value) is not int or not self.low <= value <= self.high:
            raise ErrInvalidParam(
                f"{name} must be an integer in [{self.low}, {self.high}], got {value!r}"
            )
        return value

    def encode(self, value: int) -> int:
        return value


@dataclass(frozen=True, slots=True)
class GovParams(Record):
    """Governance parameters (genesis; changeable by proposal).

    ``pass_threshold``: a proposal passes only if its yes weight is strictly
    greater than this share of the total member weight; it must lie in
    (1/2, 1), so that no minority can ever pass anything and something can pass.
    ``quorum``: the share of the total member weight that must vote (abstain
    counts) for the result to stand; in (0, 1].
    """

    WHAT = "governance params"
    voting_period: int = wire(_IntParam(1, MAX_PERIOD))
    pass_threshold: Fraction = wire(_FractionParam(_threshold_range))
    quorum: Fraction = wire(_FractionParam(_quorum_range))
    execution_delay: int = wire(_IntParam(0, MAX_PERIOD))
    min_validators: int = wire(_IntParam(1, MAX_MIN_VALIDATORS))

    def with_value(self, name: str, value: object) -> GovParams:
        parsed: Any = parse_gov_param(name, value)
        return replace(self, **{name: parsed})


DEFAULT_GOV_PARAMS = GovParams(100, Fraction(2, 3), Fraction(1, 2), 10, 1)
GOV_PARAM_NAMES = tuple(f.name for f in fields(GovParams))
_GOV_PARAMS: dict[str, Codec[Any]] = {f.name: f.metadata["wire"] for f in fields(GovParams)}


def parse_gov_param(name: str, value: object) -> int | Fraction:
    """Check one governance parameter's wire value; ErrInvalidParam says what is allowed."""
    codec = _GOV_PARAMS.get(name)
    if codec is None:
        raise ErrInvalidParam(
            f"unknown governance param {name!r}; known: {sorted(GOV_PARAM_NAMES)}"
        )
    parsed: int | Fraction = codec.decode(value, name)
    return parsed


class _ParamsOrDefaults:
    """Genesis params: a map naming some parameters; those not named keep their default."""

    def decode(self, value: Any, name: str) -> GovParams:
        if not isinstance(value, dict):
            raise ErrInvalidParam("governance params must be a map")
        unknown = sorted(value.keys() - set(GOV_PARAM_NAMES))
        if unknown:
            raise ErrInvalidParam(
                f"unknown governance params {unknown}; known: {sorted(GOV_PARAM_NAMES)}"
            )
        return GovParams.from_obj({**DEFAULT_GOV_PARAMS.to_obj(), **value}, what=name)

    def encode(self, value: GovParams) -> dict[str, Any]:
        return value.to_obj()


PARAMS_OR_DEFAULTS = _ParamsOrDefaults()


# -- members and validators ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member(Record):
    """An institution with a vote. ``did`` is reserved for the identity module (empty now)."""

    WHAT = "member"
    account: str = wire(ACCOUNT)
    name: str = wire(NAME)
    weight: int = wire(WEIGHT)
    since: int = wire(HEIGHT)
    did: str = wire(BOUND_DID)


@dataclass(frozen=True, slots=True)
class GenesisMember(Record):
    """A member in the genesis section: ``since`` and ``did`` may be left out (0 and "")."""

    WHAT = "genesis member"
    account: str = wire(ACCOUNT)
    name: str = wire(NAME)
    weight: int = wire(WEIGHT)
    since: int = wire(HEIGHT, default=0)
    did: str = wire(BOUND_DID, default="")

    @classmethod
    def of(cls, member: Member) -> GenesisMember:
        return cls(member.account, member.name, member.weight, member.since, member.did)

    def member(self) -> Member:
        return Member(self.account, self.name, self.weight, self.since, self.did)


@dataclass(frozen=True, slots=True)
class Validator(Record):
    """A consensus validator. A jailed one keeps its record (and last power) but votes with 0."""

    WHAT = "validator"
    address: bytes = wire(Blob(size=ADDRESS_BYTES))
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(VALIDATOR_KEY)
    name: str = wire(NAME)
    power: int = wire(POWER)
    status: str = wire(OneOf(VALIDATOR_ACTIVE, VALIDATOR_JAILED))
    since: int = wire(HEIGHT)

    def check(self) -> None:
        if self.address != address(self.public_key):
            raise ErrInvalidValidator(
                f"validator address {self.address.hex()} is not that of its public key "
                f"({address(self.public_key).hex()})"
            )
        _check_key(self.scheme, self.public_key)

    @property
    def effective_power(self) -> int:
        """The power the engine is told: 0 while jailed."""
        return self.power if self.status == VALIDATOR_ACTIVE else 0


def _check_key(scheme: str, public_key: bytes) -> None:
    try:
        public_key_from_bytes(scheme, public_key)
    except FinchainError as exc:
        raise ErrInvalidValidator(f"public_key: {exc.message}") from None


# -- actions ------------------------------------------------------------------------------------


class Action(Record):
    """One change a proposal makes when it executes; ``KIND`` is its wire ``type``.

    On the wire an action is a map of its ``type`` and its declared fields. It is
    checked without state when the proposal is submitted, and against state only
    when the passed proposal executes (state may have moved on in between).
    """

    __slots__ = ()
    KIND: ClassVar[str]

    def to_value(self) -> dict[str, Any]:
        """The wire map, ``type`` included."""
        return {"type": self.KIND, **self.to_obj()}


@dataclass(frozen=True, slots=True)
class AddMember(Action):
    """Admit an institution: its (existing, active) account, a label and a voting weight."""

    KIND = "add_member"
    account: str = wire(ACCOUNT)
    name: str = wire(NAME)
    weight: int = wire(WEIGHT)


@dataclass(frozen=True, slots=True)
class RemoveMember(Action):
    KIND = "remove_member"
    account: str = wire(ACCOUNT)


@dataclass(frozen=True, slots=True)
class SetMemberWeight(Action):
    KIND = "set_member_weight"
    account: str = wire(ACCOUNT)
    weight: int = wire(WEIGHT)


@dataclass(frozen=True, slots=True)
class AddValidator(Action):
    """Add a consensus key; its scheme must be the one every validator of the chain uses."""

    KIND = "add_validator"
    name: str = wire(NAME)
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(VALIDATOR_KEY)
    power: int = wire(POWER)

    def check(self) -> None:
        _check_key(self.scheme, self.public_key)


@dataclass(frozen=True, slots=True)
class _KeyAndPower(Action):
    """The shape shared by actions that name a validator key and a power."""

    public_key: bytes = wire(VALIDATOR_KEY)
    power: int = wire(POWER)


@dataclass(frozen=True, slots=True)
class SetValidatorPower(_KeyAndPower):
    """Change an active validator's power (to remove it, use ``remove_validator``)."""

    KIND = "set_validator_power"


@dataclass(frozen=True, slots=True)
class RemoveValidator(Action):
    KIND = "remove_validator"
    public_key: bytes = wire(VALIDATOR_KEY)


@dataclass(frozen=True, slots=True)
class RestoreValidator(_KeyAndPower):
    """Lift a jail: the validator is active again with ``power``."""

    KIND = "restore_validator"


def _as_given(value: Any, name: str) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class SetParam(Action):
    """Set one parameter: ``space`` ``app`` (ChainParams, effective after the block commits)
    or ``governance`` (effective for what happens after the executing proposal).

    ``value`` is an integer, or for the fractions ``pass_threshold`` and
    ``quorum`` a string such as ``"3/4"``; which one, ``check`` says from the name.
    """

    KIND = "set_param"
    space: str = wire(Text(max_len=16))
    name: str = wire(Text(max_len=64))
    value: int | str = wire(Plain(_as_given))

    def check(self) -> None:
        if self.space == SPACE_GOV:
            parse_gov_param(self.name, self.value)
        elif self.space == SPACE_APP:
            if self.name not in CHAIN_PARAM_NAMES:
                raise ErrInvalidParam(
                    f"unknown chain param {self.name!r}; known: {sorted(CHAIN_PARAM_NAMES)}"
                )
            if type(self.value) is not int or not 1 <= self.value <= MAX_CHAIN_PARAM:
                raise ErrInvalidParam(f"chain param {self.name} must be a positive integer")
        else:
            raise ErrInvalidParam(
                f"space must be {SPACE_APP!r} or {SPACE_GOV!r}, got {self.space!r}"
            )


class _MessageMap:
    """A message of another module as an ``exec`` action carries it: its ``type`` and fields.

    Only the shape is checked here; the application's router parses the message.
    In JSON, bytes anywhere in it take DAG-JSON's form ``{"/": {"bytes": base64}}``
    (governance does not know the message's schema, so it cannot say which
    strings would be hex).
    """

    def decode(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise ErrInvalidMsg(f"field {name!r} must be a message map with a string 'type'")
        if value["type"].startswith("gov/"):
            raise ErrInvalidMsg(f"a proposal cannot execute governance's own {value['type']!r}")
        return dict(value)

    def encode(self, value: dict[str, Any]) -> dict[str, Any]:
        return value

    def decode_json(self, value: Any, name: str) -> dict[str, Any]:
        return self.decode(_bytes_from_json(value, name), name)

    def encode_json(self, value: dict[str, Any]) -> Any:
        return _bytes_to_json(value)


def _bytes_to_json(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"/": {"bytes": base64.b64encode(value).decode().rstrip("=")}}
    if isinstance(value, dict):
        return {k: _bytes_to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bytes_to_json(v) for v in value]
    return value


def _bytes_from_json(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        if "/" not in value:
            return {k: _bytes_from_json(v, name) for k, v in value.items()}
        inner = value["/"]
        text = inner.get("bytes") if isinstance(inner, dict) and len(inner) == 1 else None
        if len(value) != 1 or not isinstance(text, str):
            raise ErrInvalidMsg(f'field {name!r}: a "/" map must be {{"/": {{"bytes": base64}}}}')
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except binascii.Error:
            raise ErrInvalidMsg(f"field {name!r}: {text[:80]!r} is not base64") from None
    if isinstance(value, list):
        return [_bytes_from_json(v, name) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class ExecMsg(Action):
    """Run a governed message of any module (e.g. accredit an issuer) with signer ``governance``.

    Only the wire shape is checked here; the application's router parses the
    message when the proposal is submitted (so a typo is refused at once) and
    again when it executes.
    """

    KIND = "exec"
    msg: dict[str, Any] = wire(_MessageMap())

    @classmethod
    def of(cls, msg_type: str, value: dict[str, Any]) -> ExecMsg:
        return cls({"type": msg_type, **value})

    @property
    def msg_type(self) -> str:
        found: str = self.msg["type"]
        return found

    @property
    def msg_value(self) -> dict[str, Any]:
        return {k: v for k, v in self.msg.items() if k != "type"}


ACTIONS: dict[str, type[Action]] = {
    cls.KIND: cls
    for cls in (
        AddMember,
        RemoveMember,
        SetMemberWeight,
        AddValidator,
        SetValidatorPower,
        RemoveValidator,
        RestoreValidator,
        SetParam,
        ExecMsg,
    )
}


class _ActionField:
    """An action as a proposal carries it: ``{"type": KIND, ...its fields}``."""

    def decode(self, value: Any, name: str) -> Action:
        return self._decode(value, name, json=False)

    def encode(self, value: Action) -> dict[str, Any]:
        return value.to_value()

    def decode_json(self, value: Any, name: str) -> Action:
        return self._decode(value, name, json=True)

    def encode_json(self, value: Action) -> dict[str, Any]:
        return {"type": value.KIND, **value.to_json()}

    @staticmethod
    def _decode(value: Any, name: str, *, json: bool) -> Action:
        kind = value.get("type") if isinstance(value, dict) else None
        cls = ACTIONS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ErrInvalidMsg(f"{name}: 'type' must be one of {sorted(ACTIONS)}, got {kind!r}")
        body = {k: v for k, v in value.items() if k != "type"}
        try:
            return (
                cls.from_json(body, what="its fields")
                if json
                else cls.from_obj(body, what="its fields")
            )
        except FinchainError as exc:
            raise exc.error(f"{name} ({kind}): {exc.message}") from None


ACTION = _ActionField()
ACTION_LIST = ListOf(ACTION, max_items=MAX_ACTIONS)


# -- proposals, votes, evidence -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally(Record):
    """Weights at the end of the voting period; only current members' votes count."""

    yes: int = wire(COUNT)
    no: int = wire(COUNT)
    abstain: int = wire(COUNT)
    total_weight: int = wire(COUNT)

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True, slots=True)
class Failure(Record):
    """Why a passed proposal failed to execute: the error its first failing action raised."""

    codespace: str = wire(Text(max_len=64))
    code: int = wire(Integer(low=0, high=2**32 - 1))
    log: str = wire(Text(max_len=1 << 20, allow_empty=True))


@dataclass(frozen=True, slots=True)
class Proposal(Record):
    """A proposal and its whole history; kept forever so that any decision can be audited.

    ``voting_end`` is the last height whose votes count; ``execute_at`` is set
    when the proposal passes; ``final_height`` when it is rejected, executed or
    failed; ``rejected_for`` is ``quorum`` or ``threshold`` once rejected.
    """

    WHAT = "proposal"
    id: int = wire(ID)
    proposer: str = wire(ACCOUNT)
    title: str = wire(TITLE)
    description: str = wire(DESCRIPTION)
    actions: tuple[Action, ...] = wire(ACTION_LIST)
    status: str = wire(OneOf(*STATUSES))
    submit_height: int = wire(HEIGHT)
    voting_end: int = wire(HEIGHT)
    execute_at: int = wire(HEIGHT)
    final_height: int = wire(HEIGHT)
    tally: Tally | None = wire(Optional(Nested(Tally)))
    rejected_for: str = wire(OneOf("", "quorum", "threshold"))
    failure: Failure | None = wire(Optional(Nested(Failure)))

    @property
    def due_at(self) -> int | None:
        """The height whose end-block must look at it: tally (voting) or execution (passed)."""
        if self.status == VOTING:
            return self.voting_end
        if self.status == PASSED:
            return self.execute_at
        return None


@dataclass(frozen=True, slots=True)
class Vote(Record):
    """A member's vote; a later vote replaces it until voting ends."""

    WHAT = "vote"
    proposal_id: int = wire(ID)
    voter: str = wire(ACCOUNT)
    option: str = wire(OneOf(*VOTE_OPTIONS))
    height: int = wire(HEIGHT)


@dataclass(frozen=True, slots=True)
class Evidence(Record):
    """Misbehaviour the engine proved, as recorded on chain, with what governance did about it.

    ``outcome``: ``jailed``; ``already_jailed``; ``unknown_validator`` (not in
    the set, e.g. already removed); ``kept_min_validators`` (jailing would have
    left fewer active validators than ``min_validators``: governance must act);
    ``not_jailable`` (a kind finchain does not punish, such as ``unknown``).
    ``validator``, ``height``, ``time_ns``, ``power`` and ``total_voting_power``
    are the engine's report as given.
    """

    WHAT = "evidence"
    id: int = wire(ID)
    kind: str = wire(Text(max_len=64))
    validator: bytes = wire(Blob())
    height: int = wire(HEIGHT)
    time_ns: int = wire(ENGINE_INT)
    power: int = wire(ENGINE_INT)
    total_voting_power: int = wire(ENGINE_INT)
    reported_height: int = wire(HEIGHT)
    outcome: str = wire(OneOf(*OUTCOMES))
