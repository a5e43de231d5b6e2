"""The only code that reads or writes the credentials module's keys.

Narrow doors: an issuer's accreditation changes only through
``_put_issuer``, which appends the change to the issuer's numbered history
(with the block's height and time) and emits the event, so "was X accredited
for T at time t" is always answerable. A disclosure request is written only
through ``_save_request`` (its collection files an open request in the expiry
queue and drops a closed one); the audit record is written once, by
``_grant``, and never rewritten or deleted. The ``import_*`` methods write an
exported chain's entries as they were (genesis).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.kv import KVReader
from finchain.crypto import get_suite
from finchain.modules.credentials import events
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
from finchain.modules.credentials.keys import (
    ACCREDITATION,
    APPROVALS,
    AUDIT,
    BY_ACCOUNT,
    BY_EXPIRY,
    BY_ISSUER,
    CLAIMS,
    ISSUERS,
    NEXT_REQUEST,
    PARAMS,
    REGULATORS,
    REQUESTS,
    SCHEMA_NAMES,
    SCHEMA_VERSIONS,
    SCHEMAS,
    STATUS_ANCHORS,
    STATUS_LISTS,
)
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
    Escrow,
    Issuer,
    KycClaim,
    Regulator,
    Schema,
    SchemaName,
    StatusAnchor,
    StatusList,
)


class CredentialsView:
    """Read-only access, usable on any reader (a context's store or committed state)."""

    def params(self, reader: KVReader) -> CredentialsParams:
        found = PARAMS.get(reader)
        if found is None:
            raise ErrBadGenesis("no credentials params in state: the chain's genesis predates them")
        return found

    # -- issuers -----------------------------------------------------------------------------

    def issuer(self, reader: KVReader, did: str) -> Issuer | None:
        return ISSUERS.get(reader, did)

    def require_issuer(self, reader: KVReader, did: str) -> Issuer:
        found = self.issuer(reader, did)
        if found is None:
            raise ErrUnknownIssuer(f"{did} was never accredited: ask governance to accredit it")
        return found

    def issuers(self, reader: KVReader) -> Iterator[Issuer]:
        return ISSUERS.values(reader)

    def accreditation_change(self, reader: KVReader, did: str, seq: int) -> AccreditationChange:
        found = ACCREDITATION.get(reader, (did, seq))
        if found is None:
            raise ErrUnknownIssuer(f"the accreditation history of {did} has no change {seq}")
        return found

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
        return SCHEMAS.get(reader, schema_id)

    def schema_name(self, reader: KVReader, name: str) -> SchemaName | None:
        return SCHEMA_NAMES.get(reader, name)

    def schema_id_of(self, reader: KVReader, name: str, version: int) -> str | None:
        return SCHEMA_VERSIONS.get(reader, (name, version))

    def status_list(self, reader: KVReader, list_id: str) -> StatusList | None:
        return STATUS_LISTS.get(reader, list_id)

    def status_lists(self, reader: KVReader) -> Iterator[StatusList]:
        return STATUS_LISTS.values(reader)

    def status_anchor(self, reader: KVReader, list_id: str, version: int) -> StatusAnchor | None:
        return STATUS_ANCHORS.get(reader, (list_id, version))

    # -- KYC claims --------------------------------------------------------------------------

    def kyc_claim(self, reader: KVReader, account: str, issuer: str) -> KycClaim | None:
        return CLAIMS.get(reader, (account, issuer))

    def require_claim(self, reader: KVReader, account: str, issuer: str) -> KycClaim:
        found = self.kyc_claim(reader, account, issuer)
        if found is None:
            raise ErrUnknownClaim(f"{issuer} has recorded no KYC claim for account {account}")
        return found

    def kyc_claims(self, reader: KVReader, account: str) -> Iterator[KycClaim]:
        return CLAIMS.values(reader, prefix=(account,))

    def all_claims(self, reader: KVReader) -> Iterator[KycClaim]:
        return CLAIMS.values(reader)

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
        return REGULATORS.get(reader, account)

    def regulators(self, reader: KVReader) -> Iterator[Regulator]:
        """In account id order: the canonical order of an escrow's regulator list."""
        return REGULATORS.values(reader)

    def next_request_id(self, reader: KVReader) -> int:
        return NEXT_REQUEST.peek(reader)

    def request(self, reader: KVReader, request_id: int) -> DisclosureRequest | None:
        return REQUESTS.get(reader, request_id)

    def require_request(self, reader: KVReader, request_id: int) -> DisclosureRequest:
        found = self.request(reader, request_id)
        if found is None:
            raise ErrUnknownRequest(f"disclosure request {request_id} does not exist")
        return found

    def requests(self, reader: KVReader) -> Iterator[DisclosureRequest]:
        return REQUESTS.values(reader)

    def approval(self, reader: KVReader, request_id: int, approver: str) -> Approval | None:
        return APPROVALS.get(reader, (request_id, approver))

    def audit(self, reader: KVReader, request_id: int) -> AuditRecord | None:
        return AUDIT.get(reader, request_id)

    def audits(self, reader: KVReader) -> Iterator[AuditRecord]:
        return AUDIT.values(reader)

    def approvals(self, reader: KVReader) -> Iterator[Approval]:
        return APPROVALS.values(reader)

    def audits_of_account(self, reader: KVReader, account: str) -> Iterator[AuditRecord]:
        return self._audits(reader, BY_ACCOUNT, account)

    def audits_of_issuer(self, reader: KVReader, issuer: str) -> Iterator[AuditRecord]:
        """Every granted disclosure of a claim ``issuer`` recorded: what its bank sees."""
        return self._audits(reader, BY_ISSUER, issuer)

    def _audits(self, reader: KVReader, index: str, key: str) -> Iterator[AuditRecord]:
        for request_id in AUDIT.by(index, reader, key):
            found = self.audit(reader, request_id)
            if found is not None:
                yield found

    def schemas(self, reader: KVReader) -> Iterator[Schema]:
        return SCHEMAS.values(reader)

    def status_anchors(self, reader: KVReader, list_id: str) -> Iterator[StatusAnchor]:
        """The anchors of ``list_id``, oldest first."""
        return STATUS_ANCHORS.values(reader, prefix=(list_id,))


class CredentialsKeeper(CredentialsView):
    def __init__(self, identity: IdentityView, accounts: AccountStatusView) -> None:
        self._identity = identity
        self._accounts = accounts

    def set_params(self, ctx: Context, params: CredentialsParams) -> None:
        PARAMS.set(ctx, params)

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
        ACCREDITATION.set(ctx, (issuer.did, seq), change)
        ISSUERS.set(ctx, issuer.did, replace(issuer, changes=seq))
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
        self._put_schema(ctx, schema)
        ctx.emit(events.schema_registered(schema_id, name, version, issuer))
        return schema_id

    def _put_schema(self, ctx: Context, schema: Schema) -> None:
        """The schema, its (name, version) entry and its name's owner and latest version."""
        SCHEMAS.set(ctx, schema.id, schema)
        SCHEMA_VERSIONS.set(ctx, (schema.name, schema.version), schema.id)
        head = self.schema_name(ctx.store, schema.name)
        latest = schema.version if head is None else max(head.latest, schema.version)
        SCHEMA_NAMES.set(ctx, schema.name, SchemaName(schema.name, schema.issuer, latest))

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
        STATUS_ANCHORS.set(ctx, (list_id, version), anchor)
        STATUS_LISTS.set(ctx, list_id, latest)
        ctx.emit(events.status_list_anchored(list_id, issuer, version, digest))

    # -- KYC ---------------------------------------------------------------------------------

    def record_kyc(
        self,
        ctx: Context,
        *,
        issuer: str,
        account: str,
        subject: str,
        tier: int,
        expires_ns: int,
        credential_hash: bytes,
        escrow: Escrow | None,
    ) -> None:
        """Record the issuer's claim on an account, replacing its earlier one."""
        self.require_accredited_now(ctx, issuer, KYC_CREDENTIAL_TYPE)
        self.require_active_did(ctx.store, subject)
        bound = self._identity.did_of_account(ctx.store, account)
        if bound != subject:
            raise ErrSubjectNotBound(
                f"account {account} is bound to {bound or 'no DID'}, not {subject}: "
                "the subject must bind the account to its DID first"
            )
        if expires_ns <= ctx.time_ns:
            raise ErrInvalidExpiry(f"expiry {expires_ns} is not after the block time {ctx.time_ns}")
        if escrow is not None:
            self._check_escrow_parties(ctx.store, escrow.regulators, escrow.threshold)
        claim = KycClaim(
            account,
            issuer,
            subject,
            tier,
            expires_ns,
            credential_hash,
            escrow,
            CLAIM_ACTIVE,
            ctx.height,
            ctx.time_ns,
            self.require_issuer(ctx.store, issuer).changes,
        )
        CLAIMS.set(ctx, (claim.account, claim.issuer), claim)
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
        CLAIMS.set(ctx, (account, issuer), revoked)
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
        if self._accounts.status(ctx.store, account) != AccountStatus.ACTIVE:
            raise ErrRegulatorAccount(f"account {account} does not exist or is not active")
        regulator = Regulator(account, name, scheme, public_key, ctx.height)
        REGULATORS.set(ctx, account, regulator)
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
        REGULATORS.remove(ctx, account)
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
        """The one door of a request: an open one is filed in the expiry queue under its
        ``expires_at`` height, a granted or expired one leaves it (the collection's index)."""
        REQUESTS.set(ctx, request.id, request)

    def request_disclosure(
        self, ctx: Context, requester: str, account: str, issuer: str, reason: str
    ) -> DisclosureRequest:
        """Open a request; the requester counts as the first approval if it holds a share
        (it can open that share itself). Granted at once when that already makes m."""
        self.require_regulator(ctx.store, requester)
        claim = self.require_claim(ctx.store, account, issuer)
        if claim.escrow is None:
            raise ErrNoEscrow(f"{issuer}'s claim on {account} is tier 0: it escrows no identity")
        request_id = NEXT_REQUEST.next(ctx)
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
            0,
        )
        ctx.emit(
            events.disclosure(events.DISCLOSURE_REQUESTED, request_id, account, issuer, requester)
        )
        if len(own) >= request.required:
            self._grant(ctx, request)
        else:
            self._save_request(ctx, request)
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
        APPROVALS.set(
            ctx, (request_id, approver), Approval(request_id, approver, share, ctx.height)
        )
        approved = replace(request, approvers=(*request.approvers, approver))
        ctx.emit(
            events.disclosure(
                events.DISCLOSURE_APPROVED, request_id, request.account, request.issuer, approver
            )
        )
        if len(approved.approvers) >= approved.required:
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
        AUDIT.set(ctx, request.id, record)  # filed by account and by issuer
        ctx.emit(
            events.disclosure_granted(
                request.id, request.account, request.issuer, request.requester, request.approvers
            )
        )

    def end_block(self, ctx: Context) -> None:
        """Expire the requests whose lifetime ends at this height without a grant."""
        due = list(REQUESTS.by(BY_EXPIRY, ctx.store, ctx.height))
        for request_id in due:
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

    # -- genesis (an exported chain, imported as it was) --------------------------------------

    def import_regulator(self, ctx: Context, regulator: Regulator) -> None:
        """A regulator of an exported chain (or of a genesis file): its key must be of this
        chain's suite and its account must exist and not be closed."""
        wanted = ENCRYPTION_SCHEME_OF_SUITE[ctx.suite]
        if regulator.scheme != wanted:
            raise ErrWrongSuiteKey(
                f"regulator {regulator.account}: this chain uses the {ctx.suite} suite, whose "
                f"encryption keys are {wanted}, not {regulator.scheme}"
            )
        status = self._accounts.status(ctx.store, regulator.account)
        if status not in (AccountStatus.ACTIVE, AccountStatus.FROZEN):
            raise ErrRegulatorAccount(f"account {regulator.account} does not exist or is closed")
        REGULATORS.set(ctx, regulator.account, regulator)

    def import_issuer(
        self, ctx: Context, issuer: Issuer, history: Sequence[AccreditationChange]
    ) -> None:
        """An issuer with its whole accreditation history (``issuer.changes`` entries)."""
        for change in history:
            ACCREDITATION.set(ctx, (issuer.did, change.seq), change)
        ISSUERS.set(ctx, issuer.did, issuer)

    def import_schema(self, ctx: Context, schema: Schema) -> None:
        """A registered schema; its id must be this chain's suite hash of its document."""
        expected = get_suite(ctx.suite).hash(schema.document).hex()
        if schema.id != expected:
            raise ErrBadGenesis(
                f"schema {schema.id} is not the {ctx.suite} hash of its document ({expected})"
            )
        self._put_schema(ctx, schema)

    def import_status_list(
        self, ctx: Context, listed: StatusList, anchors: Sequence[StatusAnchor]
    ) -> None:
        """A status list: its versions 1..n and the latest, owner and purpose."""
        for anchor in anchors:
            STATUS_ANCHORS.set(ctx, (listed.list_id, anchor.version), anchor)
        STATUS_LISTS.set(ctx, listed.list_id, listed)

    def import_claim(self, ctx: Context, claim: KycClaim) -> None:
        CLAIMS.set(ctx, (claim.account, claim.issuer), claim)

    def import_disclosures(
        self,
        ctx: Context,
        next_request: int,
        requests: Sequence[DisclosureRequest],
        approvals: Sequence[Approval],
        audit: Sequence[AuditRecord],
    ) -> None:
        """Requests (open ones rejoin the expiry queue), their approvals and audit records."""
        NEXT_REQUEST.set(ctx, next_request)
        for request in requests:
            self._save_request(ctx, request)
        for approval in approvals:
            APPROVALS.set(ctx, (approval.request_id, approval.approver), approval)
        for record in audit:
            AUDIT.set(ctx, record.request_id, record)
