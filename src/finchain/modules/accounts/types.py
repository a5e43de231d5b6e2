"""Accounts, their key policies, and the account id format.

An account id is assigned by the chain from a counter and carries no relation
to any key (JR/T 0184 13.6.2): keys can be rotated or reset while the id, and
every balance and credential bound to it, stays. The id is ``FC`` + two ISO
7064 MOD 97-10 check digits (as in an IBAN) + a ten-digit number, so a typo in
an id is caught before it reaches the chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from finchain.core.schema import expect_fields, get_bytes, get_int, get_list, get_str
from finchain.crypto import SCHEMES, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.accounts.errors import ErrInvalidAccountId, ErrInvalidKey, ErrInvalidPolicy
from finchain.modules.accounts.mfa import (
    MAX_RULES,
    MfaRule,
    check_factor,
    rules_from_list,
    sort_rules,
    unsatisfiable,
)

MAX_ACCOUNT_NUMBER = 10**10 - 1
MAX_WEIGHT = 1_000
KEY_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
ACCOUNT_ID = re.compile(r"FC[0-9]{12}")

STATUS_ACTIVE = "active"
STATUS_FROZEN = "frozen"
STATUS_CLOSED = "closed"
STATUSES = (STATUS_ACTIVE, STATUS_FROZEN, STATUS_CLOSED)


def account_id(number: int) -> str:
    if not 1 <= number <= MAX_ACCOUNT_NUMBER:
        raise ErrInvalidAccountId(f"account number {number} out of range")
    digits = f"{number:010d}"
    check = 98 - int(digits + "151200") % 97
    return f"FC{check:02d}{digits}"


def parse_account_id(text: str) -> int:
    """The account number inside a well-formed id; ErrInvalidAccountId otherwise."""
    if type(text) is not str or not ACCOUNT_ID.fullmatch(text):
        raise ErrInvalidAccountId(f"{str(text)[:40]!r} is not an account id (FC + 12 digits)")
    if int(text[4:] + "1512" + text[2:4]) % 97 != 1:
        raise ErrInvalidAccountId(f"{text} fails its check digits: re-check the id for typos")
    number = int(text[4:])
    if number == 0:
        raise ErrInvalidAccountId(f"{text} is not a valid account number")
    if text != account_id(number):
        # Check digits 00, 01 and 99 pass the mod-97 test as aliases of 97, 98 and 02:
        # one spelling per account, or two strings would name (and key) one account.
        raise ErrInvalidAccountId(
            f"{text} spells its check digits {text[2:4]}; the id is {account_id(number)}"
        )
    return number


def is_account_id(text: object) -> bool:
    return isinstance(text, str) and _valid_account_id(text)


@lru_cache(maxsize=65_536)
def _valid_account_id(text: str) -> bool:
    """Cached: the same ids recur in every block, and the check-digit test is not free."""
    try:
        parse_account_id(text)
    except FinchainError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class AccountKey:
    """A key of a policy; ``factor`` labels its custody for multi-factor rules ("": none).

    ``factor`` is encoded only when set, so a key without one has the same
    bytes as before factors existed (and a single encoding).
    """

    id: str
    scheme: str
    public_key: bytes
    weight: int
    factor: str = ""

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "id": self.id,
            "scheme": self.scheme,
            "public_key": self.public_key,
            "weight": self.weight,
        }
        if self.factor:
            obj["factor"] = self.factor
        return obj

    @classmethod
    def from_obj(cls, obj: Any) -> AccountKey:
        expect_fields(obj, {"id", "scheme", "public_key", "weight"}, "key", optional={"factor"})
        key_id = get_str(obj, "id", max_len=32)
        if not KEY_ID.fullmatch(key_id):
            raise ErrInvalidPolicy(f"key id {key_id!r} must match {KEY_ID.pattern}")
        scheme = get_str(obj, "scheme", max_len=16)
        if scheme not in SCHEMES:
            raise ErrInvalidKey(f"unknown key scheme {scheme!r}; use one of {list(SCHEMES)}")
        public_key = get_bytes(obj, "public_key", max_len=65)
        try:
            public_key_from_bytes(scheme, public_key)
        except FinchainError as exc:
            raise ErrInvalidKey(f"key {key_id!r}: {exc.message}") from None
        weight = get_int(obj, "weight", low=1, high=MAX_WEIGHT)
        factor = check_factor(obj["factor"]) if "factor" in obj else ""
        return cls(key_id, scheme, public_key, weight, factor)


@dataclass(frozen=True, slots=True)
class KeyPolicy:
    """M-of-N control: the signatures' weights must reach ``threshold``.

    ``mfa`` rules additionally ask for keys of several distinct factors for
    named operations (see ``mfa.py``); encoded only when present, so a policy
    without them keeps its pre-MFA bytes and every existing state hash.
    """

    keys: tuple[AccountKey, ...]
    threshold: int
    mfa: tuple[MfaRule, ...] = ()

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"keys": [k.to_obj() for k in self.keys], "threshold": self.threshold}
        if self.mfa:
            obj["mfa"] = [r.to_obj() for r in self.mfa]
        return obj

    @classmethod
    def from_obj(cls, obj: Any, *, max_keys: int = 64) -> KeyPolicy:
        expect_fields(obj, {"keys", "threshold"}, "policy", optional={"mfa"})
        keys = tuple(
            AccountKey.from_obj(k) for k in get_list(obj, "keys", min_items=1, max_items=max_keys)
        )
        threshold = get_int(obj, "threshold", low=1, high=MAX_WEIGHT * max_keys)
        # An empty list would be a second spelling of "no rules": omit the field instead.
        mfa: tuple[MfaRule, ...] = ()
        if "mfa" in obj:
            mfa = rules_from_list(get_list(obj, "mfa", min_items=1, max_items=MAX_RULES))
        policy = cls(tuple(sorted(keys, key=lambda k: k.id)), threshold, mfa)
        policy.check()
        return policy

    def check(self, *, max_keys: int = 64) -> None:
        ids = [k.id for k in self.keys]
        if not 1 <= len(ids) <= max_keys:
            raise ErrInvalidPolicy(f"a policy holds 1 to {max_keys} keys, got {len(ids)}")
        if len(set(ids)) != len(ids):
            raise ErrInvalidPolicy("key ids must be unique within an account")
        publics = [(k.scheme, k.public_key) for k in self.keys]
        if len(set(publics)) != len(publics):
            raise ErrInvalidPolicy("the same public key is listed twice")
        total = sum(k.weight for k in self.keys)
        if not 1 <= self.threshold <= total:
            raise ErrInvalidPolicy(
                f"threshold {self.threshold} must be between 1 and the total key weight {total}"
            )
        if sort_rules(self.mfa) != self.mfa:
            raise ErrInvalidPolicy("mfa rules must be in their canonical order")
        rule = self.unsatisfiable_rule()
        if rule is not None:
            raise ErrInvalidPolicy(
                f"the {rule.operation} rule needs {rule.min_factors} distinct factors but the "
                f"keys carry {len(self.factors())} ({', '.join(sorted(self.factors())) or 'none'})"
                ": label more keys with a factor or lower min_factors"
            )

    def factors(self) -> set[str]:
        """The distinct factor labels of the policy's keys."""
        return {k.factor for k in self.keys if k.factor}

    def unsatisfiable_rule(self) -> MfaRule | None:
        """A rule that no combination of this policy's keys could meet (None: all can be met)."""
        return unsatisfiable(self.mfa, self.factors())

    def key(self, key_id: str) -> AccountKey | None:
        for k in self.keys:
            if k.id == key_id:
                return k
        return None

    def with_keys(self, keys: list[AccountKey]) -> KeyPolicy:
        return replace(self, keys=tuple(sorted(keys, key=lambda k: k.id)))


@dataclass(frozen=True, slots=True)
class Account:
    """An account; ``reset_due`` is the height a pending key reset takes effect (0: none).

    The reset marker lives in the record itself because the ante chain reads the
    record for every transaction anyway and must know whether asset operations
    are locked.
    """

    id: str
    policy: KeyPolicy
    status: str
    recovery: str
    created: int
    reset_due: int = 0

    def to_obj(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "policy": self.policy.to_obj(),
            "status": self.status,
            "recovery": self.recovery,
            "created": self.created,
            "reset_due": self.reset_due,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Account:
        return cls(
            obj["id"],
            _policy_from_state(obj["policy"]),
            obj["status"],
            obj["recovery"],
            obj["created"],
            obj["reset_due"],
        )


def _policy_from_state(obj: dict[str, Any]) -> KeyPolicy:
    """A policy read back from state (validated when it was written)."""
    keys = tuple(
        AccountKey(k["id"], k["scheme"], k["public_key"], k["weight"], k.get("factor", ""))
        for k in obj["keys"]
    )
    mfa = tuple(
        MfaRule(r["operation"], r["min_factors"], r.get("asset", ""), int(r.get("above", "0")))
        for r in obj.get("mfa", ())
    )
    return KeyPolicy(keys, obj["threshold"], mfa)


@dataclass(frozen=True, slots=True)
class PendingReset:
    """A key reset waiting out its lock window; the old policy may cancel it until ``due``."""

    account: str
    policy: KeyPolicy
    initiator: str
    started: int
    due: int

    def to_obj(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "policy": self.policy.to_obj(),
            "initiator": self.initiator,
            "started": self.started,
            "due": self.due,
        }

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> PendingReset:
        return cls(
            obj["account"],
            _policy_from_state(obj["policy"]),
            obj["initiator"],
            obj["started"],
            obj["due"],
        )


def policy_to_json(policy: KeyPolicy) -> dict[str, Any]:
    """The JSON form (genesis files, HTTP API): public keys in hex."""
    obj = policy.to_obj()
    for key in obj["keys"]:
        key["public_key"] = key["public_key"].hex()
    return obj


def policy_from_json(obj: Any, *, max_keys: int = 64) -> KeyPolicy:
    if not isinstance(obj, dict) or not isinstance(obj.get("keys"), list):
        raise ErrInvalidPolicy("policy must be a map with a list of keys")
    keys = []
    for key in obj["keys"]:
        if not isinstance(key, dict) or not isinstance(key.get("public_key"), str):
            raise ErrInvalidPolicy("each key needs a hex 'public_key'")
        try:
            raw = bytes.fromhex(key["public_key"])
        except ValueError:
            raise ErrInvalidKey(f"public key of {key.get('id')!r} is not valid hex") from None
        keys.append({**key, "public_key": raw})
    return KeyPolicy.from_obj({**obj, "keys": keys}, max_keys=max_keys)
