"""Passphrase-protected key files, one JSON document per key.

A key is stored as ``<directory>/<name>.json``::

    {
      "version": 1,
      "name": "alice",
      "scheme": "sm2",
      "public_key": "04...",
      "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<32 bytes hex>"},
      "cipher": {"name": "sm4-gcm", "nonce": "<12 bytes hex>"},
      "ciphertext": "<secret || tag, hex>"
    }

Why it is built this way:

- scrypt makes each passphrase guess cost memory (32 MiB at n=2^15, r=8), so a
  stolen file resists offline guessing far better than with a fast hash.
- The AEAD's associated data binds version, name, scheme and public key: a
  file whose public key or scheme was swapped fails to decrypt, it does not
  decrypt to a key that then signs under someone else's identity. After
  decryption the secret must also yield the recorded public key.
- Files are written to a temporary file created ``0600`` (never wider, not
  even for an instant), fsynced, then linked into place, which is atomic and
  refuses to overwrite: two processes creating the same name cannot both
  succeed. The directory is created ``0700``. The secret never reaches disk
  unencrypted.
- Names match ``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``, so a name is always one
  plain file in the directory (no ``/``, no leading dot, no ``..``).

Errors: ``ErrWrongPassphrase`` (or the file was altered: AEAD cannot tell the
two apart), ``ErrMalformedKeystore`` naming the field, ``ErrKeyNotFound``,
``ErrKeyExists``, ``ErrInvalidKeyName``. None of them carries the passphrase
or any secret.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from finchain.crypto.aead import AEAD_NAMES, Aead, get_aead
from finchain.crypto.errors import (
    ErrDecryptionFailed,
    ErrInvalidKey,
    ErrInvalidKeyName,
    ErrKeyExists,
    ErrKeyNotFound,
    ErrMalformedKeystore,
    ErrWrongPassphrase,
)
from finchain.crypto.keys import PrivateKey, PublicKey
from finchain.crypto.schemes import (
    SCHEMES,
    generate_private_key,
    private_key_from_bytes,
    public_key_from_bytes,
)
from finchain.crypto.suites import get_suite
from finchain.errors import FinchainError

VERSION = 1
SECRET_SIZE = 32
SALT_SIZE = 32
SCRYPT_R = 8
SCRYPT_P = 1
MAX_SCRYPT_N = 2**20
MAX_SCRYPT_MEMORY = 2**30
"""Refuse documents asking scrypt for more than 1 GiB (128 * n * r bytes)."""
MAX_DOCUMENT_SIZE = 64 * 1024

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_HEX_RE = re.compile(r"(?:[0-9a-f]{2})*")
_AAD_LABEL = b"finchain keystore\x00"
_T = TypeVar("_T")


@dataclass(frozen=True)
class KeyInfo:
    """The public part of a stored key: readable without the passphrase."""

    name: str
    scheme: str
    public_key: PublicKey


@dataclass(frozen=True)
class _Document:
    """A keystore document whose every field has been checked."""

    name: str
    scheme: str
    public_key: PublicKey
    n: int
    r: int
    p: int
    salt: bytes
    aead: Aead
    nonce: bytes
    ciphertext: bytes

    def info(self) -> KeyInfo:
        return KeyInfo(self.name, self.scheme, self.public_key)

    def to_json(self) -> str:
        document = {
            "version": VERSION,
            "name": self.name,
            "scheme": self.scheme,
            "public_key": self.public_key.data.hex(),
            "kdf": {
                "name": "scrypt",
                "n": self.n,
                "r": self.r,
                "p": self.p,
                "salt": self.salt.hex(),
            },
            "cipher": {"name": self.aead.name, "nonce": self.nonce.hex()},
            "ciphertext": self.ciphertext.hex(),
        }
        return json.dumps(document, indent=2) + "\n"


class Keystore:
    """A directory of encrypted keys.

    Example::

        ks = Keystore("~/.finchain/keys")
        info = ks.create("alice", "sm2", passphrase)
        key = ks.load("alice", passphrase)
        signature = key.sign(tx_bytes)

    Parameters:
        directory: created with mode 0700 if missing (parents too, with the
            default mode); an existing directory keeps its mode.
        scrypt_n: scrypt cost for keys written by this keystore, a power of
            two; the default 2^15 takes ~0.1 s and 32 MiB. Documents read
            keep their own cost parameters.
    """

    def __init__(self, directory: str | os.PathLike[str], *, scrypt_n: int = 2**15) -> None:
        if (
            isinstance(scrypt_n, bool)
            or not isinstance(scrypt_n, int)
            or not 2 <= scrypt_n <= MAX_SCRYPT_N
            or scrypt_n & (scrypt_n - 1)
        ):
            raise ValueError(f"scrypt_n must be a power of two in [2, 2^20], got {scrypt_n!r}")
        self._directory = Path(directory).expanduser()
        self._scrypt_n = scrypt_n
        if not self._directory.is_dir():
            self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self._directory, 0o700)  # mkdir's mode is filtered by the umask

    @property
    def directory(self) -> Path:
        return self._directory

    def create(self, name: str, scheme: str, passphrase: str, *, suite: str = "gm") -> KeyInfo:
        """Generate a key of ``scheme`` and store it encrypted with ``suite``'s AEAD.

        Raises ``ErrInvalidKeyName``, ``ErrKeyExists``, ``ErrUnknownScheme``,
        ``ErrUnknownSuite``.
        """
        self._check_name(name)
        aead = get_suite(suite).aead
        key = generate_private_key(scheme)
        document = self._seal(name, key, passphrase, aead)
        self._write_new(name, document.to_json())
        return document.info()

    def import_key(
        self, name: str, scheme: str, secret: bytes, passphrase: str, *, suite: str = "gm"
    ) -> KeyInfo:
        """Store an existing raw 32-byte secret (see ``private_key_from_bytes``).

        Raises ``ErrInvalidKey`` for a bad secret, and as :meth:`create`.
        """
        self._check_name(name)
        aead = get_suite(suite).aead
        key = private_key_from_bytes(scheme, secret)
        document = self._seal(name, key, passphrase, aead)
        self._write_new(name, document.to_json())
        return document.info()

    def load(self, name: str, passphrase: str) -> PrivateKey:
        """Decrypt the key called ``name``.

        Raises ``ErrKeyNotFound``, ``ErrWrongPassphrase``, ``ErrMalformedKeystore``.
        """
        return _open(self._read(name), passphrase)

    def info(self, name: str) -> KeyInfo:
        """The public part of key ``name``; no passphrase needed."""
        return self._read(name).info()

    def list(self) -> list[KeyInfo]:
        """Every stored key, sorted by name.

        Raises ``ErrMalformedKeystore`` if a ``<name>.json`` file is not a keystore document.
        """
        names = sorted(
            entry.name[: -len(".json")]
            for entry in os.scandir(self._directory)
            if entry.name.endswith(".json")
            and entry.is_file()
            and _NAME_RE.fullmatch(entry.name[: -len(".json")])
        )
        return [self.info(name) for name in names]

    def export_encrypted(self, name: str, passphrase: str, new_passphrase: str) -> str:
        """Key ``name`` as a keystore JSON document encrypted under ``new_passphrase``.

        Fresh salt and nonce; same AEAD as the stored file. Nothing is written.
        Raises as :meth:`load`.
        """
        stored = self._read(name)
        key = _open(stored, passphrase)
        return self._seal(name, key, new_passphrase, stored.aead).to_json()

    def import_encrypted(self, name: str, document: str, passphrase: str) -> KeyInfo:
        """Store the key of a keystore ``document`` (from :meth:`export_encrypted`) as ``name``.

        The document is decrypted with ``passphrase`` and re-encrypted (same
        passphrase and AEAD, this keystore's scrypt cost, fresh salt and
        nonce) so the stored file binds the new name.

        Raises ``ErrWrongPassphrase``, ``ErrMalformedKeystore``, ``ErrKeyExists``,
        ``ErrInvalidKeyName``.
        """
        self._check_name(name)
        if not isinstance(document, str):
            raise ErrMalformedKeystore(
                f"imported document must be a JSON str, got a {type(document).__name__}"
            )
        if len(document) > MAX_DOCUMENT_SIZE:
            raise ErrMalformedKeystore(
                f"imported document is {len(document)} characters, over the "
                f"{MAX_DOCUMENT_SIZE} limit: it is not a keystore document"
            )
        parsed = _parse(document, "imported document")
        key = _open(parsed, passphrase)
        stored = self._seal(name, key, passphrase, parsed.aead)
        self._write_new(name, stored.to_json())
        return stored.info()

    def delete(self, name: str) -> None:
        """Remove key ``name``. Raises ``ErrKeyNotFound``."""
        path = self._path(name)
        try:
            path.unlink()
        except FileNotFoundError:
            raise self._not_found(name) from None
        _fsync_directory(self._directory)

    # -- internals ---------------------------------------------------------

    def _check_name(self, name: str) -> None:
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise ErrInvalidKeyName(
                f"invalid key name {name!r}: use 1-64 characters from A-Z a-z 0-9 _ . -, "
                "starting with a letter or digit"
            )

    def _path(self, name: str) -> Path:
        self._check_name(name)
        return self._directory / f"{name}.json"

    def _not_found(self, name: str) -> Exception:
        return ErrKeyNotFound(f"no key {name!r} in keystore {self._directory}")

    def _seal(self, name: str, key: PrivateKey, passphrase: str, aead: Aead) -> _Document:
        salt = secrets.token_bytes(SALT_SIZE)
        nonce = secrets.token_bytes(aead.nonce_size)
        public_key = key.public_key()
        derived = _derive(passphrase, salt, self._scrypt_n, SCRYPT_R, SCRYPT_P, aead.key_size)
        aad = _aad(name, key.scheme, public_key)
        ciphertext = aead.encrypt(derived, nonce, key.secret_bytes(), aad)
        return _Document(
            name=name,
            scheme=key.scheme,
            public_key=public_key,
            n=self._scrypt_n,
            r=SCRYPT_R,
            p=SCRYPT_P,
            salt=salt,
            aead=aead,
            nonce=nonce,
            ciphertext=ciphertext,
        )

    def _read(self, name: str) -> _Document:
        path = self._path(name)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read(MAX_DOCUMENT_SIZE + 1)
        except FileNotFoundError:
            raise self._not_found(name) from None
        except UnicodeDecodeError:
            raise ErrMalformedKeystore(f"keystore file {path} is not UTF-8 text") from None
        if len(text) > MAX_DOCUMENT_SIZE:
            raise ErrMalformedKeystore(
                f"keystore file {path} is over {MAX_DOCUMENT_SIZE} characters: "
                "it is not a keystore document"
            )
        document = _parse(text, f"keystore file {path}")
        if document.name != name:
            raise ErrMalformedKeystore(
                f"keystore file {path}: field name is {document.name!r}, not {name!r}: "
                "the file was renamed or altered"
            )
        return document

    def _write_new(self, name: str, text: str) -> None:
        final = self._path(name)
        temporary = self._directory / f".{name}.{secrets.token_hex(8)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags, 0o600)
        try:
            os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(temporary, final)
            except FileExistsError:
                raise ErrKeyExists(
                    f"a key named {name!r} already exists in keystore {self._directory}: "
                    "pick another name or delete the old key first"
                ) from None
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(self._directory)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    if not isinstance(passphrase, str):
        raise TypeError(f"passphrase must be a str, got a {type(passphrase).__name__}")
    # NFC so that the same text typed on different systems gives the same key.
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(secret)


def _aad(name: str, scheme: str, public_key: PublicKey) -> bytes:
    bound = [VERSION, name, scheme, public_key.data.hex()]
    return _AAD_LABEL + json.dumps(bound, separators=(",", ":")).encode("ascii")


def _open(document: _Document, passphrase: str) -> PrivateKey:
    derived = _derive(
        passphrase, document.salt, document.n, document.r, document.p, document.aead.key_size
    )
    aad = _aad(document.name, document.scheme, document.public_key)
    try:
        secret = document.aead.decrypt(derived, document.nonce, document.ciphertext, aad)
    except FinchainError as exc:
        if not ErrDecryptionFailed.matches(exc):
            raise
        raise ErrWrongPassphrase(
            f"cannot open key {document.name!r}: wrong passphrase, or the keystore "
            "document was altered"
        ) from None
    return _check_secret(document, secret)


def _check_secret(document: _Document, secret: bytes) -> PrivateKey:
    try:
        key = private_key_from_bytes(document.scheme, secret)
    except Exception:
        raise ErrMalformedKeystore(
            f"key {document.name!r}: the decrypted secret is not a valid {document.scheme} key"
        ) from None
    if not hmac.compare_digest(key.public_key().data, document.public_key.data):
        raise ErrMalformedKeystore(
            f"key {document.name!r}: the decrypted secret does not match field public_key"
        )
    return key


def _parse(text: str, where: str) -> _Document:
    """Check every field of a keystore document; ``ErrMalformedKeystore`` names the bad one."""

    def bad(field: str, problem: str) -> Exception:
        return ErrMalformedKeystore(f"{where}: field {field} {problem}")

    try:
        raw = json.loads(text)
    except ValueError:
        raise ErrMalformedKeystore(f"{where} is not valid JSON") from None
    if not isinstance(raw, dict):
        raise ErrMalformedKeystore(f"{where} is not a JSON object")

    version = _get(raw, "version", int, bad)
    if version != VERSION:
        raise bad(
            "version", f"is {version}, this finchain reads version {VERSION}: upgrade finchain"
        )
    name = _get(raw, "name", str, bad)
    if not _NAME_RE.fullmatch(name):
        raise bad("name", f"{name!r} is not a valid key name")
    scheme = _get(raw, "scheme", str, bad)
    if scheme not in SCHEMES:
        raise bad("scheme", f"{scheme!r} is not one of {', '.join(SCHEMES)}")
    try:
        public_key = public_key_from_bytes(scheme, _hex(raw, "public_key", bad))
    except FinchainError as exc:
        if not ErrInvalidKey.matches(exc):
            raise
        raise bad("public_key", f"is not a valid {scheme} key ({exc.message})") from None

    kdf = _get(raw, "kdf", dict, bad)
    if _get(kdf, "name", str, bad, "kdf.") != "scrypt":
        raise bad("kdf.name", "must be 'scrypt'")
    n = _get(kdf, "n", int, bad, "kdf.")
    r = _get(kdf, "r", int, bad, "kdf.")
    p = _get(kdf, "p", int, bad, "kdf.")
    if not 2 <= n <= MAX_SCRYPT_N or n & (n - 1):
        raise bad("kdf.n", f"is {n}, must be a power of two in [2, 2^20]")
    if not 1 <= r <= 32:
        raise bad("kdf.r", f"is {r}, must be in [1, 32]")
    if not 1 <= p <= 16:
        raise bad("kdf.p", f"is {p}, must be in [1, 16]")
    if 128 * n * r > MAX_SCRYPT_MEMORY:
        raise bad("kdf.n", f"and kdf.r ask scrypt for {128 * n * r} bytes, over 1 GiB")
    salt = _hex(kdf, "salt", bad, "kdf.")
    if not 16 <= len(salt) <= 64:
        raise bad("kdf.salt", f"is {len(salt)} bytes, must be 16 to 64")

    cipher = _get(raw, "cipher", dict, bad)
    aead_name = _get(cipher, "name", str, bad, "cipher.")
    if aead_name not in AEAD_NAMES:
        raise bad("cipher.name", f"{aead_name!r} is not one of {', '.join(AEAD_NAMES)}")
    aead = get_aead(aead_name)
    nonce = _hex(cipher, "nonce", bad, "cipher.")
    if len(nonce) != aead.nonce_size:
        raise bad("cipher.nonce", f"is {len(nonce)} bytes, {aead.name} needs {aead.nonce_size}")

    ciphertext = _hex(raw, "ciphertext", bad)
    if len(ciphertext) != SECRET_SIZE + aead.tag_size:
        raise bad(
            "ciphertext", f"is {len(ciphertext)} bytes, expected {SECRET_SIZE + aead.tag_size}"
        )
    return _Document(name, scheme, public_key, n, r, p, salt, aead, nonce, ciphertext)


_Bad = Callable[[str, str], Exception]


def _get(obj: dict[str, Any], key: str, kind: type[_T], bad: _Bad, prefix: str = "") -> _T:
    if key not in obj:
        raise bad(prefix + key, "is missing")
    value = obj[key]
    # bool is an int subclass; true is not a version number.
    if not isinstance(value, kind) or isinstance(value, bool):
        raise bad(prefix + key, f"must be a JSON {_JSON_KINDS[kind]}")
    return value


_JSON_KINDS: dict[type, str] = {int: "integer", str: "string", dict: "object"}


def _hex(obj: dict[str, Any], key: str, bad: _Bad, prefix: str = "") -> bytes:
    text = _get(obj, key, str, bad, prefix)
    if not _HEX_RE.fullmatch(text):
        raise bad(prefix + key, "must be lower-case hex with an even number of digits")
    return bytes.fromhex(text)


def _fsync_directory(directory: Path) -> None:
    """Make a create, link or unlink in ``directory`` survive a crash."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
