"""SM2 interoperability with the openssl command line (OpenSSL 3).

The invocations, worked out by hand against OpenSSL 3.0:

    openssl genpkey -algorithm SM2 -out key.pem
    openssl pkeyutl -sign   -rawin -digest sm3 -inkey key.pem -in msg -out sig.der \\
        -pkeyopt distid:1234567812345678
    openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey pub.pem -in msg \\
        -sigfile sig.der -pkeyopt distid:1234567812345678

``-rawin -digest sm3`` makes pkeyutl hash Z || M itself; ``distid`` sets the
signer ID that goes into Z. Signatures are DER; finchain's wire form is raw r||s.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from finchain.crypto import (
    Keystore,
    generate_private_key,
    private_key_from_bytes,
    public_key_from_bytes,
    sm2,
    verify_signature,
)

DISTID = "distid:1234567812345678"
# SubjectPublicKeyInfo up to the point: SEQUENCE { SEQUENCE { id-ecPublicKey
# (1.2.840.10045.2.1), SM2 curve (1.2.156.10197.1.301) }, BIT STRING, 0 unused bits }.
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
MESSAGE = b"finchain <-> openssl: settle 42.00 CNY"


def openssl(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, timeout=30)


def openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    return openssl("list", "-public-key-algorithms").stdout.lower().count(b"sm2") > 0


pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(not openssl_has_sm2(), reason="openssl with SM2 not available"),
]


def write_public_pem(path: Path, public: bytes) -> Path:
    der = path.with_suffix(".der")
    der.write_bytes(SPKI_PREFIX + public)
    result = openssl("pkey", "-pubin", "-inform", "DER", "-in", der, "-out", path)
    assert result.returncode == 0, result.stderr.decode()
    return path


def openssl_verify(tmp_path: Path, pub_pem: Path, message: bytes, der: bytes) -> bool:
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig.der").write_bytes(der)
    result = openssl(
        "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", pub_pem,
        "-in", tmp_path / "msg", "-sigfile", tmp_path / "sig.der", "-pkeyopt", DISTID,
    )  # fmt: skip
    return result.returncode == 0 and b"Signature Verified Successfully" in result.stdout


def openssl_key(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    """A fresh openssl SM2 key: (pem path, 32-byte secret, 65-byte public point)."""
    pem = tmp_path / "key.pem"
    assert openssl("genpkey", "-algorithm", "SM2", "-out", pem).returncode == 0
    text = openssl("pkey", "-in", pem, "-text", "-noout").stdout.decode()
    priv = re.search(r"priv:\s*([0-9a-f:\s]+?)\s*pub:", text)
    pub = re.search(r"pub:\s*([0-9a-f:\s]+?)\s*ASN1 OID", text)
    assert priv and pub, text
    secret = int(re.sub(r"[:\s]", "", priv.group(1)), 16).to_bytes(32, "big")
    public = bytes.fromhex(re.sub(r"[:\s]", "", pub.group(1)))
    return pem, secret, public


def test_finchain_signature_verifies_in_openssl(tmp_path: Path) -> None:
    key = generate_private_key("sm2")
    pub_pem = write_public_pem(tmp_path / "pub.pem", key.public_key().data)
    for message in (MESSAGE, b"", b"x" * 1000):
        der = sm2.raw_to_der(key.sign(message))
        assert openssl_verify(tmp_path, pub_pem, message, der)
    # The check can fail: openssl refuses a signature of another message.
    assert not openssl_verify(tmp_path, pub_pem, MESSAGE + b"!", sm2.raw_to_der(key.sign(MESSAGE)))


def test_openssl_signature_verifies_in_finchain(tmp_path: Path) -> None:
    pem, _, public = openssl_key(tmp_path)
    (tmp_path / "msg").write_bytes(MESSAGE)
    for _ in range(3):
        result = openssl(
            "pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", pem,
            "-in", tmp_path / "msg", "-out", tmp_path / "sig.der", "-pkeyopt", DISTID,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        signature = sm2.der_to_raw((tmp_path / "sig.der").read_bytes())
        assert len(signature) == 64
        assert verify_signature("sm2", public, MESSAGE, signature)
        assert not verify_signature("sm2", public, MESSAGE + b"!", signature)


def test_openssl_key_imports_into_finchain(tmp_path: Path) -> None:
    pem, secret, public = openssl_key(tmp_path)
    key = private_key_from_bytes("sm2", secret)
    assert key.public_key().data == public
    assert public_key_from_bytes("sm2", public) == key.public_key()

    keystore = Keystore(tmp_path / "keys", scrypt_n=2**12)
    keystore.import_key("from-openssl", "sm2", secret, "correct horse")
    loaded = keystore.load("from-openssl", "correct horse")
    assert loaded.public_key().data == public

    # A signature by the imported key verifies against openssl's own public key file.
    pub_pem = tmp_path / "openssl-pub.pem"
    assert openssl("pkey", "-in", pem, "-pubout", "-out", pub_pem).returncode == 0
    assert openssl_verify(tmp_path, pub_pem, MESSAGE, sm2.raw_to_der(loaded.sign(MESSAGE)))
