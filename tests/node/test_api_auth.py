"""API logins ([api.auth]): tokens, roles, failed-login lockout, no user enumeration, audit.

Every test serves a real solo node's API with uvicorn and an ``Authenticator``
over its own directory of users; the clock is a fake one, so lockouts and
tokens expire without sleeping. The last test runs ``finchain node`` as a
process and kills it, to show a lockout survives a restart.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from finchain.cli.main import app as cli
from finchain.client import (
    AsyncClient,
    AuthenticationError,
    Client,
    LockedOutError,
    PermissionDeniedError,
    builders,
)
from finchain.devchain.setup import DemoAsset, HomeSpec, init_home
from finchain.errors import FinchainError
from finchain.node.api import create_app
from finchain.node.auth import Authenticator, KdfParams, UserStore, hash_password
from finchain.node.auth.errors import ErrAuthStore
from finchain.node.auth.lockout import LockoutLedger
from finchain.node.auth.sessions import token_digest
from finchain.node.config import AuthSection, load_config
from finchain.node.errors import ErrConfig
from finchain.node.home import PASSPHRASE_ENV, Home
from finchain.node.logs import JsonFormatter, TextFormatter
from tests.client.live import LiveNode, live_node, serve
from tests.support import free_port

TEST_KDF = KdfParams(n=2**4)  # tests only: production users get KdfParams()
PASSWORD = "correct horse battery staple"
SETTINGS = AuthSection(enabled=True, max_failures=3, lockout_seconds=600, token_ttl_seconds=300)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Site:
    """One authenticated API over the shared node: its URL, users directory and clock."""

    url: str
    directory: Path
    clock: Clock
    auth: Authenticator

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/auth/login", json={"username": username, "password": password}
        )

    def token(self, username: str) -> str:
        response = self.login(username)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def add_user(directory: Path, name: str, roles: tuple[str, ...] = ("read", "submit")) -> None:
    UserStore(directory).add(name, hash_password(PASSWORD, TEST_KDF), roles=roles)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    with live_node(tmp_path_factory.mktemp("auth")) as node:
        yield node


@contextmanager
def site(live: LiveNode, directory: Path, settings: AuthSection = SETTINGS) -> Iterator[Site]:
    clock = Clock()
    auth = Authenticator(directory, settings, clock=clock)
    with serve(create_app(live.node, auth=auth)) as url:
        yield Site(url, directory, clock, auth)


@pytest.fixture
def api(live: LiveNode, tmp_path: Path) -> Iterator[Site]:
    add_user(tmp_path, "alice")
    add_user(tmp_path, "reader", ("read",))
    with site(live, tmp_path) as s:
        yield s


def error_of(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert (response.status_code, body["codespace"], body["code"]) == (status, "auth", code), body
    return body


def signed_transfer(live: LiveNode) -> dict[str, str]:
    raw = live.signer("alice").sign(builders.transfer((live.ids["bob"], "CNY", 1)))
    return {"tx": base64.b64encode(raw).decode()}


def test_login_gives_a_token_that_opens_the_read_routes(api: Site) -> None:
    response = api.login("alice")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["username"] == "alice"
    assert body["roles"] == ["read", "submit"] and body["expires_in"] == 300
    assert len(body["token"]) == 43 and body["expires_at"].endswith("Z")
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert httpx.get(f"{api.url}/v1/status", headers=bearer).status_code == 200
    who = httpx.get(f"{api.url}/v1/auth/session", headers=bearer).json()
    assert who == {
        "username": "alice",
        "roles": ["read", "submit"],
        "expires_at": body["expires_at"],
    }
    assert httpx.get(f"{api.url}/v1/health").status_code == 200  # probes need no token

    missing = httpx.get(f"{api.url}/v1/status")
    error_of(missing, 401, 3)
    assert missing.headers["www-authenticate"] == 'Bearer realm="finchain"'
    assert "POST /v1/auth/login" in missing.json()["message"]
    forged = httpx.get(
        f"{api.url}/v1/blocks/latest", headers={"Authorization": "Bearer " + "A" * 43}
    )
    error_of(forged, 401, 3)
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]
    error_of(httpx.get(f"{api.url}/v1/events", headers={"Authorization": "Basic eDp5"}), 401, 3)


def test_submit_needs_a_token_with_the_submit_role(api: Site, live: LiveNode) -> None:
    body = signed_transfer(live)
    anonymous = httpx.post(f"{api.url}/v1/txs", json=body)
    error_of(anonymous, 401, 3)
    assert anonymous.headers["connection"] == "close"  # refused before the body was read

    reader = {"Authorization": f"Bearer {api.token('reader')}"}
    denied = httpx.post(f"{api.url}/v1/txs", json=body, headers=reader)
    error_of(denied, 403, 4)
    assert 'error="insufficient_scope"' in denied.headers["www-authenticate"]
    assert "'submit' role" in denied.json()["message"]
    assert httpx.get(f"{api.url}/v1/status", headers=reader).status_code == 200

    submitter = {"Authorization": f"Bearer {api.token('alice')}"}
    accepted = httpx.post(f"{api.url}/v1/txs", json=body, headers=submitter)
    assert accepted.status_code == 200 and accepted.json()["check"]["code"] == 0


def test_tokens_expire_end_at_logout_and_when_the_user_changes(api: Site) -> None:
    def status(token: str) -> int:
        return httpx.get(
            f"{api.url}/v1/status", headers={"Authorization": f"Bearer {token}"}
        ).status_code

    token = api.token("alice")
    api.clock.now += 299
    assert status(token) == 200
    api.clock.now += 1
    assert status(token) == 401

    token = api.token("alice")
    out = httpx.post(
        f"{api.url}/v1/auth/logout", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert out.status_code == 200 and out.json()["username"] == "alice"
    assert status(token) == 401

    token = api.token("alice")
    UserStore(api.directory).update(
        "alice", password=hash_password("another long password", TEST_KDF)
    )
    assert status(token) == 401  # a new password ends the old sessions at once
    token = api.token("reader")
    UserStore(api.directory).update("reader", enabled=False)
    assert status(token) == 401
    error_of(api.login("reader"), 401, 2)  # and a disabled user cannot log in


def test_failures_lock_the_username_even_for_the_right_password_until_unlocked(
    api: Site,
) -> None:
    for _ in range(SETTINGS.max_failures - 1):
        error_of(api.login("alice", "wrong password!"), 401, 2)
    locked = error_of(api.login("alice", "wrong password!"), 423, 5)
    assert locked["details"]["retry_after"] == 600
    assert "finchain users unlock alice" in locked["message"]
    refused = api.login("alice")  # the right password
    error_of(refused, 423, 5)
    assert refused.headers["retry-after"] == "600"
    api.clock.now += 100
    assert api.login("alice").headers["retry-after"] == "500"

    result = CliRunner().invoke(
        cli, ["users", "unlock", "alice", "--home", str(api.directory), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"username": "alice", "cleared": True}
    assert api.login("alice").status_code == 200


def test_a_lockout_ends_by_itself_and_a_quiet_spell_forgives_failures(api: Site) -> None:
    for _ in range(SETTINGS.max_failures):
        api.login("alice", "wrong password!")
    api.clock.now += SETTINGS.lockout_seconds
    assert api.login("alice").status_code == 200
    for _ in range(SETTINGS.max_failures - 1):
        api.login("alice", "wrong password!")
    api.clock.now += SETTINGS.lockout_seconds
    error_of(api.login("alice", "wrong password!"), 401, 2)  # counted from 1 again


def test_unknown_users_get_the_same_answers_as_wrong_passwords(api: Site) -> None:
    known = [api.login("alice", "wrong password!") for _ in range(SETTINGS.max_failures + 1)]
    unknown = [api.login("mallory", "wrong password!") for _ in range(SETTINGS.max_failures + 1)]
    for a, b in zip(known, unknown, strict=True):
        assert a.status_code == b.status_code
        ja, jb = a.json(), b.json()
        assert (ja["code"], ja["details"]) == (jb["code"], jb["details"])
        assert ja["message"].replace("alice", "X") == jb["message"].replace("mallory", "X")
    assert [r.status_code for r in known] == [401, 401, 423, 423]


def test_one_address_guessing_many_usernames_is_locked(live: LiveNode, tmp_path: Path) -> None:
    add_user(tmp_path, "alice")
    settings = replace(SETTINGS, max_failures_per_address=4)
    with site(live, tmp_path, settings) as s:
        for name in ("u-one", "u-two", "u-three"):
            error_of(s.login(name, "guess guess guess"), 401, 2)
        body = error_of(s.login("u-four", "guess guess guess"), 423, 6)
        assert "--address 127.0.0.1" in body["message"]
        error_of(s.login("alice"), 423, 6)
        LockoutLedger(tmp_path).unlock(address="127.0.0.1")
        assert s.login("alice").status_code == 200


def test_malformed_logins_and_the_session_limit(live: LiveNode, tmp_path: Path) -> None:
    add_user(tmp_path, "alice")
    with site(live, tmp_path, replace(SETTINGS, max_sessions=2)) as s:
        bad = s.login("Alice")
        error_of(bad, 400, 8)
        assert bad.json()["codespace"] == "auth"
        long = httpx.post(
            f"{s.url}/v1/auth/login", json={"username": "alice", "password": "x" * 1025}
        )
        assert long.status_code == 400 and "x" * 100 not in long.text
        extra = httpx.post(
            f"{s.url}/v1/auth/login", json={"username": "alice", "password": PASSWORD, "otp": 1}
        )
        assert (extra.status_code, extra.json()["code"]) == (400, 5)
        s.token("alice"), s.token("alice")
        full = s.login("alice")
        error_of(full, 503, 7)
        s.clock.now += SETTINGS.token_ttl_seconds  # expired sessions make room
        assert s.login("alice").status_code == 200


def test_only_the_configured_groups_need_a_token(live: LiveNode, tmp_path: Path) -> None:
    with site(live, tmp_path, replace(SETTINGS, required_for=("submit",))) as s:
        assert httpx.get(f"{s.url}/v1/status").status_code == 200
        error_of(httpx.post(f"{s.url}/v1/txs", json=signed_transfer(live)), 401, 3)


def test_without_auth_the_api_behaves_as_before(live: LiveNode) -> None:
    with serve(live.app) as url:
        assert httpx.get(f"{url}/v1/status").status_code == 200
        login = httpx.post(f"{url}/v1/auth/login", json={"username": "a", "password": "b"})
        assert (login.status_code, login.json()["codespace"]) == (404, "api")
        assert "/v1/auth/login" not in httpx.get(f"{url}/openapi.json").json()["paths"]


def test_a_broken_user_file_is_an_operator_error_not_a_leak(api: Site) -> None:
    token = api.token("alice")
    (api.directory / "users.json").write_text("{not json")
    response = httpx.get(f"{api.url}/v1/status", headers={"Authorization": f"Bearer {token}"})
    body = error_of(response, 500, 13)
    assert str(api.directory) not in body["message"]
    error_of(api.login("alice"), 500, 13)


def test_audit_lines_and_no_password_or_token_in_any_log(
    api: Site, caplog: pytest.LogCaptureFixture
) -> None:
    secret_wrong = "Wrong-Password-Canary-8127"
    with caplog.at_level(logging.DEBUG):
        token = api.token("alice")
        for _ in range(SETTINGS.max_failures + 1):
            api.login("reader", secret_wrong)
        httpx.post(
            f"{api.url}/v1/auth/logout", json={}, headers={"Authorization": f"Bearer {token}"}
        )
    formatted = "\n".join(
        f(record)
        for record in caplog.records
        for f in (TextFormatter().format, JsonFormatter().format)
    )
    for secret in (PASSWORD, secret_wrong, token):
        assert secret not in formatted
    audit = [r.__dict__ for r in caplog.records if r.name == "finchain.auth"]
    outcomes = [
        (a.get("outcome"), a["username"], a["client"]) for a in audit if a["audit"] == "login"
    ]
    assert outcomes == [
        ("success", "alice", "127.0.0.1"),
        ("failure", "reader", "127.0.0.1"),
        ("failure", "reader", "127.0.0.1"),
        ("failure", "reader", "127.0.0.1"),
        ("lockout", "reader", "127.0.0.1"),
        ("locked_out", "reader", "127.0.0.1"),
    ]
    assert [a["reason"] for a in audit if a.get("outcome") == "failure"] == ["wrong_password"] * 3
    assert any(a["audit"] == "logout" and a["username"] == "alice" for a in audit)


def test_sdk_login_logout_and_typed_errors(api: Site, live: LiveNode) -> None:
    raw = live.signer("alice").sign(builders.transfer((live.ids["bob"], "CNY", 1)))
    with Client(api.url) as client:
        with pytest.raises(AuthenticationError) as err:
            client.status()
        assert err.value.status == 401 and err.value.code == 3
        session = client.login("reader", PASSWORD)
        assert session.roles == ("read",) and session.token not in repr(session)
        assert client.status().chain_id == "test-solo"
        with pytest.raises(PermissionDeniedError):
            client.submit_tx(raw)
        client.logout()
        client.logout()  # idempotent
        with pytest.raises(AuthenticationError):
            client.status()
        for _ in range(SETTINGS.max_failures - 1):
            with pytest.raises(AuthenticationError):
                client.login("alice", "wrong password!")
        with pytest.raises(LockedOutError) as locked:
            client.login("alice", "wrong password!")
        assert locked.value.retry_after == 600
    LockoutLedger(api.directory).unlock(username="alice")
    token = api.token("alice")
    with Client(api.url, token=token) as client:
        assert client.submit_tx(raw).check is not None

    async def run() -> None:
        async with AsyncClient(api.url) as client:
            await client.login("alice", PASSWORD)
            assert (await client.status()).chain_id == "test-solo"
            await client.logout()
            with pytest.raises(AuthenticationError):
                await client.status()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[api.auth]\nenabled = 1\n", "key api.auth.enabled must be bool"),
        ('[api.auth]\nrequired_for = ["write"]\n', "api.auth.required_for has 'write'; allowed"),
        ('[api.auth]\nrequired_for = "read"\n', "api.auth.required_for must be a list"),
        ("[api.auth]\nmax_failures = 0\n", "api.auth.max_failures must be greater than 0"),
        ("[api.auth]\ntoken_ttl_seconds = 9999999\n", "token_ttl_seconds must be at most 604800"),
        ("[api.auth]\nlockout = 5\n", "unknown key api.auth.lockout; allowed"),
        ("[api]\nauth = 5\n", "[api.auth] must be a table"),
    ],
)
def test_config_errors_name_file_key_and_allowed_values(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(FinchainError) as err:
        load_config(path)
    assert ErrConfig.matches(err.value) and str(path) in err.value.message
    assert expected in err.value.message


def test_auth_is_off_by_default_and_parsed_when_given(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[api.auth]\nenabled = true\nrequired_for = ["submit"]\nmax_sessions = 7\n')
    auth = load_config(path).api.auth
    assert (auth.enabled, auth.required_for, auth.max_sessions, auth.max_failures) == (
        True,
        ("submit",),
        7,
        5,
    )
    assert load_config(tmp_path / "absent.toml").api.auth.enabled is False


@given(st.text(max_size=60))
def test_token_parsing_never_raises(text: str) -> None:
    digest = token_digest(text)
    assert digest is None or (len(text) == 43 and len(digest) == 32)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_malformed_store_files_give_one_stable_error(document: Any) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for path, read in (
            (directory / "users.json", lambda: UserStore(directory).users()),
            (directory / "login_failures.json", lambda: LockoutLedger(directory).entries()),
        ):
            path.write_text(json.dumps(document))
            try:
                read()
            except FinchainError as exc:
                assert ErrAuthStore.matches(exc)


# -- a real node process ----------------------------------------------------------------------

FINCHAIN = str(Path(sys.executable).parent / "finchain")
NODE_PASSPHRASE = "auth process passphrase"


def start_node(home: Home, log_path: Path, url: str) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [FINCHAIN, "node", "--home", str(home.path), "--log-format", "json"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, PASSPHRASE_ENV: NODE_PASSPHRASE},
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"node did not start:\n{log_path.read_text()}")
        time.sleep(0.1)


@pytest.mark.functional
def test_lockout_survives_a_killed_node_and_the_cli_unlocks_it(tmp_path: Path) -> None:
    """Steps: a node with [api.auth] → a user added by the CLI → three wrong passwords lock
    it → SIGKILL and restart → still locked for the right password → `finchain users
    unlock` → login and submit with the SDK → the node log has audit lines, no password.
    """
    port = free_port()
    home = Home(tmp_path / "home")
    ids = init_home(
        home,
        HomeSpec(
            chain_id="auth-process",
            suite="intl",
            passphrase=NODE_PASSPHRASE,
            account_names=("operator", "alice"),
            assets=(DemoAsset("CNY", "Yuan", 2, 1_000),),
            config_text=(
                f'[api]\nlisten = "127.0.0.1:{port}"\n\n[api.auth]\nenabled = true\n'
                "max_failures = 3\n\n[solo]\ninstant = true\n"
            ),
            scrypt_n=2**4,
        ),
    )
    added = CliRunner().invoke(
        cli,
        [
            "users",
            "add",
            "teller",
            "--roles",
            "read,submit",
            "--password-stdin",
            "--home",
            str(home.path),
            "--scrypt-n",
            "16",
        ],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    url, log_path = f"http://127.0.0.1:{port}", tmp_path / "node.log"
    process = start_node(home, log_path, url)
    try:
        with Client(url) as client:
            for _ in range(2):
                with pytest.raises(AuthenticationError):
                    client.login("teller", "not the password")
            with pytest.raises(LockedOutError):
                client.login("teller", "not the password")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

        process = start_node(home, log_path, url)
        with Client(url) as client, pytest.raises(LockedOutError):
            client.login("teller", PASSWORD)
        unlocked = subprocess.run(
            [FINCHAIN, "users", "unlock", "teller", "--home", str(home.path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert unlocked.returncode == 0, unlocked.stderr
        with Client(url) as client:
            client.login("teller", PASSWORD)
            key = home.keystore().load("alice", NODE_PASSPHRASE)
            signer = client.signer(ids["alice"], [("k1", key)])
            receipt = client.submit_tx(
                signer.sign(builders.transfer((ids["operator"], "CNY", 5))), mode="commit"
            )
            assert receipt.committed
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert PASSWORD not in log and "not the password" not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    outcomes = [(x["outcome"], x["username"]) for x in lines if x.get("audit") == "login"]
    assert outcomes == [
        ("failure", "teller"),
        ("failure", "teller"),
        ("failure", "teller"),
        ("lockout", "teller"),
        ("locked_out", "teller"),
        ("success", "teller"),
    ]
