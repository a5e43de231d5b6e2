"""The credentials module's key layout: the only place its store keys are spelled.

Numbers are 8 big-endian bytes so byte order is numeric order. Histories
(accreditation changes, status list versions) are numbered 1..n and read by
``get`` rather than by iteration, so each answer can be proven with the state
proofs of the query API. A DID, account id or schema name never contains
``/``; a status list id may, so its versions follow a NUL separator instead.
"""

from __future__ import annotations

from finchain.core.collections import StoreKey

PREFIX = b"cred/"
STORE = StoreKey("credentials", PREFIX)
PARAMS = PREFIX + b"params"
NEXT_REQUEST = PREFIX + b"next_request"
ISSUER = PREFIX + b"issuer/"
ISSUER_CHANGE = PREFIX + b"issuer_change/"
SCHEMA = PREFIX + b"schema/"
SCHEMA_NAME = PREFIX + b"schema_name/"
SCHEMA_VERSION = PREFIX + b"schema_version/"
STATUS_LIST = PREFIX + b"status_list/"
STATUS_VERSION = PREFIX + b"status_version/"
KYC = PREFIX + b"kyc/"
REGULATOR = PREFIX + b"regulator/"
REQUEST = PREFIX + b"request/"
APPROVAL = PREFIX + b"approval/"
EXPIRY = PREFIX + b"expiry/"
AUDIT = PREFIX + b"audit/"
AUDIT_BY_ACCOUNT = PREFIX + b"audit_account/"
AUDIT_BY_ISSUER = PREFIX + b"audit_issuer/"


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


def u64_suffix(key: bytes) -> int:
    """The trailing 8-byte number of an index key."""
    return int.from_bytes(key[-8:], "big")


def issuer(did: str) -> bytes:
    return ISSUER + did.encode()


def issuer_change(did: str, seq: int) -> bytes:
    return ISSUER_CHANGE + did.encode() + b"/" + _u64(seq)


def schema(schema_id: str) -> bytes:
    return SCHEMA + schema_id.encode()


def schema_name(name: str) -> bytes:
    return SCHEMA_NAME + name.encode()


def schema_version(name: str, version: int) -> bytes:
    return SCHEMA_VERSION + name.encode() + b"/" + _u64(version)


def status_list(list_id: str) -> bytes:
    return STATUS_LIST + list_id.encode()


def status_version(list_id: str, version: int) -> bytes:
    return STATUS_VERSION + list_id.encode() + b"\x00" + _u64(version)


def kyc_of(account: str) -> bytes:
    return KYC + account.encode() + b"/"


def kyc(account: str, issuer_did: str) -> bytes:
    return kyc_of(account) + issuer_did.encode()


def regulator(account: str) -> bytes:
    return REGULATOR + account.encode()


def request(request_id: int) -> bytes:
    return REQUEST + _u64(request_id)


def approval(request_id: int, approver: str) -> bytes:
    return APPROVAL + _u64(request_id) + b"/" + approver.encode()


def expiry_at(height: int) -> bytes:
    return EXPIRY + _u64(height) + b"/"


def expiry(height: int, request_id: int) -> bytes:
    return expiry_at(height) + _u64(request_id)


def audit(request_id: int) -> bytes:
    return AUDIT + _u64(request_id)


def audits_of_account(account: str) -> bytes:
    return AUDIT_BY_ACCOUNT + account.encode() + b"/"


def audit_of_account(account: str, request_id: int) -> bytes:
    return audits_of_account(account) + _u64(request_id)


def audits_of_issuer(issuer_did: str) -> bytes:
    return AUDIT_BY_ISSUER + issuer_did.encode() + b"/"


def audit_of_issuer(issuer_did: str, request_id: int) -> bytes:
    return audits_of_issuer(issuer_did) + _u64(request_id)
