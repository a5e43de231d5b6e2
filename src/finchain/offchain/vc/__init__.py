"""Off-chain verifiable credentials: W3C VC 2.0 with Data Integrity proofs.

Issue, present and verify credentials whose issuers and holders are
``did:finchain`` DIDs, with the ``eddsa-jcs-2022`` (Ed25519) and
``sm2-jcs-2025`` (SM2/SM3, docs/vc-suites.md) cryptosuites and Bitstring
Status Lists anchored on chain. Everything takes and returns plain dicts
(parsed JSON) and finchain.crypto keys.

Example::

    vc = build_credential(issuer=bank_did, subject={"id": alice_did, "tier": 2},
                          types=["KycCredential"], valid_from=t0)
    signed = issue(vc, bank_key, f"{bank_did}#k1", created=t0)
    result = verify_credential(signed, trust, now=t1)
    result.verified, result.reasons

Status changes (revoke, suspend, unsuspend) re-sign the issuer's list:
``finchain.offchain.vc.statuschange``; anchoring the new list is
``finchain.client.status_lists``.

Errors are registered codes of codespace ``vc`` (``finchain.offchain.vc.errors``);
verification failures are reasons in the result, not exceptions; a credential and a
status list that do not fit together raise ``StatusChangeError`` (a ``ValueError``).
"""

from finchain.formats.did import is_did, make_did, parse_did
from finchain.formats.keyformats import (
    from_jwk,
    from_multikey,
    public_key_of,
    to_jwk,
    to_multikey,
    verification_method,
)
from finchain.formats.times import format_time, parse_time
from finchain.offchain.vc.credentials import (
    CREDENTIALS_V2,
    CredentialInfo,
    build_credential,
    issue,
    read_credential,
    status_entry,
)
from finchain.offchain.vc.jcs import canonicalize, parse_json
from finchain.offchain.vc.presentations import (
    build_presentation,
    read_presentation,
    sign_presentation,
)
from finchain.offchain.vc.proofs import (
    CRYPTOSUITES,
    EDDSA_JCS_2022,
    SM2_JCS_2025,
    add_proof,
    verify_proof,
)
from finchain.offchain.vc.schemas import schema_id
from finchain.offchain.vc.statuschange import (
    StatusChange,
    StatusChangeError,
    credential_status_index,
    revoke_credential,
    set_status_bit,
    suspend_credential,
    unsuspend_credential,
)
from finchain.offchain.vc.statuslist import (
    StatusList,
    anchor_digest,
    build_status_list_credential,
    issue_status_list_credential,
)
from finchain.offchain.vc.trust import InMemoryTrust, StatusAnchor, TrustSource
from finchain.offchain.vc.verifier import (
    Check,
    VerificationResult,
    verify_credential,
    verify_presentation,
)

__all__ = [
    "CREDENTIALS_V2",
    "CRYPTOSUITES",
    "EDDSA_JCS_2022",
    "SM2_JCS_2025",
    "Check",
    "CredentialInfo",
    "InMemoryTrust",
    "StatusAnchor",
    "StatusChange",
    "StatusChangeError",
    "StatusList",
    "TrustSource",
    "VerificationResult",
    "add_proof",
    "anchor_digest",
    "build_credential",
    "build_presentation",
    "build_status_list_credential",
    "canonicalize",
    "credential_status_index",
    "format_time",
    "from_jwk",
    "from_multikey",
    "is_did",
    "issue",
    "issue_status_list_credential",
    "make_did",
    "parse_did",
    "parse_json",
    "parse_time",
    "public_key_of",
    "read_credential",
    "read_presentation",
    "revoke_credential",
    "schema_id",
    "set_status_bit",
    "sign_presentation",
    "status_entry",
    "suspend_credential",
    "to_jwk",
    "to_multikey",
    "unsuspend_credential",
    "verification_method",
    "verify_credential",
    "verify_presentation",
    "verify_proof",
]
