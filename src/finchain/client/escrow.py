"""Identity escrow, client side: build an escrow, approve a disclosure, open it.

An issuer escrows the link between a pseudonymous account and the real
identity so that only m of the n named regulators, together, can read it
(``docs/escrow.md`` has the whole construction and its threat model):

1. the link is encrypted with the suite's AEAD under a fresh data key;
2. the data key is split m-of-n (Shamir, ``finchain.crypto.shamir``);
3. share i is sealed to regulator i's encryption key
   (``finchain.crypto.sealing``).

The chain stores the result as ``{"threshold", "regulators", "ciphertext",
"shares"}`` and counts approvals; the cryptography enforces the threshold on
its own: fewer than m shares do not yield the key, whatever the chain counted.

Example::

    escrow = build_escrow(
        encode_link(account=acct, did=did, name="张三", id_number="110...", issuer=issuer_did,
                    kyc_ref="kyc-2024-0042"),
        [(reg_a, "sm2", pub_a), (reg_b, "sm2", pub_b), (reg_c, "sm2", pub_c)],
        2, suite="gm", chain_id="finchain-1",
    )
    # regulator b approves request 7 of regulator a:
    approval = reseal_share(escrow, reg_b, key_b, "sm2", pub_a, chain_id="finchain-1",
                            request_id=7)
    # regulator a opens with b's approval and its own share:
    link = decode_link(open_escrow(escrow, [approval], key_a, chain_id="finchain-1",
                                   request_id=7, my_account=reg_a))

Contexts bind every sealed share to the chain, the escrow ciphertext and its
holder; every re-sealed share to the chain, the escrow and the request id. So
nothing sealed for one escrow or request opens in another.

Errors (codespace ``crypto``): ``ErrInvalidEscrow`` (malformed input),
``ErrNotARegulator``, ``ErrNotEnoughShares``, ``ErrDecryptionFailed`` (a share
not sealed to this key; or enough shares that still do not open the link: a
share is forged or the ciphertext altered), ``ErrInvalidKey``,
``ErrUnknownEncryptionScheme``, ``ErrUnknownSuite``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.app.genesis import CHAIN_ID
from finchain.codec import cbor
from finchain.crypto import Suite, get_suite
from finchain.crypto.errors import (
    ErrDecryptionFailed,
    ErrInvalidEscrow,
    ErrInvalidKey,
    ErrNotARegulator,
    ErrNotEnoughShares,
)
from finchain.crypto.keys import describe
from finchain.crypto.sealing import EncryptionKey, check_encryption_public_key, open_sealed, seal
from finchain.crypto.shamir import MAX_SHARES, combine, split
from finchain.errors import FinchainError
from finchain.formats.did import is_did
from finchain.modules.accounts.types import is_account_id

MAX_CIPHERTEXT_SIZE = 4096
MAX_SHARE_SIZE = 512
MAX_LINK_SIZE = 2048
MAX_REGULATORS = MAX_SHARES
MAX_LINK_FIELD_LENGTH = 256
MAX_REQUEST_ID_LENGTH = 128
MAX_COMBINATIONS = 1024
"""How many m-subsets :func:`open_escrow` looks at when more than m shares arrived
and some are wrong; beyond that it gives up and says so."""

LINK_FIELDS = ("account", "did", "name", "id_number", "issuer", "kyc_ref")

_PAD_BLOCK = 256
_ZERO_NONCE = bytes(12)
_FORMATS = {0x01: "gm", 0x02: "intl"}
_FORMAT_OF_SUITE = {suite: fmt for fmt, suite in _FORMATS.items()}
_ESCROW_FIELDS = frozenset({"threshold", "regulators", "ciphertext", "shares"})

Regulator = tuple[str, str, bytes]
"""``(account id, sealing scheme, encryption public key)``."""


def encode_link(
    *, account: str, did: str, name: str, id_number: str, issuer: str, kyc_ref: str
) -> bytes:
    """The canonical bytes of an identity link: a DAG-CBOR map of :data:`LINK_FIELDS`.

    Parameters:
        account: the pseudonymous account id.
        did: the holder's ``did:finchain`` DID.
        name, id_number: the real identity; only ever in the escrow, encrypted.
        issuer: the issuer's DID or account id.
        kyc_ref: the issuer's reference to its KYC file.

    Raises ``ErrInvalidEscrow`` naming the bad field.
    """
    link = {
        "account": account,
        "did": did,
        "name": name,
        "id_number": id_number,
        "issuer": issuer,
        "kyc_ref": kyc_ref,
    }
    _check_link(link)
    data = cbor.encode(link)
    if len(data) > MAX_LINK_SIZE:
        raise ErrInvalidEscrow(
            f"the identity link encodes to {len(data)} bytes, over {MAX_LINK_SIZE}: "
            "shorten the name, id number or KYC reference"
        )
    return data


def decode_link(data: bytes) -> dict[str, str]:
    """The fields of a link made by :func:`encode_link`; ``ErrInvalidEscrow`` otherwise."""
    if not isinstance(data, bytes):
        raise ErrInvalidEscrow(f"an identity link is bytes, got {describe(data)}")
    try:
        link = cbor.decode(data, max_size=MAX_LINK_SIZE)
    except FinchainError as exc:
        raise ErrInvalidEscrow(f"identity link is not canonical DAG-CBOR: {exc.message}") from None
    if not isinstance(link, dict):
        raise ErrInvalidEscrow("identity link is not a map")
    _check_link(link)
    return link


def build_escrow(
    link: bytes,
    regulators: Sequence[Regulator],
    threshold: int,
    *,
    suite: str,
    chain_id: str,
) -> dict[str, Any]:
    """The escrow map for the chain: ``link`` readable by any ``threshold`` regulators.

    Parameters:
        link: the bytes to escrow (:func:`encode_link`), 1 to :data:`MAX_LINK_SIZE`.
        regulators: ``(account, scheme, public key)`` each, distinct accounts,
            in any order; the escrow lists them sorted, share i for regulator i.
        threshold: m, with 1 <= m <= len(regulators).
        suite: the chain's crypto suite (``gm``: SM4-GCM; ``intl``: AES-256-GCM).
        chain_id: the chain the escrow is for.

    Raises ``ErrInvalidEscrow``, ``ErrUnknownSuite``, and ``ErrInvalidKey`` /
    ``ErrUnknownEncryptionScheme`` naming the regulator whose key is bad.
    """
    crypto_suite = get_suite(suite)
    _check_chain_id(chain_id)
    if not isinstance(link, bytes) or not 1 <= len(link) <= MAX_LINK_SIZE:
        raise ErrInvalidEscrow(f"link must be 1 to {MAX_LINK_SIZE} bytes, got {describe(link)}")
    ordered = _check_regulators(regulators)
    accounts = [account for account, _, _ in ordered]
    _check_threshold(threshold, len(accounts))

    fmt = _FORMAT_OF_SUITE[crypto_suite.name]
    aead = crypto_suite.aead
    data_key = secrets.token_bytes(aead.key_size)
    aad = _link_aad(fmt, chain_id, accounts, threshold)
    # The data key is used once, so a fixed nonce never repeats under it.
    ciphertext = bytes((fmt,)) + aead.encrypt(data_key, _ZERO_NONCE, _pad(link), aad)
    digest = crypto_suite.hash(ciphertext)
    shares = [
        seal(scheme, public_key, share, context=_share_context(chain_id, digest, account))
        for (account, scheme, public_key), share in zip(
            ordered, split(data_key, threshold, len(ordered)), strict=True
        )
    ]
    return {
        "threshold": threshold,
        "regulators": accounts,
        "ciphertext": ciphertext,
        "shares": shares,
    }


def reseal_share(
    escrow: Mapping[str, Any],
    regulator: str | int,
    private_key: EncryptionKey,
    requester_scheme: str,
    requester_public_key: bytes,
    *,
    chain_id: str,
    request_id: str | int,
) -> bytes:
    """A regulator's approval: its own share, opened and sealed to the requester.

    Parameters:
        escrow: the escrow map as stored on chain.
        regulator: the approver's account id, or its index in ``escrow["regulators"]``.
        private_key: the approver's encryption key.
        requester_scheme, requester_public_key: the requesting regulator's
            encryption key (as registered on chain).
        chain_id, request_id: the disclosure request this approval is for.

    Raises ``ErrInvalidEscrow``, ``ErrNotARegulator``, ``ErrDecryptionFailed``
    (the share is not sealed to ``private_key``), ``ErrInvalidKey``.
    """
    parsed = _parse_escrow(escrow)
    _check_chain_id(chain_id)
    _check_request_id(request_id)
    _check_private_key(private_key)
    check_encryption_public_key(requester_scheme, requester_public_key)
    share = _own_share(parsed, _regulator_index(parsed, regulator), private_key, chain_id)
    return seal(
        requester_scheme,
        requester_public_key,
        share,
        context=_reshare_context(chain_id, parsed.digest, request_id),
    )


def open_escrow(
    escrow: Mapping[str, Any],
    shares_for_me: Sequence[bytes],
    private_key: EncryptionKey,
    *,
    chain_id: str,
    request_id: str | int,
    my_account: str | None = None,
) -> bytes:
    """The escrowed link, from the approvals of a disclosure request.

    Parameters:
        escrow: the escrow map as stored on chain.
        shares_for_me: the re-sealed shares of the approvals (:func:`reseal_share`).
        private_key: the requester's encryption key.
        chain_id, request_id: the request the approvals are for.
        my_account: the requester's account, if it is one of the escrow's
            regulators: its own share then counts too.

    Shares that do not open (not for this key or request, altered) are
    skipped, and repeats count once. If more than m remain and the first m do
    not open the link, other m-subsets are tried (up to :data:`MAX_COMBINATIONS`),
    so one wrong approval cannot block a disclosure the others support.

    Raises ``ErrNotEnoughShares`` (fewer than m distinct valid shares),
    ``ErrDecryptionFailed`` (no m of them open the link), ``ErrInvalidEscrow``,
    ``ErrNotARegulator`` (``my_account`` is not a regulator).
    """
    parsed = _parse_escrow(escrow)
    _check_chain_id(chain_id)
    _check_request_id(request_id)
    _check_private_key(private_key)
    if isinstance(shares_for_me, bytes | str) or not isinstance(shares_for_me, Sequence):
        raise ErrInvalidEscrow(
            f"shares_for_me must be a list of bytes, got {describe(shares_for_me)}"
        )
    if len(shares_for_me) > MAX_REGULATORS:
        raise ErrInvalidEscrow(f"{len(shares_for_me)} shares given, at most {MAX_REGULATORS}")

    # Distinct shares; two with the same x but different values are both kept,
    # since an approver may have forged another's x and only the AEAD can tell.
    found: set[bytes] = set()
    if my_account is not None:
        found.add(_own_share(parsed, _regulator_index(parsed, my_account), private_key, chain_id))
    context = _reshare_context(chain_id, parsed.digest, request_id)
    unusable = 0
    for sealed in shares_for_me:
        try:
            share = open_sealed(private_key.scheme, private_key, sealed, context=context)
        except FinchainError as exc:
            if not ErrDecryptionFailed.matches(exc):
                raise
            unusable += 1
            continue
        if not _share_fits(parsed, share):
            unusable += 1
            continue
        found.add(share)

    m = parsed.threshold
    holders = len({share[0] for share in found})
    if holders < m:
        raise ErrNotEnoughShares(
            f"shares of {holders} distinct regulators, the escrow needs {m} "
            f"({len(shares_for_me)} approvals given, {unusable} unusable: not sealed to this "
            f"key for request {request_id!r} on {chain_id}, or altered): wait for more approvals"
        )
    candidates = sorted(found)
    subsets = itertools.combinations(candidates, m)
    for subset in itertools.islice(subsets, MAX_COMBINATIONS):
        if len({share[0] for share in subset}) < m:
            continue
        link = _decrypt_link(parsed, chain_id, combine(subset))
        if link is not None:
            return link
    raise ErrDecryptionFailed(
        f"no {m} of the {len(candidates)} distinct shares open the escrow (tried at most "
        f"{MAX_COMBINATIONS} subsets): at least one approval carries a wrong share, or the "
        "escrow ciphertext was altered; report the approvers"
    )


# -- internals -------------------------------------------------------------


@dataclass(frozen=True)
class _Escrow:
    threshold: int
    regulators: list[str]
    ciphertext: bytes
    shares: list[bytes]
    suite: Suite
    fmt: int
    digest: bytes


def _parse_escrow(escrow: Mapping[str, Any]) -> _Escrow:
    """Check the escrow map as strictly as the chain does, plus the ciphertext format."""
    if not isinstance(escrow, Mapping) or set(escrow) != _ESCROW_FIELDS:
        raise ErrInvalidEscrow(
            "an escrow is a map with exactly the fields ciphertext, regulators, shares, threshold"
        )
    regulators = escrow["regulators"]
    if not isinstance(regulators, list) or not 1 <= len(regulators) <= MAX_REGULATORS:
        raise ErrInvalidEscrow(f"escrow regulators must be a list of 1 to {MAX_REGULATORS}")
    if not all(is_account_id(account) for account in regulators):
        raise ErrInvalidEscrow("escrow regulators must all be account ids")
    if any(a >= b for a, b in itertools.pairwise(regulators)):
        raise ErrInvalidEscrow("escrow regulators must be sorted and distinct")
    threshold = escrow["threshold"]
    _check_threshold(threshold, len(regulators))
    ciphertext = escrow["ciphertext"]
    if not isinstance(ciphertext, bytes) or not 1 <= len(ciphertext) <= MAX_CIPHERTEXT_SIZE:
        raise ErrInvalidEscrow(
            f"escrow ciphertext must be 1 to {MAX_CIPHERTEXT_SIZE} bytes, "
            f"got {describe(ciphertext)}"
        )
    if ciphertext[0] not in _FORMATS:
        raise ErrInvalidEscrow(
            f"escrow ciphertext format {ciphertext[0]:#04x} is unknown: upgrade finchain"
        )
    shares = escrow["shares"]
    if not isinstance(shares, list) or len(shares) != len(regulators):
        raise ErrInvalidEscrow("escrow shares must be a list with one entry per regulator")
    if not all(isinstance(s, bytes) and 1 <= len(s) <= MAX_SHARE_SIZE for s in shares):
        raise ErrInvalidEscrow(f"each escrow share must be 1 to {MAX_SHARE_SIZE} bytes")
    suite = get_suite(_FORMATS[ciphertext[0]])
    return _Escrow(
        threshold=threshold,
        regulators=list(regulators),
        ciphertext=ciphertext,
        shares=list(shares),
        suite=suite,
        fmt=ciphertext[0],
        digest=suite.hash(ciphertext),
    )


def _decrypt_link(parsed: _Escrow, chain_id: str, data_key: bytes) -> bytes | None:
    aad = _link_aad(parsed.fmt, chain_id, parsed.regulators, parsed.threshold)
    try:
        padded = parsed.suite.aead.decrypt(data_key, _ZERO_NONCE, parsed.ciphertext[1:], aad)
    except FinchainError as exc:
        if not ErrDecryptionFailed.matches(exc):
            raise
        return None
    return _unpad(padded)


def _own_share(parsed: _Escrow, index: int, key: EncryptionKey, chain_id: str) -> bytes:
    """Regulator ``index``'s Shamir share, opened with its key."""
    account = parsed.regulators[index]
    share = open_sealed(
        key.scheme,
        key,
        parsed.shares[index],
        context=_share_context(chain_id, parsed.digest, account),
    )
    if not _share_fits(parsed, share) or share[0] != index + 1:
        raise ErrInvalidEscrow(
            f"the share sealed to {account} is malformed: the issuer built a bad escrow"
        )
    return share


def _share_fits(parsed: _Escrow, share: bytes) -> bool:
    """Right size for this escrow's data key, with an x of one of its regulators."""
    return len(share) == parsed.suite.aead.key_size + 1 and 1 <= share[0] <= len(parsed.regulators)


def _regulator_index(parsed: _Escrow, regulator: object) -> int:
    if isinstance(regulator, int) and not isinstance(regulator, bool):
        if 0 <= regulator < len(parsed.regulators):
            return regulator
        raise ErrNotARegulator(
            f"regulator index {regulator} is outside the escrow's {len(parsed.regulators)}"
        )
    if isinstance(regulator, str) and regulator in parsed.regulators:
        return parsed.regulators.index(regulator)
    raise ErrNotARegulator(
        f"{str(regulator)[:40]!r} is not one of the escrow's regulators "
        f"({', '.join(parsed.regulators)}): only they hold shares"
    )


def _check_regulators(regulators: Sequence[Regulator]) -> list[Regulator]:
    if isinstance(regulators, bytes | str) or not isinstance(regulators, Sequence):
        raise ErrInvalidEscrow(f"regulators must be a list, got {describe(regulators)}")
    if not 1 <= len(regulators) <= MAX_REGULATORS:
        raise ErrInvalidEscrow(f"give 1 to {MAX_REGULATORS} regulators, got {len(regulators)}")
    for entry in regulators:
        if not isinstance(entry, tuple) or len(entry) != 3:
            raise ErrInvalidEscrow("each regulator is a tuple (account id, scheme, public key)")
        account, scheme, public_key = entry
        if not is_account_id(account):
            raise ErrInvalidEscrow(f"regulator {str(account)[:40]!r} is not an account id")
        try:
            check_encryption_public_key(scheme, public_key)
        except FinchainError as exc:
            raise exc.error(f"regulator {account}: {exc.message}") from None
    ordered = sorted(regulators, key=lambda entry: entry[0])
    for (a, _, _), (b, _, _) in itertools.pairwise(ordered):
        if a == b:
            raise ErrInvalidEscrow(f"regulator {a} is listed twice: list each regulator once")
    return ordered


def _check_threshold(threshold: object, n: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= n:
        raise ErrInvalidEscrow(
            f"threshold {threshold!r} must be an integer from 1 to the {n} regulators"
        )


def _check_private_key(key: object) -> None:
    if not isinstance(key, EncryptionKey):
        raise ErrInvalidKey(
            f"the private key must be an EncryptionKey (load_encryption_key), got {describe(key)}"
        )


def _check_chain_id(chain_id: object) -> None:
    if not isinstance(chain_id, str) or not CHAIN_ID.fullmatch(chain_id):
        raise ErrInvalidEscrow(f"chain id {str(chain_id)[:60]!r} must match {CHAIN_ID.pattern}")


def _check_request_id(request_id: object) -> None:
    if isinstance(request_id, bool):
        ok = False
    elif isinstance(request_id, int):
        ok = 0 <= request_id < 2**64
    elif isinstance(request_id, str):
        ok = 1 <= len(request_id) <= MAX_REQUEST_ID_LENGTH
    else:
        ok = False
    if not ok:
        raise ErrInvalidEscrow(
            f"request id {str(request_id)[:40]!r} must be an integer in [0, 2^64) or a string "
            f"of 1 to {MAX_REQUEST_ID_LENGTH} characters"
        )


def _check_link(link: dict[str, Any]) -> None:
    if set(link) != set(LINK_FIELDS):
        raise ErrInvalidEscrow(f"an identity link has exactly the fields {', '.join(LINK_FIELDS)}")
    for field in LINK_FIELDS:
        value = link[field]
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_LINK_FIELD_LENGTH:
            raise ErrInvalidEscrow(
                f"link field {field} must be a string of 1 to {MAX_LINK_FIELD_LENGTH} characters"
            )
    if not is_account_id(link["account"]):
        raise ErrInvalidEscrow(f"link field account {link['account'][:40]!r} is not an account id")
    if not is_did(link["did"]):
        raise ErrInvalidEscrow(f"link field did {link['did'][:80]!r} is not a did:finchain DID")


# The contexts and associated data are canonical DAG-CBOR lists: unambiguous,
# and each starts with a label naming its purpose, so none can stand for another.


def _link_aad(fmt: int, chain_id: str, regulators: list[str], threshold: int) -> bytes:
    return cbor.encode(["finchain/escrow/link/v1", fmt, chain_id, regulators, threshold])


def _share_context(chain_id: str, digest: bytes, account: str) -> bytes:
    return cbor.encode(["finchain/escrow/share/v1", chain_id, digest, account])


def _reshare_context(chain_id: str, digest: bytes, request_id: str | int) -> bytes:
    return cbor.encode(["finchain/escrow/reshare/v1", chain_id, digest, request_id])


def _pad(link: bytes) -> bytes:
    """``len (2 bytes) || link || zeros`` to a multiple of 256: hides the link's exact length."""
    framed = len(link).to_bytes(2, "big") + link
    return framed + bytes(-len(framed) % _PAD_BLOCK)


def _unpad(padded: bytes) -> bytes:
    length = int.from_bytes(padded[:2], "big")
    if len(padded) < 2 + length or any(padded[2 + length :]):
        raise ErrInvalidEscrow("the decrypted escrow is not framed as finchain writes it")
    return padded[2 : 2 + length]
