"""Message builders and transaction signing for clients (SDK, CLI, tests, benchmarks).

Builders produce the wire form of each message; the chain parses and checks it
again, so a builder is a convenience, never a trust boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from finchain.codec import RawMsg, TxBody, sign_tx
from finchain.core.msgs import CLOSE, KEY_CHANGE, TRANSFER
from finchain.crypto import PrivateKey, PublicKey
from finchain.modules.accounts import messages as acc
from finchain.modules.accounts.mfa import MfaRule, sort_rules
from finchain.modules.accounts.types import AccountKey, KeyPolicy
from finchain.modules.bank import messages as bank
from finchain.modules.governance import messages as gov
from finchain.modules.governance import types as govt


def key_of(
    key_id: str, private_key: PrivateKey, weight: int = 1, *, factor: str = ""
) -> AccountKey:
    """A policy entry for ``private_key``; ``factor`` labels its custody (``device``…)."""
    public = private_key.public_key()
    return AccountKey(key_id, public.scheme, public.data, weight, factor)


def policy(
    keys: Sequence[AccountKey], threshold: int = 1, *, mfa: Sequence[MfaRule] = ()
) -> KeyPolicy:
    """A key policy; ``mfa`` rules ask for keys of several factors for named operations.

    Example::

        policy(
            [key_of("phone", phone, factor="device"), key_of("hsm", hsm, factor="hardware")],
            mfa=[mfa_transfer("CNY", above=1_000_000), mfa_key_change(), mfa_close()],
        )
    """
    return KeyPolicy(tuple(sorted(keys, key=lambda k: k.id)), threshold, sort_rules(mfa))


def mfa_transfer(asset: str, *, above: int, min_factors: int = 2) -> MfaRule:
    """Transfers of more than ``above`` base units of ``asset`` per transaction (0: every one)."""
    return MfaRule(TRANSFER, min_factors, asset, above)


def mfa_key_change(*, min_factors: int = 2) -> MfaRule:
    """Any change to the account's keys, threshold, factors, rules or recovery account."""
    return MfaRule(KEY_CHANGE, min_factors)


def mfa_close(*, min_factors: int = 2) -> MfaRule:
    """Closing the account."""
    return MfaRule(CLOSE, min_factors)


def set_mfa(rules: Sequence[MfaRule]) -> RawMsg:
    """Replace the signer's multi-factor rules (``[]`` removes them); itself a key change."""
    return acc.MsgSetMfa(sort_rules(rules)).to_raw()


def set_factor(key_id: str, factor: str) -> RawMsg:
    """Label key ``key_id`` with ``factor`` (``""`` removes the label); itself a key change."""
    return acc.MsgSetFactor(key_id, factor).to_raw()


def create_account(key_policy: KeyPolicy, recovery: str = "") -> RawMsg:
    return acc.MsgCreateAccount(key_policy, recovery).to_raw()


def add_key(key: AccountKey) -> RawMsg:
    return acc.MsgAddKey(key).to_raw()


def remove_key(key_id: str) -> RawMsg:
    return acc.MsgRemoveKey(key_id).to_raw()


def rotate_key(key_id: str, private_key: PrivateKey) -> RawMsg:
    public = private_key.public_key()
    return acc.MsgRotateKey(key_id, public.scheme, public.data).to_raw()


def set_threshold(threshold: int) -> RawMsg:
    return acc.MsgSetThreshold(threshold).to_raw()


def set_recovery(recovery: str) -> RawMsg:
    return acc.MsgSetRecovery(recovery).to_raw()


def initiate_reset(account: str, key_policy: KeyPolicy) -> RawMsg:
    return acc.MsgInitiateReset(account, key_policy).to_raw()


def cancel_reset() -> RawMsg:
    return acc.MsgCancelReset().to_raw()


def close_account() -> RawMsg:
    return acc.MsgCloseAccount().to_raw()


def create_asset(
    symbol: str,
    name: str,
    decimals: int,
    *,
    max_supply: int = 0,
    minters: Sequence[str] = (),
    burners: Sequence[str] = (),
) -> RawMsg:
    return bank.MsgCreateAsset(
        symbol, name, decimals, max_supply, tuple(minters), tuple(burners)
    ).to_raw()


def mint(asset: str, to: str, amount: int) -> RawMsg:
    return bank.MsgMint(asset, to, amount).to_raw()


def burn(asset: str, amount: int) -> RawMsg:
    return bank.MsgBurn(asset, amount).to_raw()


def transfer(*outputs: tuple[str, str, int]) -> RawMsg:
    """``transfer((to, asset, amount), ...)``: one message paying every output."""
    return bank.MsgTransfer(
        tuple(bank.Output(to, asset, amount) for to, asset, amount in outputs)
    ).to_raw()


def submit_proposal(
    title: str, actions: Sequence[govt.Action] = (), *, description: str = ""
) -> RawMsg:
    """A governance proposal; no actions makes a text proposal.

    Example::

        submit_proposal("admit bank E", [add_member("FC..", "Bank E", 1)])
    """
    return gov.MsgSubmitProposal(title, description, tuple(actions)).to_raw()


def vote(proposal_id: int, option: str) -> RawMsg:
    """``option``: ``yes``, ``no`` or ``abstain``."""
    return gov.MsgVote(proposal_id, option).to_raw()


def add_member(account: str, name: str, weight: int = 1) -> govt.AddMember:
    return govt.AddMember(account, name, weight)


def remove_member(account: str) -> govt.RemoveMember:
    return govt.RemoveMember(account)


def set_member_weight(account: str, weight: int) -> govt.SetMemberWeight:
    return govt.SetMemberWeight(account, weight)


def _key_bytes(public_key: PublicKey | bytes) -> bytes:
    return public_key if isinstance(public_key, bytes) else public_key.data


def add_validator(
    name: str, public_key: PublicKey | bytes, power: int, *, scheme: str = "ed25519"
) -> govt.AddValidator:
    """``public_key`` as a key object, or raw bytes of ``scheme`` (a CometBFT key is ed25519)."""
    if isinstance(public_key, bytes):
        return govt.AddValidator(name, scheme, public_key, power)
    return govt.AddValidator(name, public_key.scheme, public_key.data, power)


def set_validator_power(public_key: PublicKey | bytes, power: int) -> govt.SetValidatorPower:
    return govt.SetValidatorPower(_key_bytes(public_key), power)


def remove_validator(public_key: PublicKey | bytes) -> govt.RemoveValidator:
    return govt.RemoveValidator(_key_bytes(public_key))


def restore_validator(public_key: PublicKey | bytes, power: int) -> govt.RestoreValidator:
    return govt.RestoreValidator(_key_bytes(public_key), power)


def set_param(space: str, name: str, value: int | str) -> govt.SetParam:
    """``space``: ``app`` (chain params) or ``governance``; fractions as ``"3/4"``."""
    return govt.SetParam(space, name, value)


def exec_msg(msg: RawMsg) -> govt.ExecMsg:
    """An action running a governed message (accredit an issuer, add a regulator...).

    Example::

        submit_proposal("accredit Bank A", [exec_msg(accredit_issuer(...))])
    """
    return govt.ExecMsg.of(msg.type, dict(msg.value))


@dataclass
class Signer:
    """An account and the keys this client holds for it; tracks the next nonce locally."""

    chain_id: str
    account: str
    keys: list[tuple[str, PrivateKey]]
    nonce: int = 0

    def sign(
        self, *msgs: RawMsg, memo: str = "", expiry: int = 0, nonce: int | None = None
    ) -> bytes:
        """Sign ``msgs`` as one transaction with every held key; advances the local nonce."""
        use = self.nonce if nonce is None else nonce
        body = TxBody(self.chain_id, self.account, use, tuple(msgs), memo, expiry)
        raw = sign_tx(body, [(key_id, key.sign) for key_id, key in self.keys])
        if nonce is None:
            self.nonce += 1
        return raw
