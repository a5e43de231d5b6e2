"""What every command that talks to a node shares: connecting, the signer, reporting.

All HTTP goes through the SDK (``finchain.client.Client``); this module only
adds what a command line needs on top: keys unlocked from the keystore, the
signing key's id looked up on the account's on-chain policy (so a user names
a key, never a key id), the nonce fetched from the node, and one way to print
a receipt and fail with its code. Commands reach these through the shared
options of ``finchain.cli.txflags``.

**Which chain answered.** ``connect(url, home=HOME)`` compares the chain the
node serves (``/v1/status``: ``chain_id``, ``genesis_hash``) with
``HOME/genesis.json`` when the home has one. Every ``finchain dev`` chain is
called ``finchain-dev`` and listens on the same default port, so a command
left on its defaults can reach somebody else's dev node. On a difference a
reading command still answers and then warns on stderr, naming both chains;
signing (``signer``) and verdicts that rest on chain state
(``require_same_chain``) refuse instead (usage error, exit 2).

**Moved nonces.** Transactions are sent by ``finchain.client.sending.send_tx``
(through ``finchain.cli.txflags``), which re-signs when another transaction of
the account took the nonce; ``resign_note`` is what the CLI says when it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from finchain.app.genesis import Genesis
from finchain.cli import accountbook
from finchain.cli.common import open_keystore, passphrase, write_json_file
from finchain.cli.output import CliError, emit, stderr, stdout
from finchain.cli.prooffile import state_document
from finchain.client import Client, Signer, SubmitReceipt
from finchain.client.types import Account, Proof
from finchain.crypto import Keystore, PrivateKey
from finchain.errors import FinchainError

FromOpt = Annotated[
    list[str],
    typer.Option(
        "--from",
        help="keystore key that signs (repeat for an M-of-N account; all share one passphrase)",
    ),
]
AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="account id of the signer (default: looked up from --from, see docs/cli.md)",
    ),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait/--no-wait",
        help="wait until committed (default) or return after the mempool check",
    ),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="seconds to wait for the block")]
HeightOpt = Annotated[
    int | None, typer.Option("--height", help="read committed state at this height")
]
ProveOpt = Annotated[bool, typer.Option("--prove", help="fetch and check a Merkle proof")]
SaveOpt = Annotated[
    Path | None,
    typer.Option("--save", help="write a finchain-proof/v1 file for `finchain verify proof`"),
]


# id(client) -> what differs between the node's chain and the home's ("" = nothing, or
# already reported as an error); entries live while their ``connect`` block runs.
_CHAIN_NOTES: dict[int, str] = {}


@contextmanager
def connect(url: str, *, home: Path | None = None) -> Iterator[Client]:
    """A client for one command (a short timeout: a CLI user wants to hear back quickly).

    With ``home``, the node's chain is compared with ``HOME/genesis.json`` (see the
    module docstring): a difference is printed as a warning on stderr when the
    block ends, unless ``signer`` or ``require_same_chain`` refused on it.
    """
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--url {url!r} must start with http:// or https://")
    with Client(url, timeout=15.0, retries=2) as client:
        if home is not None:
            _CHAIN_NOTES[id(client)] = chain_difference(client, home)
        try:
            yield client
        finally:
            note = _CHAIN_NOTES.pop(id(client), "")
            if note:
                stderr.print(
                    f"warning: {note}; the answer above came from that chain: {_POINT}",
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )


_POINT = "point --url (FINCHAIN_URL) at your chain's node, or --home (FINCHAIN_HOME) at its home"


def chain_difference(client: Client, home: Path) -> str:
    """What differs between the node's chain and ``HOME/genesis.json``, as one sentence
    naming both chains by id and genesis hash; empty if nothing does (or no genesis)."""
    path = home.expanduser() / "genesis.json"
    if not path.is_file():
        return ""
    try:
        genesis = Genesis.load(path)
        expected = genesis.hash().hex()
    except FinchainError as exc:
        return f"cannot tell which chain answered: {path} is unreadable ({exc.message})"
    status = client.status()
    same_id = status.chain_id == genesis.chain_id
    if same_id and status.genesis_hash in ("", expected):
        return ""  # same chain, or a node too old to report its genesis hash
    answered = status.genesis_hash[:16] or "not reported"
    return (
        f"the node at {client.url} serves chain {status.chain_id} (genesis {answered}), "
        f"not the chain of {path} ({genesis.chain_id}, genesis {expected[:16]})"
    )


def require_same_chain(client: Client, home: Path, *, refusing: str) -> None:
    """Refuse (CliError) when the node serves another chain than ``home``'s genesis.

    ``refusing`` says what would have been wrong: "to sign for it", "to verify against it".
    """
    key = id(client)
    note = _CHAIN_NOTES[key] if key in _CHAIN_NOTES else chain_difference(client, home)
    if note:
        if key in _CHAIN_NOTES:
            _CHAIN_NOTES[key] = ""  # reported as the error, not again as a warning
        raise CliError(f"{note}: refusing {refusing}; {_POINT}")


def key_id_on(account: Account, key: PrivateKey, name: str) -> str:
    """The id under which ``key`` sits on ``account``'s policy (CliError if it does not)."""
    public = key.public_key()
    for entry in account.policy.get("keys", []):
        if entry.get("scheme") == public.scheme and entry.get("public_key") == public.data.hex():
            return str(entry["id"])
    ids = ", ".join(str(k.get("id")) for k in account.policy.get("keys", []))
    raise CliError(
        f"key {name!r} is not one of the keys of account {account.id} (its keys: {ids}); "
        "pick another --from or --account"
    )


def unlock(
    store: Keystore, names: Sequence[str], home: Path, passphrase_file: Path | None
) -> list[tuple[str, PrivateKey]]:
    """Decrypt the named keys; one passphrase for all (asked once)."""
    for name in names:
        store.info(name)  # a missing key fails before the passphrase prompt
    secret = passphrase(home, passphrase_file, prompt=f"passphrase of key {', '.join(names)}")
    return [(name, store.load(name, secret)) for name in names]


def signer(
    client: Client,
    names: Sequence[str],
    *,
    account: str | None,
    home: Path,
    keystore: Path | None,
    passphrase_file: Path | None,
) -> Signer:
    """A Signer for the account behind ``--from`` keys, at the nonce the node expects next."""
    if not names:
        raise CliError("name the signing key with --from NAME")
    store = open_keystore(home, keystore)
    account_id = accountbook.resolve(account or names[0], home, store)
    require_same_chain(client, home, refusing="to sign for it")
    keys = unlock(store, names, home, passphrase_file)
    on_chain = client.account(account_id)
    pairs = [(key_id_on(on_chain, key, name), key) for name, key in keys]
    return Signer(client.status().chain_id, account_id, pairs, nonce=on_chain.nonce)


def resign_note(account: str, used: int, nonce: int) -> None:
    """The note on stderr when a transaction was re-signed after a moved nonce."""
    stderr.print(
        f"note: the node refused nonce {used} of account {account} ([tx:13]: another "
        f"transaction of the account took it meanwhile); re-signed with nonce {nonce} "
        "and sent again",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )


def receipt_json(receipt: SubmitReceipt) -> dict[str, Any]:
    """A receipt as the CLI reports it: the result that matters, flattened."""
    result = receipt.deliver if receipt.deliver is not None else receipt.check
    return {
        "tx_id": receipt.tx_id,
        "committed": receipt.committed,
        "height": receipt.height,
        "index": receipt.index,
        "code": None if result is None else result.code,
        "codespace": "" if result is None else result.codespace,
        "log": "" if result is None else result.log,
        "info": "" if result is None else result.info,
        "events": [] if result is None else [e.to_obj() for e in result.events],
        "timed_out": receipt.timed_out,
    }


def event_value(receipt: SubmitReceipt, event_type: str, attribute: str) -> str | None:
    """The first ``attribute`` of an ``event_type`` event in the executed result."""
    result = receipt.deliver
    if result is None:
        return None
    for event in result.events:
        if event.type == event_type:
            return event.get(attribute)
    return None


def report(receipt: SubmitReceipt, *, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Print the receipt; exit 1 with a one-line reason unless it succeeded."""
    data = {**receipt_json(receipt), **(extra or {})}
    if as_json:
        emit(data, as_json=True)
    else:
        events = data.pop("events")
        emit(data, as_json=False)
        if events:
            emit(
                [
                    {
                        "event": e["type"],
                        "attributes": ", ".join(f"{k}={v}" for k, v in e["attributes"]),
                    }
                    for e in events
                ],
                as_json=False,
            )
    if not receipt.ok:
        result = receipt.deliver if receipt.deliver is not None else receipt.check
        if receipt.timed_out and (result is None or result.ok):
            reason = (
                f"tx {receipt.tx_id} not committed within the wait; it may still be: "
                f"`finchain tx show {receipt.tx_id}`"
            )
        else:
            stage = "failed in block" if receipt.deliver is not None else "rejected"
            assert result is not None
            reason = f"[{result.codespace}:{result.code}] tx {receipt.tx_id} {stage}: {result.log}"
        stderr.print(f"error {reason}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)


def proof_status(client: Client, proof: Proof) -> str:
    """Check a proof the node returned, here and now: "verified" or "INVALID"."""
    return "verified" if proof.verify(client.status().hash_name) else "INVALID"


def prove_answer(
    client: Client,
    data: dict[str, Any],
    proof: Proof | None,
    save: Path | None,
    query: dict[str, Any],
) -> None:
    """``data`` gains ``proof`` (the node's proof checked here: verified or INVALID) and,
    with ``--save``, ``saved``: the proof written with its header (``query``: what it
    answers, kept informative in the file)."""
    if proof is not None:
        data["proof"] = proof_status(client, proof)
    if save is not None:
        save_state_proof(client, save, proof, query)
        data["saved"] = str(save)


def save_state_proof(
    client: Client, path: Path, proof: Proof | None, query: dict[str, Any]
) -> None:
    """Write a state proof with the signed header of its height (checked before writing)."""
    if proof is None:
        raise CliError("the node returned no proof")
    status = client.status()
    if status.engine != "solo":
        raise CliError(COMETBFT_NO_SAVE)
    if not proof.verify(status.hash_name):
        raise CliError("the node's proof does not check against its own root: not saved")
    block = client.block(proof.height) if proof.height >= 1 else None
    document = state_document(
        chain_id=status.chain_id, suite=status.suite, proof=proof, block=block, query=query
    )
    write_json_file(path, document)


COMETBFT_NO_SAVE = (
    "saving proofs from a CometBFT chain is not supported yet: finchain-proof/v1 holds solo "
    "headers; check CometBFT receipts with the SDK (TxInfo.verify_inclusion, "
    "Block.verify_commit), see docs/cometbft.md"
)


def saved_note(path: Path, what: str = "proof") -> None:
    """The human hint after ``--save`` (``--json`` output carries ``saved`` instead)."""
    stdout.print(f"{what} saved to {path}; check it offline with `finchain verify proof {path}`")
