"""FATF Recommendation 16 envelopes: originator and beneficiary information, sealed.

The chain carries only ``aml/travel_record``: the envelope's hash and the two
institutions. The information itself travels off chain in a *sealed envelope*
that the beneficiary institution and the regulators can open, and nobody else:

1. :class:`Envelope` holds what R.16's Interpretive Note (paragraph 6) asks of a
   qualifying transfer: the originator's name, account, and address or national
   identity number or customer identification number or date and place of birth;
   the beneficiary's name and account; plus the two institutions (DIDs) and the
   transfer it accompanies (chain, asset, amount in base units). It encodes to
   canonical DAG-CBOR (one byte string per envelope).
2. :func:`seal_envelope` encrypts it once with the suite's AEAD (SM4-GCM on
   ``gm``, AES-256-GCM on ``intl``) under a fresh content key, padded to 256-byte
   blocks, with the chain id and the recipient list as associated data; the
   content key is sealed to each recipient (``finchain.crypto.sealing``: SM2 on
   ``gm``, X25519 HPKE on ``intl``, the scheme the chain's regulators register)
   with a context binding the chain, the ciphertext's hash and the recipient.
3. :func:`envelope_hash` is the suite hash of the sealed bytes: what the
   travel record carries. :func:`open_envelope` checks the framing, opens the
   recipient's slot and returns the envelope; :func:`check_record` compares a
   sealed envelope with the on-chain record and the transfer it claims to cover.

The recipients must include the beneficiary institution (by its DID) and at
least one regulator (by its account id); the originator institution may add
itself to keep a copy. A content key is used once, so the AEAD nonce is fixed.

Example::

    env = Envelope(originator=Party("张三", acct_a, national_id="1101..."),
                   beneficiary=Party("李四", acct_b), originator_institution=bank_a,
                   beneficiary_institution=bank_b, chain_id="finchain-1", asset="CNY",
                   amount=150_000_00)
    sealed = seal_envelope(env, [(bank_b, "sm2", bank_b_key), (reg, "sm2", reg_key)],
                           suite="gm")
    digest = envelope_hash(sealed, suite="gm")         # into aml/travel_record
    opened = open_envelope(sealed, bank_b, bank_b_private_key)
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from finchain.app.genesis import CHAIN_ID
from finchain.codec import cbor
from finchain.crypto import get_suite
from finchain.crypto.sealing import EncryptionKey, check_encryption_public_key, open_sealed, seal
from finchain.errors import FinchainError
from finchain.formats.did import is_did
from finchain.modules.accounts.types import is_account_id
from finchain.offchain.travelrule.errors import (
    ErrEnvelopeMismatch,
    ErrInvalidEnvelope,
    ErrNotARecipient,
)

FORMAT_VERSION = 1
MAX_FIELD_BYTES = 256
MAX_RECIPIENTS = 16
MAX_ENVELOPE_BYTES = 4096
"""The plaintext envelope's limit (the sealed file adds the slots and padding)."""
MAX_SEALED_BYTES = 64 * 1024
SEALING_SCHEME = {"gm": "sm2", "intl": "x25519"}
"""The sealing scheme of each suite: the one the chain's regulators register keys in."""

_PAD_BLOCK = 256
_ZERO_NONCE = bytes(12)
_AAD_LABEL = b"finchain/travelrule/v1\x00"
_SLOT_LABEL = b"finchain/travelrule/slot/v1\x00"
_PARTY_FIELDS = (
    "name",
    "account",
    "address",
    "national_id",
    "customer_id",
    "date_of_birth",
    "place_of_birth",
)
_SEALED_FIELDS = frozenset({"v", "suite", "chain_id", "recipients", "ciphertext"})
_SLOT_FIELDS = frozenset({"to", "scheme", "public_key", "sealed_key"})

Recipient = tuple[str, str, bytes]
"""``(DID of an institution or account id of a regulator, sealing scheme, public key)``."""


@dataclass(frozen=True, slots=True)
class Party:
    """A natural or legal person as R.16 names them; optional fields empty.

    ``account`` is the finchain account the transfer debits or credits; the
    other identifiers are those the institution holds from its KYC
    (``date_of_birth`` as ``YYYY-MM-DD``).
    """

    name: str
    account: str
    address: str = ""
    national_id: str = ""
    customer_id: str = ""
    date_of_birth: str = ""
    place_of_birth: str = ""

    def identifies(self) -> bool:
        """R.16 INR 6(a)(iii): an address, a national identity number, a customer
        identification number, or the date and place of birth."""
        return bool(
            self.address
            or self.national_id
            or self.customer_id
            or (self.date_of_birth and self.place_of_birth)
        )

    def to_obj(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in _PARTY_FIELDS if getattr(self, name)}


@dataclass(frozen=True, slots=True)
class Envelope:
    """What accompanies one transfer (or the several outputs of one message)."""

    originator: Party
    beneficiary: Party
    originator_institution: str
    beneficiary_institution: str
    chain_id: str
    asset: str
    amount: int
    reference: str = ""

    def check(self) -> None:
        """The R.16 fields are present and well formed; ``ErrInvalidEnvelope`` names the first
        that is not."""
        for role, party in (("originator", self.originator), ("beneficiary", self.beneficiary)):
            if not party.name:
                raise ErrInvalidEnvelope(f"the {role}'s name is required (FATF R.16 INR 6)")
            if not is_account_id(party.account):
                raise ErrInvalidEnvelope(f"the {role}'s account must be a finchain account id")
            for name in _PARTY_FIELDS:
                value = getattr(party, name)
                if not isinstance(value, str) or len(value.encode()) > MAX_FIELD_BYTES:
                    raise ErrInvalidEnvelope(
                        f"{role}.{name} must be a string of at most {MAX_FIELD_BYTES} bytes"
                    )
        if not self.originator.identifies():
            raise ErrInvalidEnvelope(
                "the originator needs an address, a national identity number, a customer "
                "identification number, or date and place of birth (FATF R.16 INR 6(a))"
            )
        for role, did in (
            ("originator", self.originator_institution),
            ("beneficiary", self.beneficiary_institution),
        ):
            if not is_did(did):
                raise ErrInvalidEnvelope(f"the {role} institution must be a finchain DID")
        if not CHAIN_ID.fullmatch(self.chain_id):
            raise ErrInvalidEnvelope(f"chain id {self.chain_id[:60]!r} is not valid")
        if not isinstance(self.asset, str) or not 1 <= len(self.asset) <= 16:
            raise ErrInvalidEnvelope("asset must be an asset symbol")
        if type(self.amount) is not int or not 0 < self.amount < 2**63:
            raise ErrInvalidEnvelope("amount must be a positive integer in base units")
        if len(self.reference.encode()) > MAX_FIELD_BYTES:
            raise ErrInvalidEnvelope(f"reference must be at most {MAX_FIELD_BYTES} bytes")

    def to_obj(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "originator": self.originator.to_obj(),
            "beneficiary": self.beneficiary.to_obj(),
            "originator_institution": self.originator_institution,
            "beneficiary_institution": self.beneficiary_institution,
            "chain_id": self.chain_id,
            "asset": self.asset,
            "amount": self.amount,
            "reference": self.reference,
        }

    def encode(self) -> bytes:
        """The canonical DAG-CBOR bytes (checked first)."""
        self.check()
        data = cbor.encode(self.to_obj())
        if len(data) > MAX_ENVELOPE_BYTES:
            raise ErrInvalidEnvelope(
                f"the envelope encodes to {len(data)} bytes, over {MAX_ENVELOPE_BYTES}"
            )
        return data

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """The envelope :meth:`encode` wrote; ``ErrInvalidEnvelope`` for anything else."""
        try:
            obj = cbor.decode(data, max_size=MAX_ENVELOPE_BYTES)
        except FinchainError as exc:
            raise ErrInvalidEnvelope(f"envelope is not canonical DAG-CBOR: {exc.message}") from None
        fields = {
            "v",
            "originator",
            "beneficiary",
            "originator_institution",
            "beneficiary_institution",
            "chain_id",
            "asset",
            "amount",
            "reference",
        }
        if not isinstance(obj, dict) or set(obj) != fields or obj["v"] != FORMAT_VERSION:
            raise ErrInvalidEnvelope(f"an envelope is a map of exactly {sorted(fields)}, v 1")
        envelope = cls(
            _party(obj["originator"], "originator"),
            _party(obj["beneficiary"], "beneficiary"),
            obj["originator_institution"],
            obj["beneficiary_institution"],
            obj["chain_id"],
            obj["asset"],
            obj["amount"],
            obj["reference"],
        )
        envelope.check()
        return envelope


def _party(obj: object, role: str) -> Party:
    if not isinstance(obj, dict) or not set(obj) <= set(_PARTY_FIELDS):
        raise ErrInvalidEnvelope(f"the {role} must be a map of {list(_PARTY_FIELDS)}")
    if not all(isinstance(v, str) and v for v in obj.values()):
        raise ErrInvalidEnvelope(f"the {role}'s fields must be non-empty strings")
    return Party(**{name: obj.get(name, "") for name in _PARTY_FIELDS})


def seal_envelope(envelope: Envelope, recipients: Sequence[Recipient], *, suite: str) -> bytes:
    """The sealed envelope file: ``envelope`` readable by each of ``recipients`` alone.

    Parameters:
        envelope: the information (checked: :meth:`Envelope.check`).
        recipients: ``(id, scheme, public key)``; ids distinct; one of them the
            envelope's beneficiary institution DID, at least one a regulator's
            account id; each scheme the suite's (:data:`SEALING_SCHEME`).
        suite: the chain's crypto suite (``gm`` or ``intl``).

    Raises ``ErrInvalidEnvelope``, and ``ErrInvalidKey`` naming a bad key.
    """
    crypto_suite = get_suite(suite)
    plaintext = envelope.encode()
    slots = _check_recipients(recipients, envelope.beneficiary_institution, suite)
    aead = crypto_suite.aead
    content_key = secrets.token_bytes(aead.key_size)
    aad = _aad(suite, envelope.chain_id, slots)
    ciphertext = aead.encrypt(content_key, _ZERO_NONCE, _pad(plaintext), aad)
    digest = crypto_suite.hash(ciphertext)
    return cbor.encode(
        {
            "v": FORMAT_VERSION,
            "suite": suite,
            "chain_id": envelope.chain_id,
            "ciphertext": ciphertext,
            "recipients": [
                {
                    "to": to,
                    "scheme": scheme,
                    "public_key": public_key,
                    "sealed_key": seal(
                        scheme,
                        public_key,
                        content_key,
                        context=_slot_context(envelope.chain_id, digest, to),
                    ),
                }
                for to, scheme, public_key in slots
            ],
        }
    )


def envelope_hash(sealed: bytes, *, suite: str) -> bytes:
    """The suite hash of the sealed file: what ``aml/travel_record`` carries."""
    return get_suite(suite).hash(sealed)


def recipients_of(sealed: bytes) -> list[str]:
    """Who can open ``sealed`` (the ids of its slots), without opening it."""
    return [to for to, _, _ in _parse(sealed)[3]]


def open_envelope(sealed: bytes, recipient: str, key: EncryptionKey) -> Envelope:
    """The envelope, opened by ``recipient`` (its DID or account id) with its private key.

    Raises ``ErrInvalidEnvelope`` (malformed file), ``ErrNotARecipient``, and
    ``ErrDecryptionFailed`` (the slot is not sealed to this key, or the file was altered).
    """
    suite, chain_id, ciphertext, slots, raw_slots = _parse(sealed)
    index = next((i for i, (to, _, _) in enumerate(slots) if to == recipient), None)
    if index is None:
        raise ErrNotARecipient(
            f"{recipient} is not among the recipients {[to for to, _, _ in slots]}"
        )
    crypto_suite = get_suite(suite)
    context = _slot_context(chain_id, crypto_suite.hash(ciphertext), recipient)
    content_key = open_sealed(slots[index][1], key, raw_slots[index], context=context)
    padded = crypto_suite.aead.decrypt(
        content_key, _ZERO_NONCE, ciphertext, _aad(suite, chain_id, slots)
    )
    envelope = Envelope.decode(_unpad(padded))
    if envelope.chain_id != chain_id:
        raise ErrInvalidEnvelope("the envelope names another chain than its file")
    return envelope


def check_record(
    sealed: bytes,
    envelope: Envelope,
    record: Mapping[str, Any],
    *,
    sender: str,
    recipient: str,
    asset: str,
    amount: int,
) -> None:
    """That ``sealed`` (opened as ``envelope``) is the one the on-chain travel ``record``
    (the ``aml/travel`` query's answer for ``account=sender``) names, recorded by the
    sender, and describes the transfer of ``amount`` ``asset`` from ``sender`` to
    ``recipient``. ``ErrEnvelopeMismatch`` names what differs (a record of the same hash
    by another account is a copy, not the sender's record)."""
    suite, _, _, _, _ = _parse(sealed)
    digest = envelope_hash(sealed, suite=suite).hex()
    expected = {
        "envelope_hash": digest,
        "account": sender,
        "originator_institution": envelope.originator_institution,
        "beneficiary_institution": envelope.beneficiary_institution,
    }
    for name, value in expected.items():
        if record.get(name) != value:
            raise ErrEnvelopeMismatch(
                f"{name}: the record says {record.get(name)!r}, not {value!r}"
            )
    transfer = {
        "originator account": (envelope.originator.account, sender),
        "beneficiary account": (envelope.beneficiary.account, recipient),
        "asset": (envelope.asset, asset),
        "amount": (envelope.amount, amount),
    }
    for name, (said, actual) in transfer.items():
        if said != actual:
            raise ErrEnvelopeMismatch(
                f"{name}: the envelope says {said!r}, the transfer {actual!r}"
            )


# -- internals ------------------------------------------------------------------------------------


def _check_recipients(
    recipients: Sequence[Recipient], beneficiary: str, suite: str
) -> list[Recipient]:
    scheme_wanted = SEALING_SCHEME[suite]
    if not 2 <= len(recipients) <= MAX_RECIPIENTS:
        raise ErrInvalidEnvelope(f"name 2 to {MAX_RECIPIENTS} recipients")
    ids = [to for to, _, _ in recipients]
    if len(set(ids)) != len(ids):
        raise ErrInvalidEnvelope("recipients must be distinct")
    if beneficiary not in ids:
        raise ErrInvalidEnvelope(
            f"the beneficiary institution {beneficiary} must be a recipient (FATF R.16 INR 7)"
        )
    if not any(is_account_id(to) for to in ids):
        raise ErrInvalidEnvelope("at least one regulator (by account id) must be a recipient")
    for to, scheme, public_key in recipients:
        if not (is_did(to) or is_account_id(to)):
            raise ErrInvalidEnvelope(f"recipient {str(to)[:60]!r} is neither a DID nor an account")
        if scheme != scheme_wanted:
            raise ErrInvalidEnvelope(
                f"recipient {to}'s key is {scheme}; a {suite} chain seals with {scheme_wanted}"
            )
        check_encryption_public_key(scheme, public_key)
    return sorted(recipients, key=lambda r: r[0].encode())


def _parse(sealed: bytes) -> tuple[str, str, bytes, list[Recipient], list[bytes]]:
    try:
        obj = cbor.decode(sealed, max_size=MAX_SEALED_BYTES)
    except FinchainError as exc:
        raise ErrInvalidEnvelope(
            f"sealed envelope is not canonical DAG-CBOR: {exc.message}"
        ) from None
    if not isinstance(obj, dict) or set(obj) != _SEALED_FIELDS or obj["v"] != FORMAT_VERSION:
        raise ErrInvalidEnvelope(f"a sealed envelope is a map of {sorted(_SEALED_FIELDS)}, v 1")
    suite, chain_id, ciphertext = obj["suite"], obj["chain_id"], obj["ciphertext"]
    if (
        suite not in SEALING_SCHEME
        or not isinstance(chain_id, str)
        or not isinstance(ciphertext, bytes)
    ):
        raise ErrInvalidEnvelope("sealed envelope: bad suite, chain id or ciphertext")
    raw = obj["recipients"]
    if not isinstance(raw, list) or not all(
        isinstance(s, dict)
        and set(s) == _SLOT_FIELDS
        and isinstance(s["to"], str)
        and isinstance(s["scheme"], str)
        and isinstance(s["public_key"], bytes)
        and isinstance(s["sealed_key"], bytes)
        for s in raw
    ):
        raise ErrInvalidEnvelope(f"each recipient slot is a map of {sorted(_SLOT_FIELDS)}")
    slots = [(s["to"], s["scheme"], s["public_key"]) for s in raw]
    return suite, chain_id, ciphertext, slots, [s["sealed_key"] for s in raw]


def _aad(suite: str, chain_id: str, slots: Sequence[Recipient]) -> bytes:
    return _AAD_LABEL + cbor.encode([suite, chain_id, [list(slot) for slot in slots]])


def _slot_context(chain_id: str, ciphertext_hash: bytes, recipient: str) -> bytes:
    return _SLOT_LABEL + cbor.encode([chain_id, ciphertext_hash, recipient])


def _pad(data: bytes) -> bytes:
    """``len (2 bytes) || data || zeros`` to a multiple of 256: hides the exact length."""
    framed = len(data).to_bytes(2, "big") + data
    return framed + bytes(-len(framed) % _PAD_BLOCK)


def _unpad(padded: bytes) -> bytes:
    length = int.from_bytes(padded[:2], "big")
    if len(padded) < 2 + length or any(padded[2 + length :]):
        raise ErrInvalidEnvelope("the decrypted envelope is not framed as finchain writes it")
    return padded[2 : 2 + length]
