"""The keystore: round trips, file safety, tampering, names, export/import."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from finchain.crypto import (
    SCHEMES,
    ErrInvalidKey,
    ErrInvalidKeyName,
    ErrKeyExists,
    ErrKeyNotFound,
    ErrMalformedKeystore,
    ErrUnknownScheme,
    ErrUnknownSuite,
    ErrWrongPassphrase,
    KeyInfo,
    Keystore,
    generate_private_key,
    get_aead,
    verify_signature,
)
from finchain.crypto import keystore as keystore_module
from finchain.errors import ErrorCode, FinchainError

PASSPHRASE = "tr0ub4dor&3 — 口令"
N = 2**12


@pytest.fixture
def ks(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keys", scrypt_n=N)


def raises(code: ErrorCode, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FinchainError:
    with pytest.raises(FinchainError) as info:
        fn(*args, **kwargs)
    assert code.matches(info.value), f"expected {code}, got {info.value!r}"
    return info.value


def document(ks: Keystore, name: str) -> dict[str, Any]:
    return json.loads((ks.directory / f"{name}.json").read_text())  # type: ignore[no-any-return]


def rewrite(ks: Keystore, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    doc = document(ks, name)
    change(doc)
    (ks.directory / f"{name}.json").write_text(json.dumps(doc))


def flip_hex(text: str, index: int = 0) -> str:
    data = bytearray.fromhex(text)
    data[index] ^= 0x01
    return data.hex()


@pytest.mark.parametrize("suite", ["gm", "intl"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_round_trip(ks: Keystore, scheme: str, suite: str) -> None:
    info = ks.create("alice", scheme, PASSPHRASE, suite=suite)
    assert info == KeyInfo("alice", scheme, info.public_key)
    key = ks.load("alice", PASSPHRASE)
    assert key.scheme == scheme
    assert key.public_key() == info.public_key
    signature = key.sign(b"payload")
    assert verify_signature(scheme, info.public_key.data, b"payload", signature)
    assert ks.info("alice") == info

    doc = document(ks, "alice")
    assert list(doc) == [
        "version", "name", "scheme", "public_key", "kdf", "cipher", "ciphertext",
    ]  # fmt: skip
    assert doc["version"] == 1
    assert doc["name"] == "alice" and doc["scheme"] == scheme
    assert doc["public_key"] == info.public_key.data.hex()
    assert doc["kdf"]["name"] == "scrypt" and doc["kdf"]["n"] == N
    assert (doc["kdf"]["r"], doc["kdf"]["p"]) == (8, 1)
    assert len(bytes.fromhex(doc["kdf"]["salt"])) == 32
    assert doc["cipher"]["name"] == {"gm": "sm4-gcm", "intl": "aes-256-gcm"}[suite]
    assert len(bytes.fromhex(doc["cipher"]["nonce"])) == 12


@pytest.mark.parametrize("scheme", SCHEMES)
def test_import_key_round_trip(ks: Keystore, scheme: str) -> None:
    original = generate_private_key(scheme)
    info = ks.import_key("imported", scheme, original.secret_bytes(), PASSPHRASE)
    assert info.public_key == original.public_key()
    assert ks.load("imported", PASSPHRASE) == original


def test_file_and_directory_modes(tmp_path: Path) -> None:
    old = os.umask(0)  # the most permissive umask: modes must still be tight
    try:
        ks = Keystore(tmp_path / "deep" / "keys", scrypt_n=N)
        ks.create("alice", "sm2", PASSPHRASE)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(ks.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(ks.directory / "alice.json").st_mode) == 0o600
    assert sorted(os.listdir(ks.directory)) == ["alice.json"], "no temporary file left"


def test_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.joinpath("mine").mkdir(mode=0o750)
    os.chmod(tmp_path / "mine", 0o750)
    Keystore(tmp_path / "mine", scrypt_n=N)
    assert stat.S_IMODE(os.stat(tmp_path / "mine").st_mode) == 0o750


@pytest.mark.parametrize("scheme", SCHEMES)
def test_secret_never_reaches_the_file(ks: Keystore, scheme: str) -> None:
    key = generate_private_key(scheme)
    secret = key.secret_bytes()
    ks.import_key("k", scheme, secret, PASSPHRASE)
    raw = (ks.directory / "k.json").read_bytes()
    assert secret not in raw
    assert secret.hex().encode() not in raw
    assert secret.hex().upper().encode() not in raw
    assert PASSPHRASE.encode() not in raw


def test_wrong_passphrase(ks: Keystore) -> None:
    ks.create("alice", "sm2", PASSPHRASE)
    err = raises(ErrWrongPassphrase, ks.load, "alice", PASSPHRASE + " ")
    assert "alice" in err.message
    raises(ErrWrongPassphrase, ks.load, "alice", "")


def test_passphrase_is_unicode_normalised(ks: Keystore) -> None:
    ks.create("alice", "ed25519", "caf\u00e9")  # é precomposed
    assert ks.load("alice", "cafe\u0301")  # e + combining acute accent


TAMPERINGS_THAT_BREAK_DECRYPTION: dict[str, Callable[[dict[str, Any]], None]] = {
    "ciphertext": lambda d: d.update(ciphertext=flip_hex(d["ciphertext"])),
    "tag": lambda d: d.update(ciphertext=flip_hex(d["ciphertext"], -1)),
    "nonce": lambda d: d["cipher"].update(nonce=flip_hex(d["cipher"]["nonce"])),
    "salt": lambda d: d["kdf"].update(salt=flip_hex(d["kdf"]["salt"])),
    "kdf.n": lambda d: d["kdf"].update(n=d["kdf"]["n"] * 2),
    "cipher.name": lambda d: d["cipher"].update(name="aes-256-gcm"),
    "public_key": lambda d: d.update(
        public_key=generate_private_key("sm2").public_key().data.hex()
    ),
}


@pytest.mark.parametrize("field", TAMPERINGS_THAT_BREAK_DECRYPTION)
def test_tampering_fails_decryption(ks: Keystore, field: str) -> None:
    ks.create("alice", "sm2", PASSPHRASE)
    rewrite(ks, "alice", TAMPERINGS_THAT_BREAK_DECRYPTION[field])
    raises(ErrWrongPassphrase, ks.load, "alice", PASSPHRASE)


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "version": (lambda d: d.update(version=2), "version"),
    "version-bool": (lambda d: d.update(version=True), "version"),
    "version-missing": (lambda d: d.pop("version"), "version"),
    "name": (lambda d: d.update(name="bob"), "name"),
    "name-invalid": (lambda d: d.update(name="../bob"), "name"),
    "scheme": (lambda d: d.update(scheme="rsa"), "scheme"),
    "scheme-swapped": (lambda d: d.update(scheme="ed25519"), "public_key"),
    "public_key-hex": (lambda d: d.update(public_key="zz"), "public_key"),
    "public_key-upper": (lambda d: d.update(public_key=d["public_key"].upper()), "public_key"),
    "public_key-off-curve": (lambda d: d.update(public_key="04" + "00" * 64), "public_key"),
    "kdf": (lambda d: d.update(kdf="scrypt"), "kdf"),
    "kdf.name": (lambda d: d["kdf"].update(name="pbkdf2"), "kdf.name"),
    "kdf.n-not-power": (lambda d: d["kdf"].update(n=5000), "kdf.n"),
    "kdf.n-huge": (lambda d: d["kdf"].update(n=2**30), "kdf.n"),
    "kdf.n-string": (lambda d: d["kdf"].update(n="4096"), "kdf.n"),
    "kdf.r": (lambda d: d["kdf"].update(r=0), "kdf.r"),
    "kdf.p": (lambda d: d["kdf"].update(p=100), "kdf.p"),
    "kdf.memory": (lambda d: d["kdf"].update(n=2**20, r=16), "kdf.n"),
    "kdf.salt-missing": (lambda d: d["kdf"].pop("salt"), "kdf.salt"),
    "kdf.salt-short": (lambda d: d["kdf"].update(salt="00" * 8), "kdf.salt"),
    "cipher.name": (lambda d: d["cipher"].update(name="des"), "cipher.name"),
    "cipher.nonce": (lambda d: d["cipher"].update(nonce="00" * 11), "cipher.nonce"),
    "cipher.nonce-odd": (lambda d: d["cipher"].update(nonce="0" * 23), "cipher.nonce"),
    "ciphertext": (lambda d: d.update(ciphertext=d["ciphertext"][:-2]), "ciphertext"),
    "ciphertext-spaces": (lambda d: d.update(ciphertext=" " + d["ciphertext"]), "ciphertext"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_documents_name_the_field(ks: Keystore, case: str) -> None:
    change, field = MALFORMED[case]
    ks.create("alice", "sm2", PASSPHRASE)
    rewrite(ks, "alice", change)
    for call in (lambda: ks.load("alice", PASSPHRASE), lambda: ks.info("alice"), ks.list):
        err = raises(ErrMalformedKeystore, call)
        assert f"field {field} " in err.message


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe\x00", b" " * 70_000]
)
def test_unreadable_files(ks: Keystore, content: bytes) -> None:
    (ks.directory / "junk.json").write_bytes(content)
    raises(ErrMalformedKeystore, ks.load, "junk", PASSPHRASE)
    raises(ErrMalformedKeystore, ks.info, "junk")


def test_secret_not_matching_the_public_key(ks: Keystore) -> None:
    # Someone holding the passphrase re-encrypts another secret under alice's
    # public key with a correct AAD: decryption succeeds, the check must not.
    info = ks.create("alice", "sm2", PASSPHRASE)
    doc = document(ks, "alice")
    other = generate_private_key("sm2").secret_bytes()
    aead = get_aead("sm4-gcm")
    derived = keystore_module._derive(
        PASSPHRASE, bytes.fromhex(doc["kdf"]["salt"]), N, 8, 1, aead.key_size
    )
    aad = keystore_module._aad("alice", "sm2", info.public_key)
    nonce = bytes.fromhex(doc["cipher"]["nonce"])
    doc["ciphertext"] = aead.encrypt(derived, nonce, other, aad).hex()
    (ks.directory / "alice.json").write_text(json.dumps(doc))
    err = raises(ErrMalformedKeystore, ks.load, "alice", PASSPHRASE)
    assert "public_key" in err.message
    assert other.hex() not in str(err)


BAD_NAMES = ["../x", "..", ".hidden", "", "a/b", "a\\b", "a b", "x" * 65, "é", "-lead", "_lead",
             "a\x00b", "name.json/", "a\nb"]  # fmt: skip


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_are_refused(ks: Keystore, name: str) -> None:
    secret = generate_private_key("ed25519").secret_bytes()
    raises(ErrInvalidKeyName, ks.create, name, "ed25519", PASSPHRASE)
    raises(ErrInvalidKeyName, ks.import_key, name, "ed25519", secret, PASSPHRASE)
    raises(ErrInvalidKeyName, ks.load, name, PASSPHRASE)
    raises(ErrInvalidKeyName, ks.info, name)
    raises(ErrInvalidKeyName, ks.delete, name)
    raises(ErrInvalidKeyName, ks.import_encrypted, name, "{}", PASSPHRASE)
    assert os.listdir(ks.directory) == []
    assert not (ks.directory.parent / "x.json").exists()


@pytest.mark.parametrize("name", ["a", "A1", "alice.sm2", "key_2-b", "9" * 64, "a..b"])
def test_good_names(ks: Keystore, name: str) -> None:
    ks.create(name, "ed25519", PASSPHRASE)
    assert ks.info(name).name == name


def test_not_found_and_exists(ks: Keystore) -> None:
    raises(ErrKeyNotFound, ks.load, "ghost", PASSPHRASE)
    raises(ErrKeyNotFound, ks.info, "ghost")
    raises(ErrKeyNotFound, ks.delete, "ghost")
    first = ks.create("alice", "sm2", PASSPHRASE)
    before = (ks.directory / "alice.json").read_bytes()
    raises(ErrKeyExists, ks.create, "alice", "ed25519", "other")
    raises(ErrKeyExists, ks.import_key, "alice", "sm2", bytes(31) + b"\x01", PASSPHRASE)
    assert (ks.directory / "alice.json").read_bytes() == before
    assert ks.info("alice") == first
    assert sorted(os.listdir(ks.directory)) == ["alice.json"], "no temporary file left"


def test_bad_inputs_write_nothing(ks: Keystore) -> None:
    raises(ErrInvalidKey, ks.import_key, "k", "sm2", bytes(32), PASSPHRASE)
    raises(ErrInvalidKey, ks.import_key, "k", "sm2", b"short", PASSPHRASE)
    raises(ErrUnknownScheme, ks.create, "k", "rsa", PASSPHRASE)
    raises(ErrUnknownSuite, ks.create, "k", "sm2", PASSPHRASE, suite="fips")
    assert os.listdir(ks.directory) == []


def test_list_and_delete(ks: Keystore) -> None:
    assert ks.list() == []
    for name, scheme in [("carol", "secp256k1"), ("alice", "sm2"), ("bob", "ed25519")]:
        ks.create(name, scheme, PASSPHRASE)
    (ks.directory / ".alice.123.tmp").write_text("partial")
    (ks.directory / "notes.txt").write_text("not a key")
    (ks.directory / "sub.json").mkdir()
    listed = ks.list()
    assert [i.name for i in listed] == ["alice", "bob", "carol"]
    assert [i.scheme for i in listed] == ["sm2", "ed25519", "secp256k1"]
    ks.delete("bob")
    assert [i.name for i in ks.list()] == ["alice", "carol"]
    raises(ErrKeyNotFound, ks.load, "bob", PASSPHRASE)


def test_export_and_import_encrypted(ks: Keystore, tmp_path: Path) -> None:
    info = ks.create("alice", "sm2", PASSPHRASE)
    files_before = sorted(os.listdir(ks.directory))
    exported = ks.export_encrypted("alice", PASSPHRASE, "new passphrase")
    assert sorted(os.listdir(ks.directory)) == files_before, "export writes nothing"
    doc = json.loads(exported)
    assert doc["name"] == "alice" and doc["public_key"] == info.public_key.data.hex()
    assert doc["kdf"]["salt"] != document(ks, "alice")["kdf"]["salt"]
    secret = ks.load("alice", PASSPHRASE).secret_bytes()
    assert secret.hex() not in exported

    other = Keystore(tmp_path / "other", scrypt_n=N)
    raises(ErrWrongPassphrase, other.import_encrypted, "alice2", exported, PASSPHRASE)
    assert os.listdir(other.directory) == []
    imported = other.import_encrypted("alice2", exported, "new passphrase")
    assert imported == KeyInfo("alice2", "sm2", info.public_key)
    assert other.load("alice2", "new passphrase").secret_bytes() == secret
    assert document(other, "alice2")["name"] == "alice2", "re-encrypted under the new name"
    raises(ErrKeyExists, other.import_encrypted, "alice2", exported, "new passphrase")
    raises(ErrWrongPassphrase, ks.export_encrypted, "alice", "nope", "x")


def test_import_encrypted_refuses_malformed_documents(ks: Keystore) -> None:
    ks.create("alice", "ed25519", PASSPHRASE)
    exported = json.loads(ks.export_encrypted("alice", PASSPHRASE, PASSPHRASE))
    exported["cipher"]["nonce"] = "zz"
    err = raises(ErrMalformedKeystore, ks.import_encrypted, "b", json.dumps(exported), PASSPHRASE)
    assert "cipher.nonce" in err.message
    raises(ErrMalformedKeystore, ks.import_encrypted, "b", "not json", PASSPHRASE)
    raises(ErrMalformedKeystore, ks.import_encrypted, "b", " " * 70_000, PASSPHRASE)
    raises(ErrMalformedKeystore, ks.import_encrypted, "b", b"{}", PASSPHRASE)


def test_nothing_secret_in_errors_or_reprs(ks: Keystore) -> None:
    ks.create("alice", "sm2", PASSPHRASE)
    key = ks.load("alice", PASSPHRASE)
    secret = key.secret_bytes()
    errors: list[FinchainError] = []
    for call in (
        lambda: ks.load("alice", PASSPHRASE + "x"),
        lambda: ks.export_encrypted("alice", PASSPHRASE + "x", "y"),
        lambda: ks.import_key("bad", "sm2", b"\xff" * 32, PASSPHRASE),
        lambda: ks.create("alice", "sm2", PASSPHRASE),
    ):
        with pytest.raises(FinchainError) as info:
            call()
        errors.append(info.value)
    texts = [repr(key), str(key)]
    for exc in errors:
        texts += [str(exc), repr(exc), exc.message, repr(exc.details), repr(exc.args)]
        assert exc.__cause__ is None
    for text in texts:
        assert secret.hex() not in text and secret.hex().upper() not in text
        assert PASSPHRASE not in text
        assert ("ff" * 32) not in text


def test_scrypt_n_is_validated(tmp_path: Path) -> None:
    for bad in (0, 1, 3, 1000, 2**21, True, 4096.0):
        with pytest.raises(ValueError):
            Keystore(tmp_path, scrypt_n=bad)  # type: ignore[arg-type]


def test_documents_keep_their_own_cost(tmp_path: Path) -> None:
    cheap = Keystore(tmp_path / "cheap", scrypt_n=2**10)
    cheap.create("k", "ed25519", PASSPHRASE)
    exported = cheap.export_encrypted("k", PASSPHRASE, PASSPHRASE)
    assert json.loads(exported)["kdf"]["n"] == 2**10
    strong = Keystore(tmp_path / "strong", scrypt_n=N)
    strong.import_encrypted("k", exported, PASSPHRASE)
    assert document(strong, "k")["kdf"]["n"] == N
    assert strong.load("k", PASSPHRASE) == cheap.load("k", PASSPHRASE)


@pytest.fixture(autouse=True)
def _no_leftover_temporary_files(tmp_path: Path) -> Iterator[None]:
    yield
    leftovers = [p for p in tmp_path.rglob(".*.tmp") if p.read_text() != "partial"]
    assert leftovers == []
