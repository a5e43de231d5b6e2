"""docs/writing-a-module.md, run: its code blocks become a package, a chain runs the module.

Every code block of the walk-through that names a file (```python title="labels/…"```)
is written out as that file; the test then builds a chain with the module through
the composition API (``FinchainApp(extra_modules=...)``), sends transactions through
it on the solo engine, and checks queries, events, refusals, the invariant and the
module's genesis round trip. If the page and the framework drift apart, this fails.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from finchain.client.builders import Signer
from finchain.core.errors import ErrInvalidMsg
from finchain.crypto import Keystore
from finchain.errors import FinchainError
from finchain.node.home import Home
from finchain.node.solo import open_solo_node
from finchain.service.interface import SubmitMode
from tests.node.conftest import PASSPHRASE, make_home

DOC = Path(__file__).resolve().parent.parent / "docs" / "writing-a-module.md"
BLOCK = re.compile(r'```python title="([^"]+)"\n(.*?)```', re.S)


@pytest.fixture
def labels(tmp_path: Path) -> Iterator[ModuleType]:
    """The walk-through's files as the package ``labels``, importable for this test."""
    files = BLOCK.findall(DOC.read_text())
    assert {name for name, _ in files} >= {
        "labels/keys.py",
        "labels/messages.py",
        "labels/errors.py",
        "labels/keeper.py",
        "labels/handlers.py",
        "labels/queries.py",
        "labels/module.py",
        "labels/app.py",
    }
    package = tmp_path / "pkg" / "labels"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""The walk-through module."""\n')
    for name, code in files:
        (tmp_path / "pkg" / name).write_text(code)
    sys.path.insert(0, str(tmp_path / "pkg"))
    try:
        yield importlib.import_module("labels.app")
    finally:
        sys.path.remove(str(tmp_path / "pkg"))
        for name in [m for m in sys.modules if m == "labels" or m.startswith("labels.")]:
            del sys.modules[name]


def test_the_walkthrough_module_runs_on_the_solo_engine(
    labels: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINCHAIN_VALIDATOR_PASSPHRASE", PASSPHRASE)
    home, ids = make_home(tmp_path / "home")
    messages = importlib.import_module("labels.messages")
    errors = importlib.import_module("labels.errors")
    node = open_solo_node(home, instant=True, block_interval=0.2, app_factory=labels.labels_app)
    node.start()
    try:
        alice = _signer(node, home, ids, "alice")
        bob = _signer(node, home, ids, "bob")
        sent = node.submit(
            [
                alice.sign(messages.MsgSetLabel("branch", "shanghai").to_raw()),
                bob.sign(messages.MsgSetLabel("branch", "shanghai").to_raw()),
                bob.sign(messages.MsgSetLabel("tier", "2").to_raw()),
            ],
            SubmitMode.COMMIT,
            timeout=10,
        )
        assert all(r.deliver is not None and r.deliver.ok for r in sent), sent
        assert sent[0].deliver is not None
        assert [e.type for e in sent[0].deliver.events] == ["label_set"]
        answer = node.query("labels/of", {"account": ids["bob"]}, height=None, prove=False)
        assert answer.value == {"labels": {"branch": "shanghai", "tier": "2"}}
        app = node.app
        keeper = app.modules[-1].keeper  # type: ignore[attr-defined]
        assert sorted(keeper.accounts_with(app.state, "branch", "shanghai")) == sorted(
            [ids["alice"], ids["bob"]]
        )

        (removed,) = node.submit(
            [alice.sign(messages.MsgRemoveLabel("branch").to_raw())], SubmitMode.COMMIT, timeout=10
        )
        assert removed.deliver is not None and removed.deliver.ok
        (again,) = node.submit(
            [alice.sign(messages.MsgRemoveLabel("branch").to_raw())], SubmitMode.COMMIT, timeout=10
        )
        assert again.check is not None and again.deliver is None  # refused at admission
        assert (again.check.codespace, again.check.code) == (
            errors.ErrNoSuchLabel.codespace,
            errors.ErrNoSuchLabel.code,
        )
        assert keeper.accounts_with(app.state, "branch", "shanghai") == [ids["bob"]]
        assert app.check_invariants() == []
        exported = app.export_genesis()["labels"]
        assert exported == {
            "labels": [
                {"account": ids["bob"], "name": "branch", "value": "shanghai"},
                {"account": ids["bob"], "name": "tier", "value": "2"},
            ]
        }
    finally:
        node.stop()

    with pytest.raises(FinchainError) as info:
        messages.MsgSetLabel.from_value({"name": "Branch", "value": "x"})
    assert ErrInvalidMsg.matches(info.value) and "'name'" in info.value.message


def _signer(node: object, home: Home, ids: dict[str, str], name: str) -> Signer:
    key = Keystore(home.keystore_dir).load(name, PASSPHRASE)
    app = node.app  # type: ignore[attr-defined]
    return Signer(
        app.chain_id, ids[name], [("k1", key)], nonce=app.accounts.nonce(app.state, ids[name])
    )
