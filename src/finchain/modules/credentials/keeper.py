"""The only code that reads or writes the credentials module's keys.

Narrow doors: an issuer's accreditation changes only through
``_put_issuer``, which appends the change to the issuer's numbered history
(with the block's height and time) and emits the event, so "was X accredited
for T at time t" is always answerable. A disclosure request is written only
through ``_save_request``; the audit record is written once, by ``_grant``,
and never rewritten or deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from finchain.codec import decode_trusted, encode
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import get_suite
from finchain.modules.credentials import events, keys
from finchain.modules.credentials.deps import AccountStatusView, IdentityView
from finchain.modules.credentials.errors import (
    ErrAlreadyApproved,
    ErrBadGenesis,
    ErrClaimChanged,
    ErrEscrowMismatch,
    ErrInvalidExpiry,
    ErrIssuerExists,
    ErrNoEscrow,
    ErrNoShare,
    ErrNotAccredited,
    ErrNotController,
    ErrNotRegulator,
    ErrRegulatorAccount,
    ErrRegulatorCloses,
    ErrRegulatorExists,
    ErrRequestClosed,
    ErrSchemaExists,
    ErrSchemaVersion,
    ErrStatusListOwner,
    ErrStatusListPurpose,
    ErrStatusListVersion,
    ErrSubjectNotBound,
    ErrThreshold,
    ErrUnknownClaim,
    ErrUnknownDid,
    ErrUnknownIssuer,
    ErrUnknownRequest,
    ErrWrongSuiteKey,
)
from finchain.modules.credentials.messages import MsgRecordKyc
from finchain.modules.credentials.types import (
    CHANGE_TYPES,
    CLAIM_ACTIVE,
    CLAIM_REVOKED,
    ENCRYPTION_SCHEME_OF_SUITE,
    EXPIRED,
    GRANT,
    GRANTED,
    KYC_CREDENTIAL_TYPE,
    OPEN,
    REVOKE,
    AccreditationChange,
    Approval,
    AuditRecord,
    CredentialsParams,
    DisclosureRequest,
    Issuer,
    KycClaim,
    Regulator,
    Schema,
    SchemaName,
    StatusAnchor,
    StatusList,
)


def _u64(number: int) -> bytes:
    return number.to_bytes(8, "big")


class CredentialsView:
    """Read-only access, usable on any reader (a context's store or committed state)."""

    def params(self, reader: KVReader) -> CredentialsParams:
        raw = reader.get(keys.PARAMS)
        if raw is None:
            raise ErrBadGenesis("no credentials params in state: the chain's genesis predates them")
        return CredentialsParams.from_obj(decode_trusted(raw))

    # -- issuers -----------------------------------------------------------------------------

    def issuer(self, reader: KVReader, did: str) -> Issuer | None:
        raw = reader.get(keys.issuer(did))
        return None if raw is None else Issuer.from_obj(decode_trusted(raw))

    def require_issuer(self, reader: KVReader, did: str) -> Issuer:
        found = self.issuer(reader, did)
        if found is None:
            raise ErrUnknownIssuer(f"{did} was never accredited: ask governance to accredit it")
        return found

    def issuers(self, reader: KVReader) -> Iterator[Issuer]:
        for _, raw in reader.iterate(keys.ISSUER):
            yield Issuer.from_obj(decode_trusted(raw))

    def accreditation_change(self, reader: KVReader, did: str, seq: int) -> AccreditationChange:
        raw = reader.get(keys.issuer_change(did, seq))
        if raw is None:
            raise ErrUnknownIssuer(f"the accreditation history of {did} has no change {seq}")
        return AccreditationChange.from_obj(decode_trusted(raw))

    def accreditation_history(self, reader: KVReader, did: str) -> list[AccreditationChange]:
        found = self.issuer(reader, did)
        count = 0 if found is None else found.changes
        return [self.accreditation_change(reader, did, seq) for seq in range(1, count + 1)]

    def accredited(self, reader: KVReader, did: str, credential_type: str, at_time_ns: int) -> bool:
        """Whether ``did`` was accredited for ``credential_type`` at block time ``at_time_ns``.

        The answer is the latest change made at or before that time (changes
        are numbered in block order and block times never decrease): a binary
        search of ``get``s, so it costs O(log n) reads and can be proven. A
        change applies from its block's time on: at exactly that time the
        answer is the state after the block.
        """
        found = self.issuer(reader, did)
        if found is None:
            return False
        low, high, latest = 1, found.changes, None
        while low <= high:
            middle = (low + high) // 2
            change = self.accreditation_change(reader, did, middle)
            if change.time_ns <= at_time_ns:
                latest, low = change, middle + 1
            else:
                high = middle - 1
        return latest is not None and latest.allows(credential_type)

    # -- schemas and status lists ------------------------------------------------------------

    def schema(self, reader: KVReader, schema_id: str) -> Schema | None:
        raw = reader.get(keys.schema(schema_id))
        return None if raw is None else Schema.from_obj(decode_trusted(raw))

    def schema_name(self, reader: KVReader, name: str) -> SchemaName | None:
        raw = reader.get(keys.schema_name(name))
        return None if raw is None else SchemaName.from_obj(decode_trusted(raw))

    def schema_id_of(self, reader: KVReader, name: str, version: int) -> str | None:
        raw = reader.get(keys.schema_version(name, version))
        return None if raw is None else raw.decode()

    def status_list(self, reader: KVReader, list_id: str) -> StatusList | None:
        raw = reader.get(keys.status_list(list_id))
        return None if raw is None else StatusList.from_obj(decode_trusted(raw))

    def status_lists(self, reader: KVReader) -> Iterator[StatusList]:
        for _, raw in reader.iterate(keys.STATUS_LIST):
            yield StatusList.from_obj(decode_trusted(raw))

    def status_anchor(self, reader: KVReader, list_id: str, version: int) -> StatusAnchor | None:
        raw = reader.get(keys.status_version(list_id, version))
        return None if raw is None else StatusAnchor.from_obj(decode_trusted(raw))

    # -- KYC claims --------------------------------------------------------------------------

    def kyc_claim(self, reader: KVReader, account: str, issuer: str) -> KycClaim | None:
        raw = reader.get(keys.kyc(account, issuer))
        return None if raw is None else KycClaim.from_obj(decode_trusted(raw))

    def require_claim(self, reader: KVReader, account: str, issuer: str) -> KycClaim:
        found = self.kyc_claim(reader, account, issuer)
        if found is None:
            raise ErrUnknownClaim(f"{issuer} has recorded no KYC claim for account {account}")
        return found

    def kyc_claims(self, reader: KVReader, account: str) -> Iterator[KycClaim]:
        for _, raw in reader.iterate(keys.kyc_of(account)):
            yield KycClaim.from_obj(decode_trusted(raw))

    def all_claims(self, reader: KVReader) -> Iterator[KycClaim]:
        for _, raw in reader.iterate(keys.KYC):
            yield KycClaim.from_obj(decode_trusted(raw))

    def recorded_while_accredited(self, reader: KVReader, claim: KycClaim) -> bool:
        change = self.accreditation_change(reader, claim.issuer, claim.accreditation)
        return change.allows(KYC_CREDENTIAL_TYPE)

    def kyc_tier(self, reader: KVReader, account: str, now_ns: int) -> int:
        """The highest tier among the account's unrevoked, unexpired claims whose issuer was
        accredited for KycTierCredential when the claim was recorded; 0 when there is none."""
        return max(
            (
                claim.tier
                for claim in self.kyc_claims(reader, account)
                if claim.counts_at(now_ns) and self.recorded_while_accredited(reader, claim)
            ),
            default=0,
        )

    # -- regulators and disclosures ----------------------------------------------------------

    def regulator(self, reader: KVReader, account: str) -> Regulator | None:
        raw = reader.get(keys.regulator(account))
        return None if raw is None else Regulator.from_obj(decode_trusted(raw))

    def regulators(self, reader: KVReader) -> Iterator[Regulator]:
        """In account id order: the canonical order of an escrow's regulator list."""
        for _, raw in reader.iterate(keys.REGULATOR):
            yield Regulator.from_obj(decode_trusted(raw))

    def next_request_id(self, reader: KVReader) -> int:
        raw = reader.get(keys.NEXT_REQUEST)
        return 1 if raw is None else int.from_bytes(raw, "big")

    def request(self, reader: KVReader, request_id: int) -> DisclosureRequest | None:
        raw = reader.get(keys.request(request_id))
        return None if raw is None else DisclosureRequest.from_obj(decode_trusted(raw))

    def require_request(self, reader: KVReader, request_id: int) -> DisclosureRequest:
        found = self.request(reader, request_id)
        if found is None:
            raise ErrUnknownRequest(f"disclosure request {request_id} does not exist")
        return found

    def requests(self, reader: KVReader) -> Iterator[DisclosureRequest]:
        for _, raw in reader.iterate(keys.REQUEST):
            yield DisclosureRequest.from_obj(decode_trusted(raw))

    def approval(self, reader: KVReader, request_id: int, approver: str) -> Approval | None:
        raw = reader.get(keys.approval(request_id, approver))
        return None if raw is None else Approval.from_obj(decode_trusted(raw))

    def audit(self, reader: KVReader, request_id: int) -> AuditRecord | None:
        raw = reader.get(keys.audit(request_id))
        return None if raw is None else AuditRecord.from_obj(decode_trusted(raw))

    def audits_of_account(self, reader: KVReader, account: str) -> Iterator[AuditRecord]:
        return self._audits(reader, keys.audits_of_account(account))

    def audits_of_issuer(self, reader: KVReader, issuer: str) -> Iterator[AuditRecord]:
        """Every granted disclosure of a claim ``issuer`` recorded: what its bank sees."""
        return self._audits(reader, keys.audits_of_issuer(issuer))

    def _audits(self, reader: KVReader, index_prefix: bytes) -> Iterator[AuditRecord]:
        for key, _ in reader.iterate(index_prefix):
            found = self.audit(reader, keys.u64_suffix(key))
            if found is not None:
                yield found


class CredentialsKeeper(CredentialsView):
    def __init__(self, identity: IdentityView, accounts: AccountStatusView) -> None:
        self._identity = identity
        self._accounts = accounts

    def set_params(self, ctx: Context, params: CredentialsParams) -> None:
        ctx.store.set(keys.PARAMS, encode(params.to_obj()))

    # -- who acts ----------------------------------------------------------------------------

    def require_active_did(self, reader: KVReader, did: str) -> None:
        if not self._identity.is_active(reader, did):
            raise ErrUnknownDid(f"{did} is not a registered, active DID of this chain")

    def require_controller(self, ctx: Context, did: str) -> None:
        """The signer acts for ``did`` only if it is an account controlling that DID."""
        self.require_active_did(ctx.store, did)
        if not self._identity.controls(ctx.store, did, ctx.signer):
            raise ErrNotController(
                f"account {ctx.signer} does not control {did}: sign with its controller account"
            )

    def require_accredited_now(self, ctx: Context, did: str, credential_type: str) -> None:
        if not self.accredited(ctx.store, did, credential_type, ctx.time_ns):
            raise ErrNotAccredited(
                f"issuer {did} is not accredited for {credential_type}: "
                "ask governance to accredit it"
            )

    def require_regulator(self, reader: KVReader, account: str) -> Regulator:
        found = self.regulator(reader, account)
        if found is None:
            raise ErrNotRegulator(
                f"account {account} is not a registered regulator: governance registers them"
            )
        return found

    # -- issuers -----------------------------------------------------------------------------

    def _put_issuer(self, ctx: Context, issuer: Issuer, action: str, event: str) -> None:
        seq = issuer.changes + 1
        change = AccreditationChange(seq, action, issuer.types, ctx.height, ctx.time_ns)
        ctx.store.set(keys.issuer_change(issuer.did, seq), encode(change.to_obj()))
        ctx.store.set(keys.issuer(issuer.did), encode(replace(issuer, changes=seq).to_obj()))
        ctx.emit(events.issuer_changed(event, issuer.did, issuer.types))

    def accredit(
        self, ctx: Context, did: str, name: str, kind: str, types: tuple[str, ...]
    ) -> None:
        """Grant accreditation; a revoked issuer may be accredited again (a new grant)."""
        self.require_active_did(ctx.store, did)
        found = self.issuer(ctx.store, did)
        if found is not None and found.accredited:
            raise ErrIssuerExists(
                f"{did} is already accredited: change its types with set_issuer_types"
            )
        changes = 0 if found is None else found.changes
        issuer = Issuer(did, name, kind, types, True, changes)
        self._put_issuer(ctx, issuer, GRANT, events.ISSUER_ACCREDITED)

    def set_issuer_types(self, ctx: Context, did: str, types: tuple[str, ...]) -> None:
        issuer = self._require_accredited_issuer(ctx.store, did)
        self._put_issuer(
            ctx, replace(issuer, types=types), CHANGE_TYPES, events.ISSUER_TYPES_CHANGED
        )

    def revoke_issuer(self, ctx: Context, did: str) -> None:
        issuer = self._require_accredited_issuer(ctx.store, did)
        revoked = replace(issuer, types=(), accredited=False)
        self._put_issuer(ctx, revoked, REVOKE, events.ISSUER_REVOKED)

    def _require_accredited_issuer(self, reader: KVReader, did: str) -> Issuer:
        issuer = self.require_issuer(reader, did)
        if not issuer.accredited:
            raise ErrNotAccredited(f"{did}'s accreditation is revoked: accredit it again first")
        return issuer

    # -- schemas -----------------------------------------------------------------------------

    def register_schema(
        self,
        ctx: Context,
        issuer: str,
        name: str,
        version: int,
        credential_type: str,
        document: bytes,
    ) -> str:
        """Store a schema under its id (suite hash of its canonical bytes); return the id.

        A name belongs to the issuer that registered its first version; its
        versions only grow. The same content cannot be registered twice: a
        second name for one id would make "which schema is this" ambiguous.
        """
        self.require_accredited_now(ctx, issuer, credential_type)
        schema_id = get_suite(ctx.suite).hash(document).hex()
        existing = self.schema(ctx.store, schema_id)
        if existing is not None:
            raise ErrSchemaExists(
                f"this document is already schema {schema_id} ({existing.name} "
                f"v{existing.version}): refer to that id"
            )
        head = self.schema_name(ctx.store, name)
        if head is not None and head.issuer != issuer:
            raise ErrSchemaVersion(
                f"schema name {name} belongs to {head.issuer}: choose another name"
            )
        if head is not None and version <= head.latest:
            raise ErrSchemaVersion(
                f"{name} is at version {head.latest}: register version {head.latest + 1} or later"
            )
        schema = Schema(
            schema_id, name, version, credential_type, issuer, document, ctx.height, ctx.time_ns
        )
        ctx.store.set(keys.schema(schema_id), encode(schema.to_obj()))
        ctx.store.set(keys.schema_version(name, version), schema_id.encode())
        ctx.store.set(keys.schema_name(name), encode(SchemaName(name, issuer, version).to_obj()))
        ctx.emit(events.schema_registered(schema_id, name, version, issuer))
        return schema_id

    # -- status lists ------------------------------------------------------------------------

    def anchor_status_list(
        self, ctx: Context, issuer: str, list_id: str, version: int, digest: bytes, purpose: str
    ) -> None:
        """Anchor the next version of a list. The first anchor (version 1) fixes the list's
        issuer and purpose; each later one must be exactly the next version, so a replayed
        or skipped anchor is refused and a verifier knows the full sequence.

        Only an issuer accredited now may claim a new list id: the id is the URL its
        credentials already carry, so any DID could otherwise anchor it first and lock
        the real issuer out of its own list. Later versions need only ownership, so an
        issuer whose accreditation was revoked can still publish revocations."""
        found = self.status_list(ctx.store, list_id)
        if found is None:
            self._require_accredited_issuer(ctx.store, issuer)
        elif found.issuer != issuer:
            raise ErrStatusListOwner(
                f"status list {list_id} belongs to {found.issuer}: use a list id of your own"
            )
        expected = 1 if found is None else found.version + 1
        if version != expected:
            raise ErrStatusListVersion(
                f"status list {list_id} expects version {expected}, not {version}"
            )
        fixed = purpose if found is None else found.purpose
        if purpose and purpose != fixed:
            raise ErrStatusListPurpose(
                f"status list {list_id} is a {fixed or 'purpose-less'} list, not {purpose}"
            )
        anchor = StatusAnchor(version, digest, ctx.height, ctx.time_ns)
        latest = StatusList(list_id, issuer, fixed, version, digest, ctx.height, ctx.time_ns)
        ctx.store.set(keys.status_version(list_id, version), encode(anchor.to_obj()))
        ctx.store.set(keys.status_list(list_id), encode(latest.to_obj()))
        ctx.emit(events.status_list_anchored(list_id, issuer, version, digest))

    # -- KYC ---------------------------------------------------------------------------------

    def record_kyc(self, ctx: Context, msg: MsgRecordKyc) -> None:
        """Record the issuer's claim on an account, replacing its earlier one."""
        self.require_accredited_now(ctx, msg.issuer, KYC_CREDENTIAL_TYPE)
        self.require_active_did(ctx.store, msg.subject)
        bound = self._identity.did_of_account(ctx.store, msg.account)
        if bound != msg.subject:
            raise ErrSubjectNotBound(
                f"account {msg.account} is bound to {bound or 'no DID'}, not {msg.subject}: "
                "the subject must bind the account to its DID first"
            )
        if msg.expires <= ctx.time_ns:
            raise ErrInvalidExpiry(
                f"expiry {msg.expires} is not after the block time {ctx.time_ns}"
            )
        if msg.escrow is not None:
            self._check_escrow_parties(ctx.store, msg.escrow.regulators, msg.escrow.threshold)
        claim = KycClaim(
            msg.account,
            msg.issuer,
            msg.subject,
            msg.tier,
            msg.expires,
            msg.credential_hash,
            msg.escrow,
            CLAIM_ACTIVE,
            ctx.height,
            ctx.time_ns,
            self.require_issuer(ctx.store, msg.issuer).changes,
        )
        ctx.store.set(keys.kyc(claim.account, claim.issuer), encode(claim.to_obj()))
        ctx.emit(events.kyc_recorded(claim.account, claim.issuer, claim.tier, claim.expires_ns))

    def _check_escrow_parties(
        self, reader: KVReader, regulators: tuple[str, ...], threshold: int
    ) -> None:
        current = tuple(r.account for r in self.regulators(reader))
        if regulators != current:
            raise ErrEscrowMismatch(
                f"the escrow is sealed to {list(regulators)} but the regulators are "
                f"{list(current)}: rebuild it for the current set (query credentials/regulators)"
            )
        required = self.params(reader).disclosure_threshold
        if threshold != required:
            raise ErrEscrowMismatch(
                f"the escrow's threshold is {threshold} but the disclosure threshold is {required}"
            )

    def revoke_kyc(self, ctx: Context, account: str, issuer: str) -> None:
        claim = self.require_claim(ctx.store, account, issuer)
        if claim.status == CLAIM_REVOKED:
            raise ErrUnknownClaim(f"{issuer}'s claim on {account} is already revoked")
        revoked = replace(claim, status=CLAIM_REVOKED)
        ctx.store.set(keys.kyc(account, issuer), encode(revoked.to_obj()))
        ctx.emit(events.kyc_revoked(account, issuer))

    # -- regulators --------------------------------------------------------------------------

    def add_regulator(
        self, ctx: Context, account: str, name: str, scheme: str, public_key: bytes
    ) -> None:
        wanted = ENCRYPTION_SCHEME_OF_SUITE[ctx.suite]
        if scheme != wanted:
            raise ErrWrongSuiteKey(
                f"this chain uses the {ctx.suite} suite: a regulator's encryption key must be "
                f"{wanted}, not {scheme}"
            )
        if self.regulator(ctx.store, account) is not None:
            raise ErrRegulatorExists(f"account {account} is already a regulator")
        if self._accounts.status(ctx.store, account) != "active":
            raise ErrRegulatorAccount(f"account {account} does not exist or is not active")
        regulator = Regulator(account, name, scheme, public_key, ctx.height)
        ctx.store.set(keys.regulator(account), encode(regulator.to_obj()))
        ctx.emit(events.regulator_changed(events.REGULATOR_ADDED, account))

    def remove_regulator(self, ctx: Context, account: str) -> None:
        self.require_regulator(ctx.store, account)
        remaining = sum(1 for _ in self.regulators(ctx.store)) - 1
        threshold = self.params(ctx.store).disclosure_threshold
        if remaining < threshold:
            raise ErrThreshold(
                f"removing {account} would leave {remaining} regulators for a disclosure "
                f"threshold of {threshold}: add a regulator or lower the threshold first"
            )
        ctx.store.delete(keys.regulator(account))
        ctx.emit(events.regulator_changed(events.REGULATOR_REMOVED, account))

    def assert_can_close(self, ctx: Context, account: str) -> None:
        """A close guard for the accounts module: a regulator's account cannot close.

        A closed account never signs again, yet it would stay in the regulator set
        that every new escrow must be sealed to and count towards the threshold, so
        closing it would bypass the check of ``remove_regulator`` and could leave
        fewer regulators able to approve than a disclosure needs.
        """
        if self.regulator(ctx.store, account) is not None:
            raise ErrRegulatorCloses(
                f"account {account} is a regulator: a governance proposal must remove it "
                "(credentials/remove_regulator) before the account can close"
            )

    def set_disclosure_params(self, ctx: Context, threshold: int, lifetime: int) -> None:
        count = sum(1 for _ in self.regulators(ctx.store))
        if threshold > count:
            raise ErrThreshold(
                f"a threshold of {threshold} needs at least {threshold} regulators; "
                f"there are {count}"
            )
        self.set_params(ctx, CredentialsParams(threshold, lifetime))
        ctx.emit(events.params_changed(threshold, lifetime))

    # -- disclosure --------------------------------------------------------------------------

    def _save_request(self, ctx: Context, request: DisclosureRequest) -> None:
        ctx.store.set(keys.request(request.id), encode(request.to_obj()))

    def request_disclosure(
        self, ctx: Context, requester: str, account: str, issuer: str, reason: str
    ) -> DisclosureRequest:
        """Open a request; the requester counts as the first approval if it holds a share
        (it can open that share itself). Granted at once when that already makes m."""
        self.require_regulator(ctx.store, requester)
        claim = self.require_claim(ctx.store, account, issuer)
        if claim.escrow is None:
            raise ErrNoEscrow(f"{issuer}'s claim on {account} is tier 0: it escrows no identity")
        request_id = self.next_request_id(ctx.store)
        ctx.store.set(keys.NEXT_REQUEST, _u64(request_id + 1))
        params = self.params(ctx.store)
        own = (requester,) if claim.escrow.share_of(requester) is not None else ()
        request = DisclosureRequest(
            request_id,
            requester,
            account,
            issuer,
            claim.height,
            reason,
            max(params.disclosure_threshold, claim.escrow.threshold),
            own,
            OPEN,
            ctx.height,
            ctx.height + params.request_lifetime,
        )
        ctx.emit(
            events.disclosure(events.DISCLOSURE_REQUESTED, request_id, account, issuer, requester)
        )
        if len(own) >= request.required:
            self._grant(ctx, request)
        else:
            self._save_request(ctx, request)
            ctx.store.set(keys.expiry(request.expires_at, request_id), b"")
        return request

    def approve_disclosure(
        self, ctx: Context, approver: str, request_id: int, share: bytes
    ) -> None:
        self.require_regulator(ctx.store, approver)
        request = self.require_request(ctx.store, request_id)
        if request.status != OPEN or ctx.height > request.expires_at:
            raise ErrRequestClosed(
                f"request {request_id} is {request.status if request.status != OPEN else EXPIRED}: "
                "file a new request"
            )
        if approver in request.approvers:
            raise ErrAlreadyApproved(f"{approver} has already approved request {request_id}")
        claim = self.kyc_claim(ctx.store, request.account, request.issuer)
        if claim is None or claim.height != request.claim_height or claim.escrow is None:
            raise ErrClaimChanged(
                f"the claim of request {request_id} was replaced after it was filed: "
                "file a new request"
            )
        if claim.escrow.share_of(approver) is None:
            raise ErrNoShare(
                f"{approver} was not a regulator when the claim was recorded and holds no share"
            )
        ctx.store.set(
            keys.approval(request_id, approver),
            encode(Approval(request_id, approver, share, ctx.height).to_obj()),
        )
        approved = replace(request, approvers=(*request.approvers, approver))
        ctx.emit(
            events.disclosure(
                events.DISCLOSURE_APPROVED, request_id, request.account, request.issuer, approver
            )
        )
        if len(approved.approvers) >= approved.required:
            ctx.store.delete(keys.expiry(request.expires_at, request_id))
            self._grant(ctx, approved)
        else:
            self._save_request(ctx, approved)

    def _grant(self, ctx: Context, request: DisclosureRequest) -> None:
        granted = replace(request, status=GRANTED, final_height=ctx.height)
        self._save_request(ctx, granted)
        record = AuditRecord(
            request.id,
            request.requester,
            request.approvers,
            request.account,
            request.issuer,
            request.reason,
            ctx.height,
            ctx.time_ns,
        )
        ctx.store.set(keys.audit(request.id), encode(record.to_obj()))
        ctx.store.set(keys.audit_of_account(request.account, request.id), b"")
        ctx.store.set(keys.audit_of_issuer(request.issuer, request.id), b"")
        ctx.emit(
            events.disclosure_granted(
                request.id, request.account, request.issuer, request.requester, request.approvers
            )
        )

    def end_block(self, ctx: Context) -> None:
        """Expire the requests whose lifetime ends at this height without a grant."""
        prefix = keys.expiry_at(ctx.height)
        due = [keys.u64_suffix(key) for key, _ in ctx.store.iterate(prefix)]
        for request_id in due:
            ctx.store.delete(keys.expiry(ctx.height, request_id))
            request = self.require_request(ctx.store, request_id)
            if request.status == OPEN:
                self._save_request(ctx, replace(request, status=EXPIRED, final_height=ctx.height))
                ctx.emit(
                    events.disclosure(
                        events.DISCLOSURE_EXPIRED,
                        request_id,
                        request.account,
                        request.issuer,
                        request.requester,
                    )
                )
