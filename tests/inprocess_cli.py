"""``finchain …`` run in this process against a ``LocalChain``, exactly as a user types it.

``FINCHAIN_URL`` names the chain's API and ``FINCHAIN_HOME`` its home (keystore,
genesis, dev passphrase file), so key lookup, signing, the SDK and the API are all
the production code; only the process boundary is left out (the functional tests
keep it).
"""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from finchain.cli.inprocess import LocalChain
from finchain.cli.main import app


class Cli:
    """Runs ``finchain …`` against ``chain``; ``ok`` insists on exit 0 and parses ``--json``."""

    def __init__(self, chain: LocalChain, runner: CliRunner | None = None) -> None:
        self.chain = chain
        self.runner = runner or CliRunner()

    def run(self, *args: str) -> tuple[int, str, str]:
        env = {"FINCHAIN_URL": self.chain.url, "FINCHAIN_HOME": str(self.chain.home)}
        result = self.runner.invoke(app, list(args), env=env)
        assert "Traceback" not in result.output, result.output
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> Any:
        code, out, err = self.run(*args, "--json")
        assert code == 0, f"finchain {' '.join(args)} -> {code}: {err}{out}"
        return json.loads(out)
