"""finchain_native: declared as a dependency, loaded only through ``finchain.native``, and
when it is missing the import error says how to build it."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIM = ROOT / "src" / "finchain" / "native.py"


def _assert_says_how_to_build(message: str) -> None:
    assert "finchain_native" in message and "cannot be imported" in message
    assert "`make native`" in message
    assert "`pip install ./native`" in message and "Rust toolchain" in message


def test_the_shim_says_how_to_build_the_missing_extension(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "finchain_native", None)  # import finchain_native fails
    spec = importlib.util.spec_from_file_location("finchain_native_shim_under_test", SHIM)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ImportError) as raised:
        spec.loader.exec_module(module)
    _assert_says_how_to_build(str(raised.value))
    assert raised.value.name == "finchain_native"
    assert isinstance(raised.value.__cause__, ImportError)  # the original reason is kept


def test_codec_and_crypto_fail_with_that_message_without_the_extension():
    """What ``pip install .`` without the extension used to give: a bare ModuleNotFoundError
    from deep inside the codec."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["finchain_native"] = None
        for name in ("finchain.codec", "finchain.crypto"):
            try:
                __import__(name)
            except ImportError as exc:
                print(name, "::", exc)
            else:
                print(name, ":: imported")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = run.stdout.strip().splitlines()
    assert [line.split(" :: ")[0] for line in lines] == ["finchain.codec", "finchain.crypto"]
    for line in lines:
        _assert_says_how_to_build(line.split(" :: ", 1)[1])


def test_only_the_shim_imports_the_extension():
    importers = []
    for path in sorted((ROOT / "src" / "finchain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "finchain_native" for n in names):
                importers.append(path.relative_to(ROOT / "src").as_posix())
    assert importers == ["finchain/native.py"]


def test_the_dependency_is_declared_at_the_native_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    native = tomllib.loads((ROOT / "native" / "pyproject.toml").read_text())["project"]
    assert f"{native['name']}=={native['version']}" in project["dependencies"]
