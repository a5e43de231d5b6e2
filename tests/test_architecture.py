"""The layers of docs/ARCHITECTURE.md hold, and the tool that checks them would catch a break.

``make lint`` runs import-linter with the contracts in pyproject.toml. Here the
same contracts run on the real tree (kept) and on a copy with one deliberate
upward import (broken, naming the import), so the check cannot silently pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [LINT_IMPORTS, str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
        timeout=120,
        check=False,
    )


def test_the_real_tree_keeps_every_contract() -> None:
    done = lint_imports(ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("file", "bad_import", "contract"),
    [
        ("core/kv.py", "import finchain.modules.bank.keeper", "layers"),
        ("app/router.py", "import finchain.modules.bank.module", "base application"),
        ("engines/solo/node.py", "import finchain.node.home", "layers"),
        ("modules/bank/keeper.py", "import finchain.modules.identity.keeper", "modules"),
    ],
)
def test_an_upward_or_cross_module_import_breaks_a_contract(
    tmp_path: Path, file: str, bad_import: str, contract: str
) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "finchain", copy / "finchain")
    target = copy / "finchain" / file
    target.write_text(target.read_text() + f"\n{bad_import}  # the deliberate break\n")
    done = lint_imports(copy)
    assert done.returncode != 0, done.stdout
    assert f"{contract}:" in done.stdout and "BROKEN" in done.stdout
    importer = "finchain." + file.removesuffix(".py").replace("/", ".")
    assert importer in done.stdout, done.stdout
