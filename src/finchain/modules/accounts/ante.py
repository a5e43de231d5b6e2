"""The accounts module's ante decorator: who signed, with what weight and factors, in order.

For the account a transaction comes from (``body.account``): each signature is
by one of its keys, at most once, and verifies (the signature cache first);
the weights reach the policy's threshold; the keys' factors satisfy the
account's multi-factor rules for what the messages do (docs/multifactor.md);
the nonce is the next one; the account is active, and outside a key-reset lock
window for asset operations (JR/T 0184 13.5.6). The only write is the nonce
increment, in the transaction's ante overlay: a refusal leaves state exactly
as it was.

Those checks, short of the nonce, are ``AccountSignatures.authorize``: "these
signatures over this message authorise this account for these operations".
The ante decorator applies it to the transaction's account and its sign-bytes;
another module applies it to an account that co-signs something else (the
settlement module's endorsements), so every account's key policy is enforced
by this one piece of code.

``signature_jobs`` tells the application which signature checks a block will
need, so it can verify them in a batch first (``finchain.core.signatures``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from finchain.codec import Tx, TxSignature
from finchain.core import gas
from finchain.core.authority import AccountStatus
from finchain.core.context import Context
from finchain.core.errors import (
    ErrAccountClosed,
    ErrAccountFrozen,
    ErrBadNonce,
    ErrBadSignature,
    ErrDuplicateSignature,
    ErrInsufficientWeight,
    ErrResetLock,
    ErrUnknownAccount,
    ErrUnknownKey,
)
from finchain.core.kv import KVReader
from finchain.core.msgs import Msg, Operation, tx_operations
from finchain.core.signatures import SignatureCache, SignatureJob
from finchain.crypto import verify_signature
from finchain.modules.accounts.keeper import AccountsKeeper, AccountsView
from finchain.modules.accounts.signer import SignerInfo

__all__ = ["AccountSignatures", "Authenticator"]


class AccountSignatures:
    """Checks signatures over a message against an account's own key policy.

    ``entry_id`` names the signed message in the signature cache: it must be a
    hash that determines ``message`` (a transaction's id, the hash of an
    endorsement's sign-bytes), so a cached verdict vouches for nothing else.
    """

    def __init__(self, keeper: AccountsView, cache: SignatureCache) -> None:
        self._keeper = keeper
        self._cache = cache

    def authorize(
        self,
        ctx: Context,
        account: str,
        signatures: Sequence[TxSignature],
        message: bytes,
        entry_id: bytes,
        operations: Callable[[], Sequence[Operation]],
        *,
        asset_operation: bool,
        nonce: int | None = None,
    ) -> SignerInfo:
        """Raise unless ``signatures`` over ``message`` authorise ``account`` for ``operations()``.

        In order: the account exists; each signature is by one of its keys, at most
        once, and verifies (charged per signature, as the ante chain charges); the
        weights reach the threshold; the keys' factors meet the account's
        multi-factor rules for ``operations()`` (called only for an account that has
        rules: most have none); ``nonce`` (a transaction's; None for
        a message without one) is the account's next; the account is active, and
        outside a key-reset lock window when ``asset_operation``. Writes nothing;
        returns what it read of the account.
        """
        info = self._keeper.signer_info(ctx, account)
        if info is None:
            raise ErrUnknownAccount(f"account {account} does not exist")
        self._check_signatures(ctx, account, signatures, message, entry_id, info)
        if info.factors is not None:
            # Every signature verified above; the account's rules decide whether the
            # factors of those keys suffice for what is being authorised.
            info.factors.require([sig.key_id for sig in signatures], operations())
        if nonce is not None and nonce != info.nonce:
            raise ErrBadNonce(
                f"nonce {nonce} does not match the account's next nonce {info.nonce}: "
                "re-sign with the current nonce (query the account)"
            )
        _check_status(info, account, asset_operation)
        return info

    def jobs(
        self,
        reader: KVReader,
        account: str,
        signatures: Sequence[TxSignature],
        message: bytes,
        entry_id: bytes,
    ) -> list[SignatureJob]:
        """The verifications ``authorize`` would need that the cache does not hold yet."""
        found = self._keeper.get_account(reader, account)
        if found is None:
            return []
        jobs = []
        for sig in signatures:
            key = found.policy.key(sig.key_id)
            if key is not None:
                entry = (entry_id, key.scheme, key.public_key + sig.signature)
                if entry not in self._cache:
                    jobs.append(
                        SignatureJob(entry, key.scheme, key.public_key, message, sig.signature)
                    )
        return jobs

    def _check_signatures(
        self,
        ctx: Context,
        account: str,
        signatures: Sequence[TxSignature],
        message: bytes,
        entry_id: bytes,
        info: SignerInfo,
    ) -> None:
        seen: set[str] = set()
        weight = 0
        for sig in signatures:
            if sig.key_id in seen:
                raise ErrDuplicateSignature(f"key {sig.key_id!r} signed twice")
            seen.add(sig.key_id)
            key = info.keys.get(sig.key_id)
            if key is None:
                raise ErrUnknownKey(f"key {sig.key_id!r} is not a key of account {account}")
            ctx.store.meter.charge(gas.SIG_VERIFY[key.scheme], "verifying signatures")
            entry = (entry_id, key.scheme, key.public_key + sig.signature)
            if entry not in self._cache:
                if not verify_signature(key.scheme, key.public_key, message, sig.signature):
                    raise ErrBadSignature(f"signature by key {sig.key_id!r} does not verify")
                self._cache.add(entry)
            weight += key.weight
        if weight < info.threshold:
            raise ErrInsufficientWeight(
                f"signatures carry weight {weight}; account {account} needs {info.threshold}"
            )


class Authenticator:
    """The ante decorator (call it) and the block's ``SignatureSource``."""

    def __init__(self, keeper: AccountsKeeper, cache: SignatureCache) -> None:
        self._keeper = keeper
        self.signatures = AccountSignatures(keeper, cache)

    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        body = tx.body
        info = self.signatures.authorize(
            ctx,
            body.account,
            tx.signatures,
            tx.sign_bytes(),
            tx_id,
            lambda: tx_operations(msgs),
            asset_operation=any(m.ASSET_OPERATION for m in msgs),
            nonce=body.nonce,
        )
        self._keeper.set_nonce(ctx, body.account, info.nonce + 1)

    def signature_jobs(
        self, reader: KVReader, txs: Sequence[tuple[Tx, bytes]]
    ) -> list[SignatureJob]:
        jobs = []
        for tx, tx_id in txs:
            jobs += self.signatures.jobs(
                reader, tx.body.account, tx.signatures, tx.sign_bytes(), tx_id
            )
        return jobs


def _check_status(info: SignerInfo, account: str, asset_operation: bool) -> None:
    if info.status == AccountStatus.FROZEN:
        raise ErrAccountFrozen(f"account {account} is frozen and cannot transact")
    if info.status == AccountStatus.CLOSED:
        raise ErrAccountClosed(f"account {account} is closed")
    if info.reset_pending and asset_operation:
        raise ErrResetLock(
            f"account {account} is in a key-reset lock window: asset operations are blocked "
            "until the reset completes or is cancelled"
        )
