"""The accounts module's ante decorator: who signed, with what weight and factors, in order.

For the account a transaction comes from (``body.account``): each signature is
by one of its keys, at most once, and verifies (the signature cache first);
the weights reach the policy's threshold; the keys' factors satisfy the
account's multi-factor rules for what the messages do (docs/multifactor.md);
the nonce is the next one; the account is active, and outside a key-reset lock
window for asset operations (JR/T 0184 13.5.6). The only write is the nonce
increment, in the transaction's ante overlay: a refusal leaves state exactly
as it was.

``signature_jobs`` tells the application which signature checks a block will
need, so it can verify them in a batch first (``finchain.core.signatures``).
"""

from __future__ import annotations

from collections.abc import Sequence

from finchain.codec import Tx
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
from finchain.core.msgs import Msg, tx_operations
from finchain.core.signatures import SignatureCache, SignatureJob
from finchain.crypto import verify_signature
from finchain.modules.accounts.keeper import AccountsKeeper
from finchain.modules.accounts.signer import SignerInfo

__all__ = ["Authenticator"]


class Authenticator:
    """The ante decorator (call it) and the block's ``SignatureSource``."""

    def __init__(self, keeper: AccountsKeeper, cache: SignatureCache) -> None:
        self._keeper = keeper
        self._cache = cache

    def __call__(self, ctx: Context, tx: Tx, tx_id: bytes, msgs: Sequence[Msg]) -> None:
        body = tx.body
        info = self._keeper.signer_info(ctx, body.account)
        if info is None:
            raise ErrUnknownAccount(f"account {body.account} does not exist")
        self._check_signatures(ctx, tx, tx_id, info)
        if info.factors is not None:
            # Every signature verified above; the account's rules decide whether the
            # factors of those keys suffice for what the messages do.
            info.factors.require([sig.key_id for sig in tx.signatures], tx_operations(msgs))
        if body.nonce != info.nonce:
            raise ErrBadNonce(
                f"nonce {body.nonce} does not match the account's next nonce {info.nonce}: "
                "re-sign with the current nonce (query the account)"
            )
        _check_status(info, body.account, msgs)
        self._keeper.set_nonce(ctx, body.account, info.nonce + 1)

    def signature_jobs(
        self, reader: KVReader, txs: Sequence[tuple[Tx, bytes]]
    ) -> list[SignatureJob]:
        jobs = []
        for tx, tx_id in txs:
            account = self._keeper.get_account(reader, tx.body.account)
            if account is None:
                continue
            message = tx.sign_bytes()
            for sig in tx.signatures:
                key = account.policy.key(sig.key_id)
                if key is not None:
                    entry = (tx_id, key.scheme, key.public_key + sig.signature)
                    if entry not in self._cache:
                        jobs.append(
                            SignatureJob(entry, key.scheme, key.public_key, message, sig.signature)
                        )
        return jobs

    def _check_signatures(self, ctx: Context, tx: Tx, tx_id: bytes, info: SignerInfo) -> None:
        seen: set[str] = set()
        weight = 0
        message = b""
        for sig in tx.signatures:
            if sig.key_id in seen:
                raise ErrDuplicateSignature(f"key {sig.key_id!r} signed twice")
            seen.add(sig.key_id)
            key = info.keys.get(sig.key_id)
            if key is None:
                raise ErrUnknownKey(f"key {sig.key_id!r} is not a key of account {tx.body.account}")
            ctx.store.meter.charge(gas.SIG_VERIFY[key.scheme], "verifying signatures")
            entry = (tx_id, key.scheme, key.public_key + sig.signature)
            if entry not in self._cache:
                message = message or tx.sign_bytes()
                if not verify_signature(key.scheme, key.public_key, message, sig.signature):
                    raise ErrBadSignature(f"signature by key {sig.key_id!r} does not verify")
                self._cache.add(entry)
            weight += key.weight
        if weight < info.threshold:
            raise ErrInsufficientWeight(
                f"signatures carry weight {weight}; account {tx.body.account} "
                f"needs {info.threshold}"
            )


def _check_status(info: SignerInfo, account: str, msgs: Sequence[Msg]) -> None:
    if info.status == AccountStatus.FROZEN:
        raise ErrAccountFrozen(f"account {account} is frozen and cannot transact")
    if info.status == AccountStatus.CLOSED:
        raise ErrAccountClosed(f"account {account} is closed")
    if info.reset_pending and any(m.ASSET_OPERATION for m in msgs):
        raise ErrResetLock(
            f"account {account} is in a key-reset lock window: asset operations are blocked "
            "until the reset completes or is cancelled"
        )
