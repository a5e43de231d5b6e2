"""Starting and stopping the two processes of a node: the ABCI server and CometBFT.

Each process appends to its own log in ``HOME/logs`` (a banner line marks every
start, so a reader can look only at the latest run) and records its pid in
``HOME/run`` so tools that did not start it (``testnet down``) can stop it. A
pid file is trusted only while ``/proc/<pid>/cmdline`` still names the home, so
a recycled pid is never signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from finchain.engines.cometbft.home import NodeHome
from finchain.engines.cometbft.server import accepts_connections
from finchain.engines.cometbft.toolchain import cometbft_binary

ABCI = "abci"
COMETBFT = "cometbft"
STOP_TIMEOUT_S = 15.0


class ProcessError(RuntimeError):
    """A node process did not start, or exited when it should be running."""


def abci_command(home: NodeHome, *, keep_recent: int | None = None) -> list[str]:
    """The ABCI server (and HTTP API) process; ``keep_recent`` overrides ``[storage]``."""
    command = [
        sys.executable,
        "-m",
        "finchain.node.cometbft.serve",
        "--home",
        str(home.root.absolute()),
    ]
    return command if keep_recent is None else [*command, "--keep-recent", str(keep_recent)]


def cometbft_command(home: NodeHome) -> list[str]:
    return [
        str(cometbft_binary()),
        "start",
        "--home",
        str(home.cometbft.absolute()),
        "--proxy_app",
        home.proxy_app,
    ]


def spawn(
    home: NodeHome,
    name: str,
    command: list[str],
    *,
    env: Mapping[str, str] | None = None,
    detach: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``command`` with output appended to ``HOME/logs/<name>.log`` and a pid file.

    ``detach`` puts it in its own session, so it outlives the caller (``testnet up``).
    """
    home.logs.mkdir(parents=True, exist_ok=True)
    home.pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    with home.log_file(name).open("ab") as log:
        log.write(f"=== start {time.strftime('%Y-%m-%dT%H:%M:%S')} {command}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=detach,
        )
    home.pid_file(name).write_text(f"{proc.pid}\n")
    return proc


def start_abci(
    home: NodeHome,
    *,
    env: Mapping[str, str] | None = None,
    detach: bool = False,
    keep_recent: int | None = None,
    timeout: float = 30.0,
) -> subprocess.Popen[bytes]:
    """Start the ABCI server and wait until its socket accepts connections."""
    proc = spawn(home, ABCI, abci_command(home, keep_recent=keep_recent), env=env, detach=detach)
    deadline = time.monotonic() + timeout
    while not accepts_connections(home.socket):
        if proc.poll() is not None:
            raise ProcessError(
                f"the ABCI server exited with {proc.returncode}: see {home.log_file(ABCI)}"
            )
        if time.monotonic() > deadline:
            stop_process(proc)
            raise ProcessError(f"no ABCI socket after {timeout}s: see {home.log_file(ABCI)}")
        time.sleep(0.05)
    return proc


def start_cometbft(home: NodeHome, *, detach: bool = False) -> subprocess.Popen[bytes]:
    return spawn(home, COMETBFT, cometbft_command(home), detach=detach)


def stop_process(proc: subprocess.Popen[bytes], *, timeout: float = STOP_TIMEOUT_S) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


def running_pid(home: NodeHome, name: str) -> int | None:
    """The pid in ``HOME/run/<name>.pid`` if that process is alive and is this node's."""
    try:
        pid = int(home.pid_file(name).read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        zombie = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (OSError, ValueError, IndexError):
        return None
    return None if zombie or os.fsencode(home.root.absolute()) not in cmdline else pid


def stop_pid(home: NodeHome, name: str, *, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the process recorded for ``name`` (SIGTERM, then SIGKILL); False if none ran."""
    pid = running_pid(home, name)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while running_pid(home, name) == pid and time.monotonic() < deadline:
            time.sleep(0.1)
        if running_pid(home, name) == pid:
            os.kill(pid, signal.SIGKILL)
    home.pid_file(name).unlink(missing_ok=True)
    return pid is not None
