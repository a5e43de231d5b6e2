"""``finchain account``: open accounts and manage the keys that control them.

Accounts are not keys: the chain assigns the id, and keys are attached under
an M-of-N policy, rotated, reset by a recovery account after a lock window,
or the account is closed for good. Keys are named by their keystore name;
their on-chain ids (``k1``, ``k2``…) are chosen here, in order.

Every command that makes a new key control an account records ``key name ->
account id`` in the address book (``HOME/accounts.json``), so that key can
sign with a plain ``--from NAME`` afterwards.

Multi-factor control (docs/multifactor.md): ``--factor`` labels a key's
custody (``device``, ``hardware``…) and ``--rule`` asks for keys of several
distinct factors for key changes, closing, or transfers above an amount.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from finchain.cli import accountbook
from finchain.cli.amounts import to_units
from finchain.cli.online import HeightOpt, ProveOpt, SaveOpt, event_value, prove_answer, saved_note
from finchain.cli.output import CliError, emit
from finchain.cli.txflags import NodeOptions, TxOptions, home_command, query_command, tx_command
from finchain.client import Client
from finchain.client import builders as b
from finchain.client.types import Account
from finchain.crypto import KeyInfo
from finchain.modules.accounts.mfa import FACTOR, MfaRule
from finchain.modules.accounts.types import AccountKey

app = typer.Typer(help="Accounts and their key policies (online, via --url).", no_args_is_help=True)

KeysOpt = Annotated[
    list[str], typer.Option("--key", help="keystore key to put on the policy (repeatable)")
]
ThresholdOpt = Annotated[
    int, typer.Option("--threshold", help="total key weight needed to sign", min=1)
]
AccountArg = Annotated[str, typer.Argument(help="account id (FC…) or a name (docs/cli.md)")]
RulesOpt = Annotated[
    list[str],
    typer.Option(
        "--rule",
        help="multi-factor rule (repeatable): key_change:N, close:N or "
        "transfer:ASSET:AMOUNT:N (transfers above AMOUNT need keys of N distinct factors)",
    ),
]
RULE_FORMS = "key_change:2, close:2 or transfer:CNY:1000.00:2"
KeyFactorsOpt = Annotated[
    list[str],
    typer.Option(
        "--factor", help="KEY=LABEL: the factor of a --key, e.g. phone=device (repeatable)"
    ),
]


def _factor(label: str, what: str) -> str:
    if not FACTOR.fullmatch(label):
        raise CliError(
            f"{what}: factor {label!r} must be a short lowercase label matching "
            f"{FACTOR.pattern}, e.g. device, hardware, custodian"
        )
    return label


def _key_factors(pairs: list[str], names: list[str]) -> dict[str, str]:
    """``--factor NAME=LABEL`` options of ``create``: the label of each named --key."""
    factors: dict[str, str] = {}
    for pair in pairs:
        name, sep, label = pair.partition("=")
        if not sep or name not in names:
            raise CliError(
                f"--factor {pair!r}: write KEY=LABEL with KEY one of the --key names {names}"
            )
        if name in factors:
            raise CliError(f"--factor names key {name!r} twice")
        factors[name] = _factor(label, f"--factor {pair!r}")
    return factors


def _min_factors(text: str, spec: str) -> int:
    if not text.isdigit() or int(text) < 2:
        raise CliError(f"--rule {spec!r}: the number of factors must be an integer >= 2")
    return int(text)


def parse_rule(spec: str, client: Client) -> MfaRule:
    """One ``--rule``; a transfer amount is in the asset's units and read with its decimals."""
    parts = spec.split(":")
    if parts[0] in ("key_change", "close") and len(parts) == 2:
        return MfaRule(parts[0], _min_factors(parts[1], spec))
    if parts[0] == "transfer" and len(parts) == 4:
        _, asset, amount, count = parts
        decimals = client.asset(asset).decimals
        above = to_units(amount, decimals, what=f"--rule {spec!r} amount", allow_zero=True)
        return b.mfa_transfer(asset, above=above, min_factors=_min_factors(count, spec))
    raise CliError(f"--rule {spec!r} is not a rule; write {RULE_FORMS}")


def _policy_keys(infos: list[KeyInfo], factors: dict[str, str] | None = None) -> list[AccountKey]:
    """Ids k1, k2… in --key order; ``factors`` labels keys by keystore name."""
    labels = factors or {}
    return [
        AccountKey(f"k{number}", info.scheme, info.public_key.data, 1, labels.get(info.name, ""))
        for number, info in enumerate(infos, start=1)
    ]


def _next_key_id(account: Account) -> str:
    taken = {str(k.get("id")) for k in account.policy.get("keys", [])}
    number = 1
    while f"k{number}" in taken:
        number += 1
    return f"k{number}"


def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "status": account.status,
        "nonce": account.nonce,
        "threshold": account.policy.get("threshold"),
        "keys": account.policy.get("keys", []),
        "mfa": account.policy.get("mfa", []),
        "recovery": account.recovery,
        "created": account.created,
        "reset_due": account.reset_due,
        "pending_reset": account.pending_reset,
        "height": account.height,
    }


@query_command(app, "show", names=True)
def show(
    account: AccountArg,
    height: HeightOpt = None,
    prove: ProveOpt = False,
    save: SaveOpt = None,
    *,
    q: NodeOptions,
) -> None:
    """An account's status, key policy, next nonce and any pending key reset."""
    account_id = q.resolve(account)
    with q.connect() as client:
        found = client.account(account_id, height=height, prove=prove or save is not None)
        data = account_json(found)
        params = {"account": account_id}
        query = {"path": "accounts/account", "params": params, "answer": dict(data)}
        prove_answer(client, data, found.proof, save, query)
    if q.json:
        emit(data, as_json=True)
        return
    keys = [{**k, "factor": k.get("factor", "")} for k in data.pop("keys")]
    rules = data.pop("mfa")
    emit(data, as_json=False, title=f"account {found.id}")
    emit(keys, as_json=False, title="keys")
    if rules:
        rows = [{"asset": "", "above": "", **r} for r in rules]
        emit(rows, as_json=False, title="multi-factor rules (amounts in base units)")
    if save is not None:
        saved_note(save)


@tx_command(app, "create")
def create(
    key: KeysOpt,
    threshold: ThresholdOpt = 1,
    recovery: Annotated[
        str, typer.Option("--recovery", help="account allowed to reset this one's keys")
    ] = "",
    factor: KeyFactorsOpt = [],  # noqa: B006 - Typer reads the default, never mutates it
    rule: RulesOpt = [],  # noqa: B006
    alias: Annotated[
        str | None, typer.Option("--alias", help="address-book name (default: the first --key)")
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Open an account controlled by the --key keys (ids k1, k2… in order); --from signs."""
    if not key:
        raise CliError("name at least one --key for the new account's policy")
    keys = _policy_keys(tx.public_keys(key), _key_factors(factor, key))
    recovery_id = tx.resolve(recovery) if recovery else ""
    with tx.session() as s:
        policy = b.policy(keys, threshold, mfa=[parse_rule(r, s.client) for r in rule])
        receipt = s.send(b.create_account(policy, recovery_id))
    created = event_value(receipt, "account_created", "account")
    name = alias or key[0]
    if created is not None:
        accountbook.remember(tx.home, name, created)
    tx.report(receipt, {"account": created, "alias": name})


@tx_command(app, "add-key")
def add_key(
    key: Annotated[str, typer.Option("--key", help="keystore key to add")],
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="on-chain id (default: next kN)")
    ] = None,
    weight: Annotated[int, typer.Option("--weight", min=1, help="the key's weight")] = 1,
    factor: Annotated[
        str, typer.Option("--factor", help="the key's factor label, e.g. hardware (default: none)")
    ] = "",
    *,
    tx: TxOptions,
) -> None:
    """Attach another keystore key to the signer's account."""
    [info] = tx.public_keys([key])
    label = _factor(factor, "--factor") if factor else ""
    with tx.session() as s:
        new_id = key_id or _next_key_id(s.client.account(s.account))
        entry = AccountKey(new_id, info.scheme, info.public_key.data, weight, label)
        receipt = s.send(b.add_key(entry))
    if receipt.ok and receipt.committed:
        accountbook.remember(tx.home, key, s.account)
    tx.report(receipt, {"account": s.account, "key_id": new_id})


@tx_command(app, "rotate")
def rotate(
    to: Annotated[str, typer.Option("--to", help="keystore key that replaces the old one")],
    key_id: Annotated[
        str | None, typer.Option("--key-id", help="on-chain key to replace (default: --from's)")
    ] = None,
    *,
    tx: TxOptions,
) -> None:
    """Replace a key's material (same id and weight) with keystore key --to.

    --to is decrypted first (same passphrase sources as --from): rotating to a key
    whose passphrase is lost would lock the account.
    """
    tx.store().info(to)
    with tx.session() as s:
        who = s.signer  # the --from keys unlock first, then --to
        target = key_id or who.keys[0][0]
        # unlocking --to proves it opens: rotating to a key one cannot use locks one out
        receipt = s.send(b.rotate_key(target, tx.key(to)))
    if receipt.ok and receipt.committed:
        accountbook.remember(tx.home, to, s.account)
    tx.report(receipt, {"account": s.account, "key_id": target})


@tx_command(app, "reset")
def reset(
    target: AccountArg,
    key: KeysOpt,
    threshold: ThresholdOpt = 1,
    factor: KeyFactorsOpt = [],  # noqa: B006 - Typer reads the default, never mutates it
    rule: RulesOpt = [],  # noqa: B006
    *,
    tx: TxOptions,
) -> None:
    """Start a key reset of ACCOUNT, signed by its recovery account (--from).

    The new --key policy takes effect after the chain's lock window; until then
    the account's current keys may stop it with ``finchain account cancel-reset``.
    The new policy may carry --factor labels and --rule rules like ``create``.
    """
    if not key:
        raise CliError("name at least one --key for the account's new policy")
    keys = _policy_keys(tx.public_keys(key), _key_factors(factor, key))
    target_id = tx.resolve(target)
    with tx.session() as s:
        policy = b.policy(keys, threshold, mfa=[parse_rule(r, s.client) for r in rule])
        receipt = s.send(b.initiate_reset(target_id, policy))
    due = event_value(receipt, "key_reset_initiated", "due")
    if receipt.ok and receipt.committed:
        accountbook.remember(tx.home, key[0], target_id)
    tx.report(receipt, {"account": target_id, "due": due})


@tx_command(app, "set-mfa")
def set_mfa(
    rule: RulesOpt = [],  # noqa: B006 - Typer reads the default, never mutates it
    clear: Annotated[bool, typer.Option("--clear", help="remove every rule")] = False,
    *,
    tx: TxOptions,
) -> None:
    """Replace the signer's multi-factor rules with the --rule rules (or remove all: --clear).

    Changing the rules is itself a key change: if the account has a key_change
    rule, sign with keys of enough factors (repeat --from).
    """
    if bool(rule) == clear:
        raise CliError(f"give the new rules with --rule ({RULE_FORMS}), or --clear")
    with tx.session() as s:
        rules = [parse_rule(r, s.client) for r in rule]
        receipt = s.send(b.set_mfa(rules))
    tx.report(receipt, {"account": s.account, "rules": [r.to_obj() for r in rules]})


@tx_command(app, "set-factor")
def set_factor(
    key_id: Annotated[str, typer.Option("--key-id", help="on-chain key id to label (k1, k2…)")],
    factor: Annotated[
        str, typer.Option("--factor", help="the factor label, e.g. hardware; '' removes it")
    ],
    *,
    tx: TxOptions,
) -> None:
    """Label one of the signer's keys with a factor (a key change: may need several factors)."""
    label = _factor(factor, "--factor") if factor else ""
    with tx.session() as s:
        receipt = s.send(b.set_factor(key_id, label))
    tx.report(receipt, {"account": s.account, "key_id": key_id, "factor": label})


@tx_command(app, "cancel-reset")
def cancel_reset(*, tx: TxOptions) -> None:
    """Stop a pending key reset of the signer's own account (signed by its current keys)."""
    with tx.session() as s:
        receipt = s.send(b.cancel_reset())
    tx.report(receipt, {"account": s.account})


@tx_command(app, "close")
def close(
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    *,
    tx: TxOptions,
) -> None:
    """Close the signer's account for good (it must hold no assets; the id is never reused)."""
    with tx.session() as s:
        if not yes and not typer.confirm(
            f"close account {s.account} permanently?", default=False, err=True
        ):
            raise CliError("not closed (confirm, or pass --yes)")
        receipt = s.send(b.close_account())
    tx.report(receipt, {"account": s.account})


@home_command(app, "alias")
def alias_cmd(
    name: Annotated[str, typer.Argument(help="a name to use instead of the id")],
    account_id: Annotated[str, typer.Argument(help="the account id (FC…)")],
    *,
    opts: NodeOptions,
) -> None:
    """Record NAME -> ACCOUNT_ID in the address book (HOME/accounts.json); offline."""
    accountbook.remember(opts.home, name, account_id)
    book = str(accountbook.book_path(opts.home))
    opts.emit({"name": name, "account": account_id, "book": book})
