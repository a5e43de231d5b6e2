"""``finchain.light`` needs the standard library and nothing else, not even finchain's packages."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "finchain" / "light"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.add(node.module or "")
    return names


def test_every_module_imports_only_the_standard_library_and_the_package():
    modules = sorted(PACKAGE.glob("*.py"))
    assert {m.stem for m in modules} >= {"rfc6962", "state", "cbor", "solo", "cometbft"}
    for module in modules:
        for name in _imports(module):
            top = name.split(".")[0]
            if top == "finchain":
                assert name == "finchain.light" or name.startswith("finchain.light."), (
                    f"{module.name} imports {name}"
                )
            else:
                assert top in sys.stdlib_module_names, f"{module.name} imports {name}"


def test_the_package_runs_with_nothing_else_importable():
    """A fresh interpreter without site-packages (``-S``), where importing any finchain
    package but ``finchain.light`` fails, imports every module and checks a proof of each kind."""
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, pkgutil, sys

        class OnlyLight(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.startswith("finchain.") and not name.startswith("finchain.light"):
                    raise ImportError(f"{{name}} is not importable in this test")
                return None

        sys.meta_path.insert(0, OnlyLight())
        sys.path.insert(0, {str(SRC)!r})
        import finchain.light
        for info in pkgutil.iter_modules(finchain.light.__path__):
            importlib.import_module("finchain.light." + info.name)

        from finchain.light import cbor, cometbft, rfc6962, solo, state
        from finchain.light.hashes import hash_function

        h = hash_function("sm3")
        txs = [b"a", b"b", b"c"]
        assert rfc6962.verify_tx_proof("sm3", rfc6962.tx_root("sm3", txs), b"b",
                                       rfc6962.tx_proof("sm3", txs, 1))
        root = h(b"\\x00" + h(b"k") + h(b"v"))
        proof = {{"nodes": [], "leaf": [h(b"k"), h(b"v")]}}
        assert state.verify_proof(root, b"k", b"v", proof, "sm3")
        value = {{"a": [1, b"x", None]}}
        assert cbor.decode(cbor.encode(value), max_size=100) == value
        header = dict(chain_id="c", height=1, time_ns=0, last_block_hash=b"", tx_root=b"",
                      app_hash=b"", proposer=b"k" * 32)
        seen = []
        def verify(*args):
            seen.append(args)
            return True
        assert solo.verify_header(header, b"s", "ed25519", b"k" * 32, verify=verify)
        assert seen == [("ed25519", b"k" * 32, solo.header_sign_bytes(header), b"s")]
        assert len(cometbft.validators_hash([(b"k" * 32, 10)])) == 32
        try:
            import finchain.crypto
        except ImportError:
            pass
        else:
            raise AssertionError("finchain.crypto was importable")
        loaded = sorted(sys.modules)
        foreign = [m for m in loaded
                   if m.split(".")[0] not in sys.stdlib_module_names
                   and m not in ("__main__", "finchain") and not m.startswith("finchain.light")]
        print(" ".join(foreign))
        """
    )
    run = subprocess.run(
        [sys.executable, "-S", "-c", script], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == []
