"""Real-process test framework, in the manner of Bitcoin Core's test_framework.

Waiting and ports come from tests/support.py, shared with every other kind of test.

A ``TestNode`` is one ``finchain node`` process with its own temp home and a
port derived from a per-run seed (so parallel pytest workers never collide); its
stdout/stderr go to files in the home, an early exit raises with the captured
stderr, and ``cleanup`` kills whatever is left. Helpers wait with a timeout and
say who disagreed.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import TIMEOUT_FACTOR, wait_until

FINCHAIN = str(Path(sys.executable).parent / "finchain")


@dataclass
class TestNode:
    """One ``finchain node`` process (``__test__`` keeps pytest from collecting it)."""

    __test__ = False
    index: int
    home: Path
    port: int
    env: dict[str, str]
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        out = (self.home / f"stdout.{self.starts}.log").open("wb")
        err = (self.home / f"stderr.{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [FINCHAIN, "node", "--home", str(self.home), *self.extra_args],
            stdout=out,
            stderr=err,
            env=self.env,
        )
        wait_until(self._serving, timeout=30, what=f"[node {self.index}] to serve its API")

    def start_refused(self, timeout: float = 60.0) -> str:
        """Start and expect the node to refuse: it exits non-zero; returns its stderr."""
        self.starts += 1
        err_path = self.home / f"stderr.{self.starts}.log"
        out_path = self.home / f"stdout.{self.starts}.log"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            process = subprocess.Popen(
                [FINCHAIN, "node", "--home", str(self.home), *self.extra_args],
                stdout=out,
                stderr=err,
                env=self.env,
            )
            try:
                code = process.wait(timeout=timeout * TIMEOUT_FACTOR)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                raise AssertionError(f"[node {self.index}] started instead of refusing") from None
        text = err_path.read_text(errors="replace")
        assert code != 0, f"[node {self.index}] exited 0 instead of refusing:\n{text}"
        return text

    def _serving(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"[node {self.index}] exited early:\n{self.stderr_tail()}")
        return httpx.get(self.url + "/v1/health", timeout=1).status_code == 200

    def stderr_tail(self, lines: int = 40) -> str:
        path = self.home / f"stderr.{self.starts}.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )

    def get(self, path: str) -> Any:
        response = httpx.get(self.url + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def status(self) -> dict[str, Any]:
        return dict(self.get("/v1/status"))

    def stop(self) -> None:
        """SIGTERM and expect a clean exit (code 0) within the timeout."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30 * TIMEOUT_FACTOR)
        assert code == 0, f"[node {self.index}] exited with {code}:\n{self.stderr_tail()}"
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the crash the node must survive."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
