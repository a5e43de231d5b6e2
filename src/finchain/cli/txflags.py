"""One set of options for every command that signs, and one way to sign and send.

The model is Cosmos ``AddTxFlagsToCmd`` + ``GetClientTxContext``: a command
declares only its own arguments and one parameter typed :class:`TxOptions`;
:func:`tx_command` adds the shared options to the command, builds the object
from them, and runs the body under ``failures()`` (one-line errors, the exit
codes of docs/cli.md)::

    @tx_command(app, "freeze")  # finchain <group> freeze ACCOUNT --from KEY …
    def freeze(account: AccountArg, *, tx: TxOptions) -> None:
        target = tx.resolve(account)  # an id, or a name (docs/cli.md)
        with tx.session() as s:  # the node, and the signer when first needed
            receipt = s.send(b.freeze(target))  # sign, submit, re-sign on a moved nonce
        tx.report(receipt, {"account": target, "by": s.account})  # --json or a table

The shared transaction options (docs/cli.md, "Transaction options"): ``--from``
(repeatable), ``--account``, ``--wait/--no-wait``, ``--timeout``, ``--url``,
``--home``, ``--keystore``, ``--passphrase-file``, ``--json``. A command may
leave out ``--account`` (``kyc`` uses it for the customer), ``--wait`` (a
command that must see its block) or ``--timeout``. The same mechanism gives
commands that only read from a node ``--url``, ``--home`` (``--keystore``),
``--json`` as :class:`NodeOptions` (:func:`query_command`, Cosmos
``AddQueryFlagsToCmd``), and commands that unlock a key without sending a
transaction their :class:`KeyOptions` (:func:`key_command`).

Every transaction goes through :meth:`TxSession.send` (or ``send_built`` for
messages that name the nonce), which is ``finchain.client.sending.send_tx``:
sign with the nonce read from the node, submit, and re-sign when another
transaction of the account took that nonce, with a note on stderr.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from copy import copy
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar, get_args

import typer

from finchain.cli import accountbook
from finchain.cli.common import (
    DEFAULT_HOME,
    DEFAULT_URL,
    HomeOpt,
    JsonOpt,
    KeystoreOpt,
    PassphraseFileOpt,
    UrlOpt,
    open_keystore,
    passphrase,
)
from finchain.cli.online import (
    AccountOpt,
    FromOpt,
    TimeoutOpt,
    WaitOpt,
    connect,
    report,
    resign_note,
    signer,
)
from finchain.cli.output import emit, failures
from finchain.client import Client, Signer, SubmitReceipt
from finchain.client.sending import Send, send_built, send_tx
from finchain.codec import RawMsg
from finchain.crypto import EncryptionKey, KeyInfo, Keystore, PrivateKey

F = TypeVar("F", bound=Callable[..., None])
P = ParamSpec("P")
R = TypeVar("R")

KEY_PANEL = "Key options"
NODE_PANEL = "Node options"
TX_PANEL = "Transaction options"


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """Which node and which home: ``--url``, ``--home`` (``--keystore`` where account
    names are resolved), and ``--json`` for the output."""

    url: str = DEFAULT_URL
    home: Path = DEFAULT_HOME
    keystore: Path | None = None
    json: bool = False

    def connect(self) -> AbstractContextManager[Client]:
        """A client of ``--url``, compared with ``--home``'s chain (docs/cli.md)."""
        return connect(self.url, home=self.home)

    def store(self, *, must_exist: bool = True) -> Keystore:
        return open_keystore(self.home, self.keystore, must_exist=must_exist)

    def resolve(self, name: str) -> str:
        """An account id from an id or a name (docs/cli.md, "Naming accounts")."""
        return accountbook.resolve(name, self.home, self.store(must_exist=False))

    def emit(self, data: Any, *, title: str = "") -> None:
        emit(data, as_json=self.json, title=title)


@dataclass(frozen=True, slots=True)
class KeyOptions(NodeOptions):
    """Where keys live and how they unlock: ``--home``, ``--keystore``,
    ``--passphrase-file``, and ``--json`` for the output."""

    passphrase_file: Path | None = None

    def resolve(self, name: str) -> str:
        return accountbook.resolve(name, self.home, self.store())

    def public_keys(self, names: Sequence[str]) -> list[KeyInfo]:
        """The public parts of keystore keys (no passphrase)."""
        store = self.store()
        return [store.info(name) for name in names]

    def passphrase(self, prompt: str) -> str:
        """The passphrase by docs/cli.md's order: --passphrase-file, $FINCHAIN_PASSPHRASE,
        the dev chain's file, a prompt."""
        return passphrase(self.home, self.passphrase_file, prompt=prompt)

    def key(self, name: str) -> PrivateKey:
        """Decrypt one keystore key; the passphrase comes as docs/cli.md says."""
        store = self.store()
        store.info(name)  # a missing key fails before any prompt
        return store.load(name, self.passphrase(f"passphrase of key {name}"))

    def encryption_key(self, name: str) -> EncryptionKey:
        """A keystore key as a decryption key (sealed shares, wrapped data keys)."""
        return EncryptionKey(self.key(name))


@dataclass(frozen=True, slots=True)
class TxOptions(KeyOptions):
    """Everything a command needs to sign and send one transaction, from the shared options."""

    signers: tuple[str, ...] = ()  # --from: keystore keys that sign, sharing one passphrase
    account: str | None = None  # --account: the signing account (default: from --from)
    wait: bool = True
    timeout: float = 10.0

    @contextmanager
    def session(self) -> Iterator[TxSession]:
        """A connection to the node (``--url``, checked against ``--home``'s chain) and
        the signer, made when first needed."""
        with self.connect() as client:
            yield TxSession(self, client)

    def run(
        self, workflow: Callable[Concatenate[Client, Send, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run an SDK workflow (it takes the client and a sender first) on this node, its
        transactions signed by this command's signer."""
        with self.session() as s:
            return workflow(s.client, s.sender(), *args, **kwargs)

    def broadcast(self, *msgs: RawMsg, extra: Mapping[str, Any] | None = None) -> SubmitReceipt:
        """Connect, sign ``msgs`` as one transaction, send it, and report the receipt."""
        with self.session() as s:
            receipt = s.send(*msgs)
        self.report(receipt, extra)
        return receipt

    def report(self, receipt: SubmitReceipt, extra: Mapping[str, Any] | None = None) -> None:
        """Print the receipt (with ``extra`` fields); exit 1 unless it succeeded."""
        report(receipt, as_json=self.json, extra=dict(extra or {}))


@dataclass(slots=True)
class TxSession:
    """One command's connection to a node and its signer (made on first use: the
    account is resolved, the chain compared with the home's, the keys unlocked and
    the nonce read, so argument errors surface before a passphrase prompt)."""

    tx: TxOptions
    client: Client
    _signer: Signer | None = field(default=None, init=False)

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            tx = self.tx
            self._signer = signer(
                self.client,
                tx.signers,
                account=tx.account,
                home=tx.home,
                keystore=tx.keystore,
                passphrase_file=tx.passphrase_file,
            )
        return self._signer

    @property
    def account(self) -> str:
        """The signing account's id."""
        return self.signer.account

    def send(self, *msgs: RawMsg, memo: str = "") -> SubmitReceipt:
        """Sign ``msgs`` as one transaction and submit it (the one sending path)."""
        tx = self.tx
        return send_tx(
            self.client,
            self.signer,
            *msgs,
            memo=memo,
            wait=tx.wait,
            timeout=tx.timeout,
            on_resign=resign_note,
        )

    def send_built(self, build: Callable[[], Sequence[RawMsg]]) -> SubmitReceipt:
        """``send`` for messages built from ``self.signer.nonce`` (rebuilt on a re-sign)."""
        tx = self.tx
        return send_built(
            self.client,
            self.signer,
            build,
            wait=tx.wait,
            timeout=tx.timeout,
            on_resign=resign_note,
        )

    def sender(self) -> Send:
        """``send`` for one message, as the SDK's workflows take it. The signer is made
        now, so a workflow's local changes never precede a signer that cannot be made."""
        self.signer  # noqa: B018 - made here, before the workflow starts
        return lambda msg: self.send(msg)


# -- the shared options, added to a command's signature ------------------------------------


def _panel(annotated: Any, panel: str | None) -> Any:
    """``Annotated[T, typer.Option(...)]`` shown under ``panel`` in ``--help`` (None: with
    the command's own options)."""
    base, info = get_args(annotated)
    moved = copy(info)
    moved.rich_help_panel = panel
    return Annotated[base, moved]


def _flag(
    name: str, annotated: Any, panel: str | None, default: Any = inspect.Parameter.empty
) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=_panel(annotated, panel),
        default=default,
    )


def _key_flags(panel: str) -> list[inspect.Parameter]:
    return [
        _flag("home", HomeOpt, panel, DEFAULT_HOME),
        _flag("keystore", KeystoreOpt, panel, None),
        _flag("passphrase_file", PassphraseFileOpt, panel, None),
        _flag("json", JsonOpt, panel, False),
    ]


def _node_flags(*, names: bool) -> list[inspect.Parameter]:
    flags = [
        _flag("url", UrlOpt, NODE_PANEL, DEFAULT_URL),
        _flag("home", HomeOpt, NODE_PANEL, DEFAULT_HOME),
    ]
    if names:
        flags.append(_flag("keystore", KeystoreOpt, NODE_PANEL, None))
    return [*flags, _flag("json", JsonOpt, NODE_PANEL, False)]


def _tx_flags(*, account: bool, wait: bool, timeout: float | None) -> list[inspect.Parameter]:
    flags = [_flag("signers", FromOpt, TX_PANEL)]
    if account:
        flags.append(_flag("account", AccountOpt, TX_PANEL, None))
    if wait:
        flags.append(_flag("wait", WaitOpt, TX_PANEL, True))
    if timeout is not None:
        flags.append(_flag("timeout", TimeoutOpt, TX_PANEL, timeout))
    flags.append(_flag("url", UrlOpt, TX_PANEL, DEFAULT_URL))
    return flags + _key_flags(TX_PANEL)


def tx_command(
    group: typer.Typer,
    name: str,
    *,
    account: bool = True,
    wait: bool = True,
    timeout: float | None = 10.0,
) -> Callable[[F], F]:
    """Register the decorated function as command ``name`` of ``group``, with the shared
    transaction options, passing them as the ``TxOptions`` parameter.

    ``account=False`` leaves out ``--account``; ``wait=False`` leaves out
    ``--wait/--no-wait`` (the command always waits for its block); ``timeout`` is
    ``--timeout``'s default (None: no option, 10 seconds).
    """
    flags = _tx_flags(account=account, wait=wait, timeout=timeout)
    defaults = {"timeout": 10.0 if timeout is None else timeout}
    return _command(group, name, TxOptions, flags, defaults)


def query_command(group: typer.Typer, name: str, *, names: bool = False) -> Callable[[F], F]:
    """Register a command that reads from a node: ``--url``, ``--home``, ``--json``, and
    ``--keystore`` with ``names`` (it resolves account names), passed as ``NodeOptions``
    (Cosmos ``AddQueryFlagsToCmd``)."""
    return _command(group, name, NodeOptions, _node_flags(names=names), {})


def home_command(group: typer.Typer, name: str, *, keystore: bool = False) -> Callable[[F], F]:
    """Register a command that works on the home directory alone (no node, no key unlocked):
    ``--home``, ``--keystore`` with ``keystore``, and ``--json``, listed with the command's
    own options and passed as the ``NodeOptions`` parameter."""
    flags = [_flag("home", HomeOpt, None, DEFAULT_HOME)]
    if keystore:
        flags.append(_flag("keystore", KeystoreOpt, None, None))
    return _command(group, name, NodeOptions, [*flags, _flag("json", JsonOpt, None, False)], {})


def key_command(group: typer.Typer, name: str, *, online: bool = False) -> Callable[[F], F]:
    """Register a command that unlocks keys without sending a transaction: ``--home``,
    ``--keystore``, ``--passphrase-file`` and ``--json`` (and ``--url`` if it reads from
    a node: ``online``), passed as the ``KeyOptions`` parameter."""
    url = [_flag("url", UrlOpt, KEY_PANEL, DEFAULT_URL)] if online else []
    return _command(group, name, KeyOptions, [*url, *_key_flags(KEY_PANEL)], {})


def _command(
    group: typer.Typer,
    name: str,
    kind: type[NodeOptions],
    flags: list[inspect.Parameter],
    defaults: dict[str, Any],
) -> Callable[[F], F]:
    names = [flag.name for flag in flags]
    assert set(names) <= {f.name for f in fields(kind)}, names

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn, eval_str=True)
        own = list(signature.parameters.values())
        [slot] = [p.name for p in own if p.annotation is kind]
        own = [p for p in own if p.name != slot]
        clash = {p.name for p in own} & set(names)
        assert not clash, f"{fn.__name__}: parameters {clash} are shared options"
        parameters = [*own, *flags]

        @functools.wraps(fn)
        def command(**values: Any) -> None:
            shared = {n: values.pop(n) for n in names}
            if "signers" in shared:
                shared["signers"] = tuple(shared["signers"])
            with failures():
                fn(**values, **{slot: kind(**{**defaults, **shared})})

        command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        group.command(name)(command)
        return fn

    return decorate
