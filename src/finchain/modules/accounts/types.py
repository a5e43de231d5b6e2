"""Accounts, their key policies, and the account id format.

An account id is assigned by the chain from a counter and carries no relation
to any key (JR/T 0184 13.6.2): keys can be rotated or reset while the id, and
every balance and credential bound to it, stays. The id is ``FC`` + two ISO
7064 MOD 97-10 check digits (as in an IBAN) + a ten-digit number, so a typo in
an id is caught before it reaches the chain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from finchain.core.authority import AccountStatus
from finchain.core.errors import ErrInvalidMsg
from finchain.core.fields import HEIGHT, PUBLIC_KEY, Integer, ListOf, Nested, Record, Text, wire
from finchain.core.query import str_param
from finchain.crypto import SCHEMES, public_key_from_bytes
from finchain.errors import FinchainError
from finchain.modules.accounts.errors import ErrInvalidAccountId, ErrInvalidKey, ErrInvalidPolicy
from finchain.modules.accounts.mfa import FACTOR_LABEL, MfaRule, Rules, sort_rules, unsatisfiable

MAX_ACCOUNT_NUMBER = 10**10 - 1
MAX_WEIGHT = 1_000
MAX_KEYS = 64  # on the wire; the chain parameter max_keys_per_account may be lower
KEY_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
ACCOUNT_ID = re.compile(r"FC[0-9]{12}")


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


def account_param(params: Mapping[str, Any], name: str = "account") -> str:
    """Query parameter ``name`` as an account id (``tx:25`` when it is not one)."""
    return str_param(params, name, is_account_id, "a valid account id")


@lru_cache(maxsize=65_536)
def _valid_account_id(text: str) -> bool:
    """Cached: the same ids recur in every block, and the check-digit test is not free."""
    try:
        parse_account_id(text)
    except FinchainError:
        return False
    return True


# -- field codecs: each format declared once --------------------------------------------------

#: An account id (``FC`` + check digits + number), check digits verified.
ACCOUNT = Text(max_len=14, check=is_account_id, what="an account id")
#: An account id, or "" for none (a recovery account that is not set).
ACCOUNT_OR_NONE = Text(
    max_len=14,
    allow_empty=True,
    check=lambda text: not text or is_account_id(text),
    what="an account id (or empty)",
)
#: A key's id within its account's policy.
KEY_NAME = Text(max_len=32, pattern=KEY_ID.pattern, what=f"a key id matching {KEY_ID.pattern}")
SCHEME = Text(max_len=16)  # checked against the known schemes with the key (ErrInvalidKey)
WEIGHT = Integer(low=1, high=MAX_WEIGHT)
THRESHOLD = Integer(low=1, high=MAX_WEIGHT * MAX_KEYS)


class _Status:
    """An account's status: its string on the wire, an ``AccountStatus`` in memory."""

    def decode(self, value: Any, name: str) -> AccountStatus:
        if type(value) is not str or value not in _STATUSES:
            raise ErrInvalidMsg(f"field {name!r} must be one of {sorted(_STATUSES)}")
        return AccountStatus(value)

    def encode(self, value: AccountStatus) -> str:
        return str(value)


_STATUSES = frozenset(s.value for s in AccountStatus)
STATUS = _Status()


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class AccountKey(Record):
    """A key of a policy; ``factor`` labels its custody for multi-factor rules ("": none).

    ``factor`` is encoded only when set, so a key without one has the same
    bytes as before factors existed (and a single encoding).
    """

    WHAT = "key"
    id: str = wire(KEY_NAME)
    scheme: str = wire(SCHEME)
    public_key: bytes = wire(PUBLIC_KEY)
    weight: int = wire(WEIGHT)
    factor: str = wire(FACTOR_LABEL, default="")

    def check(self) -> None:
        if self.scheme not in SCHEMES:
            raise ErrInvalidKey(f"unknown key scheme {self.scheme!r}; use one of {list(SCHEMES)}")
        try:
            public_key_from_bytes(self.scheme, self.public_key)
        except FinchainError as exc:
            raise ErrInvalidKey(f"key {self.id!r}: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class KeyPolicy(Record):
    """M-of-N control: the signatures' weights must reach ``threshold``.

    Keys are held (and encoded) in key id order, whatever order the sender
    chose. ``mfa`` rules additionally ask for keys of several distinct factors
    for named operations (see ``mfa.py``); encoded only when present, so a
    policy without them keeps its pre-MFA bytes.
    """

    WHAT = "policy"
    keys: tuple[AccountKey, ...] = wire(
        ListOf(Nested(AccountKey), min_items=1, max_items=MAX_KEYS, sort=True)
    )
    threshold: int = wire(THRESHOLD)
    # An empty list would be a second spelling of "no rules": the field is omitted instead.
    mfa: tuple[MfaRule, ...] = wire(Rules(min_items=1), default=())

    def check(self, *, max_keys: int = MAX_KEYS) -> None:
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
class Account(Record):
    """An account; ``reset_due`` is the height a pending key reset takes effect (0: none).

    The reset marker lives in the record itself because the ante chain reads the
    record for every transaction anyway and must know whether asset operations
    are locked. ``status`` is stored as its string (``"active"``…).
    """

    WHAT = "account"
    id: str = wire(ACCOUNT)
    policy: KeyPolicy = wire(Nested(KeyPolicy))
    status: AccountStatus = wire(STATUS)
    recovery: str = wire(ACCOUNT_OR_NONE)
    created: int = wire(HEIGHT)
    reset_due: int = wire(HEIGHT)  # always present, as the account query shows it


def account_from_state(obj: dict[str, Any]) -> Account:
    """An account read back from state, without re-checking what was checked when it was written.

    Every transaction reads its sender's account and its recipients' statuses. The
    declared ``Account.from_obj`` re-validates each public key (a curve check):
    100 µs per account against 11 µs here. Decoded accounts are memoised by their
    bytes (``keys.ACCOUNTS``, 65,536 of them), so ``benchmarks/bench_app.py --scheme
    ed25519`` with its 10,000 accounts shows no difference; with ``--accounts 100000``
    (more accounts than the memo holds, or a node that just restarted) the declared
    decoder gave 2,800 tx/s against 3,550-3,800 with this one, more than the 5 % a
    hand-written decoder needs to earn its place. Its output equals ``Account.from_obj``'s
    (tests/modules/test_accounts_messages.py).
    """
    policy = obj["policy"]
    return Account(
        obj["id"],
        KeyPolicy(
            tuple(
                AccountKey(k["id"], k["scheme"], k["public_key"], k["weight"], k.get("factor", ""))
                for k in policy["keys"]
            ),
            policy["threshold"],
            tuple(
                MfaRule(
                    r["operation"], r["min_factors"], r.get("asset", ""), int(r.get("above", "0"))
                )
                for r in policy.get("mfa", ())
            ),
        ),
        AccountStatus(obj["status"]),
        obj["recovery"],
        obj["created"],
        obj["reset_due"],
    )


@dataclass(frozen=True, slots=True)
class PendingReset(Record):
    """A key reset waiting out its lock window; the old policy may cancel it until ``due``."""

    WHAT = "pending reset"
    account: str = wire(ACCOUNT)
    policy: KeyPolicy = wire(Nested(KeyPolicy))
    initiator: str = wire(ACCOUNT)
    started: int = wire(HEIGHT)
    due: int = wire(HEIGHT)
