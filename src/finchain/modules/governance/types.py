"""Governance records: parameters, members, validators, proposals, votes, evidence.

Every ratio is an integer fraction compared by cross-multiplication, never a
float: two nodes must reach the same verdict on the same votes, bit for bit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from math import gcd
from typing import Any

from finchain.core.authority import GOV_AUTHORITY as GOV_AUTHORITY
from finchain.crypto import hash_bytes
from finchain.modules.governance.errors import ErrInvalidParam

MAX_WEIGHT = 1_000_000
MAX_POWER = 2**57  # the engine's cap on total voting power (CometBFT allows a little more)
MAX_PERIOD = 10_000_000
MAX_MIN_VALIDATORS = 10_000
MAX_CHAIN_PARAM = 2**62
VALIDATOR_SCHEMES = ("ed25519", "sm2")
ADDRESS_BYTES = 20


"""The signer of messages a passed proposal executes; no account id can equal it."""

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

_FRACTION = re.compile(r"([0-9]{1,9})/([1-9][0-9]{0,8})")


def address(public_key: bytes) -> bytes:
    """A validator's address, as CometBFT computes it: the first 20 bytes of SHA-256(key).

    Used for keys of either scheme, so a validator has one name on and off chain.
    """
    return hash_bytes("sha256", public_key)[:ADDRESS_BYTES]


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


@dataclass(frozen=True, slots=True)
class GovParams:
    """Governance parameters (genesis; changeable by proposal).

    ``pass_threshold``: a proposal passes only if its yes weight is strictly
    greater than this share of the total member weight; it must lie in
    (1/2, 1), so that no minority can ever pass anything and something can pass.
    ``quorum``: the share of the total member weight that must vote (abstain
    counts) for the result to stand; in (0, 1].
    """

    voting_period: int = 100
    pass_threshold: Fraction = Fraction(2, 3)
    quorum: Fraction = Fraction(1, 2)
    execution_delay: int = 10
    min_validators: int = 1

    def to_obj(self) -> dict[str, Any]:
        return {
            "voting_period": self.voting_period,
            "pass_threshold": str(self.pass_threshold),
            "quorum": str(self.quorum),
            "execution_delay": self.execution_delay,
            "min_validators": self.min_validators,
        }

    @classmethod
    def from_obj(cls, obj: Any) -> GovParams:
        """Strict: unknown names are refused; names not given keep their default."""
        if not isinstance(obj, dict):
            raise ErrInvalidParam("governance params must be a map")
        params = cls()
        for name, value in sorted(obj.items()):
            params = params.with_value(name, value)
        return params

    def with_value(self, name: str, value: object) -> GovParams:
        parsed: Any = parse_gov_param(name, value)
        return replace(self, **{name: parsed})


GOV_PARAM_NAMES = tuple(f.name for f in fields(GovParams))


def parse_gov_param(name: str, value: object) -> int | Fraction:
    """Check one governance parameter's wire value; ErrInvalidParam says what is allowed."""
    if name in ("pass_threshold", "quorum"):
        fraction = Fraction.parse(value, name=name)
        if name == "pass_threshold" and not (HALF < fraction < ONE):
            raise ErrInvalidParam(
                f"pass_threshold must be above 1/2 and below 1, got {fraction}: a threshold of "
                "1/2 or less would let a minority-or-tie pass proposals"
            )
        if name == "quorum" and not (Fraction(0, 1) < fraction <= ONE):
            raise ErrInvalidParam(f"quorum must be above 0 and at most 1, got {fraction}")
        return fraction
    bounds = {
        "voting_period": (1, MAX_PERIOD),
        "execution_delay": (0, MAX_PERIOD),
        "min_validators": (1, MAX_MIN_VALIDATORS),
    }
    if name not in bounds:
        raise ErrInvalidParam(
            f"unknown governance param {name!r}; known: {sorted(GOV_PARAM_NAMES)}"
        )
    low, high = bounds[name]
    if type(value) is not int or not low <= value <= high:
        raise ErrInvalidParam(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Member:
    """An institution with a vote. ``did`` is reserved for the identity module (empty now)."""

    account: str
    name: str
    weight: int
    since: int
    did: str = ""

    def to_obj(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "name": self.name,
            "weight": self.weight,
            "since": self.since,
            "did": self.did,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Member:
        return cls(obj["account"], obj["name"], obj["weight"], obj["since"], obj["did"])


@dataclass(frozen=True, slots=True)
class Validator:
    """A consensus validator. A jailed one keeps its record (and last power) but votes with 0."""

    address: bytes
    scheme: str
    public_key: bytes
    name: str
    power: int
    status: str
    since: int

    @property
    def effective_power(self) -> int:
        """The power the engine is told: 0 while jailed."""
        return self.power if self.status == VALIDATOR_ACTIVE else 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "scheme": self.scheme,
            "public_key": self.public_key,
            "name": self.name,
            "power": self.power,
            "status": self.status,
            "since": self.since,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Validator:
        return cls(
            obj["address"],
            obj["scheme"],
            obj["public_key"],
            obj["name"],
            obj["power"],
            obj["status"],
            obj["since"],
        )


@dataclass(frozen=True, slots=True)
class Tally:
    """Weights at the end of the voting period; only current members' votes count."""

    yes: int
    no: int
    abstain: int
    total_weight: int

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    def to_obj(self) -> dict[str, Any]:
        return {
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "total_weight": self.total_weight,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Tally:
        return cls(obj["yes"], obj["no"], obj["abstain"], obj["total_weight"])


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a passed proposal failed to execute: the error its first failing action raised."""

    codespace: str
    code: int
    log: str

    def to_obj(self) -> dict[str, Any]:
        return {"codespace": self.codespace, "code": self.code, "log": self.log}

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Failure:
        return cls(obj["codespace"], obj["code"], obj["log"])


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposal and its whole history; kept forever so that any decision can be audited.

    ``actions`` holds the wire maps of the actions (none for a text proposal).
    ``voting_end`` is the last height whose votes count; ``execute_at`` is set
    when the proposal passes; ``final_height`` when it is rejected, executed or failed.
    """

    id: int
    proposer: str
    title: str
    description: str
    actions: tuple[dict[str, Any], ...]
    status: str
    submit_height: int
    voting_end: int
    execute_at: int = 0
    final_height: int = 0
    tally: Tally | None = None
    rejected_for: str = ""
    failure: Failure | None = None

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "proposer": self.proposer,
            "title": self.title,
            "description": self.description,
            "actions": list(self.actions),
            "status": self.status,
            "submit_height": self.submit_height,
            "voting_end": self.voting_end,
            "execute_at": self.execute_at,
            "final_height": self.final_height,
            "tally": None if self.tally is None else self.tally.to_obj(),
            "rejected_for": self.rejected_for,
            "failure": None if self.failure is None else self.failure.to_obj(),
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Proposal:
        return cls(
            obj["id"],
            obj["proposer"],
            obj["title"],
            obj["description"],
            tuple(obj["actions"]),
            obj["status"],
            obj["submit_height"],
            obj["voting_end"],
            obj["execute_at"],
            obj["final_height"],
            None if obj["tally"] is None else Tally.from_obj(obj["tally"]),
            obj["rejected_for"],
            None if obj["failure"] is None else Failure.from_obj(obj["failure"]),
        )


@dataclass(frozen=True, slots=True)
class Vote:
    proposal_id: int
    voter: str
    option: str
    height: int

    def to_obj(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "voter": self.voter,
            "option": self.option,
            "height": self.height,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Vote:
        return cls(obj["proposal_id"], obj["voter"], obj["option"], obj["height"])


@dataclass(frozen=True, slots=True)
class Evidence:
    """Misbehaviour the engine proved, as recorded on chain, with what governance did about it.

    ``outcome``: ``jailed``; ``already_jailed``; ``unknown_validator`` (not in
    the set, e.g. already removed); ``kept_min_validators`` (jailing would have
    left fewer active validators than ``min_validators``: governance must act);
    ``not_jailable`` (a kind finchain does not punish, such as ``unknown``).
    """

    id: int
    kind: str
    validator: bytes
    height: int
    time_ns: int
    power: int
    total_voting_power: int
    reported_height: int
    outcome: str

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "validator": self.validator,
            "height": self.height,
            "time_ns": self.time_ns,
            "power": self.power,
            "total_voting_power": self.total_voting_power,
            "reported_height": self.reported_height,
            "outcome": self.outcome,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Evidence:
        return cls(
            obj["id"],
            obj["kind"],
            obj["validator"],
            obj["height"],
            obj["time_ns"],
            obj["power"],
            obj["total_voting_power"],
            obj["reported_height"],
            obj["outcome"],
        )
