"""Public keys as DID documents spell them: Multikey and JsonWebKey.

finchain.crypto holds keys as ``(scheme, bytes)`` (ed25519 32 bytes, sm2
65-byte ``04||x||y``, secp256k1 33-byte compressed). A DID document carries
them either as a ``Multikey`` (``publicKeyMultibase``: base58btc of a
multicodec prefix and the key) or a ``JsonWebKey`` (``publicKeyJwk``).
Ed25519 keys are published as Multikey, SM2 and secp256k1 as JWK, because
that is what other verifiers of those curves expect.

Every parser here is strict and ends by loading the key through
finchain.crypto, so a key that comes out of this module is a valid point of
its curve in finchain's canonical byte form; anything else raises a
registered ``vc`` error.

Example::

    method = verification_method("did:finchain:main:000000000142", "k1", "sm2", key.data)
    scheme, public_key = public_key_of(method)
"""

from __future__ import annotations

from typing import Any

import coincurve

from finchain.crypto import SCHEMES, public_key_from_bytes
from finchain.crypto import sm2 as sm2_curve
from finchain.errors import FinchainError
from finchain.formats.did import parse_did, verification_method_id
from finchain.formats.errors import ErrMalformedKey, ErrUnsupportedKey
from finchain.formats.multibase import (
    decode_base58btc,
    decode_base64url,
    encode_base58btc,
    encode_base64url,
)

MULTIKEY = "Multikey"
JSON_WEB_KEY = "JsonWebKey"

# Multicodec table: ed25519-pub 0xed, secp256k1-pub 0xe7, sm2-pub 0x1206, as
# unsigned varints. secp256k1 and sm2 Multikeys carry the compressed point.
_MULTICODEC: dict[str, bytes] = {
    "ed25519": b"\xed\x01",
    "secp256k1": b"\xe7\x01",
    "sm2": b"\x86\x24",
}
_MULTIKEY_SIZE = {"ed25519": 32, "secp256k1": 33, "sm2": 33}
_MULTIKEY_MAX_CHARS = 64

_JWK_CURVES = {
    "ed25519": ("OKP", "Ed25519"),
    "sm2": ("EC", "SM2"),
    "secp256k1": ("EC", "secp256k1"),
}
_JWK_OPTIONAL = frozenset({"kid", "alg", "use", "key_ops"})
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
_COORDINATE = 32
_COORDINATE_CHARS = 43  # base64url of 32 bytes, unpadded


def to_multikey(scheme: str, public_key: bytes) -> str:
    """The ``publicKeyMultibase`` of a finchain public key.

    Parameters:
        scheme: ``ed25519``, ``sm2`` or ``secp256k1``.
        public_key: the key in finchain.crypto's canonical bytes.

    Raises ``ErrUnsupportedKey`` or ``ErrMalformedKey``.
    """
    data = _load(scheme, public_key)
    if scheme == "sm2":
        data = _compress_sm2(data)
    return encode_base58btc(_MULTICODEC[scheme] + data)


def from_multikey(text: object) -> tuple[str, bytes]:
    """``(scheme, canonical public key bytes)`` of a ``publicKeyMultibase`` value.

    Raises ``ErrMalformedMultibase``, ``ErrUnsupportedKey`` (another multicodec)
    or ``ErrMalformedKey`` (wrong length, not a curve point).
    """
    raw = decode_base58btc(text, max_chars=_MULTIKEY_MAX_CHARS)
    for scheme, prefix in _MULTICODEC.items():
        if raw.startswith(prefix):
            data = raw[len(prefix) :]
            if len(data) != _MULTIKEY_SIZE[scheme]:
                raise ErrMalformedKey(
                    f"a {scheme} Multikey holds {_MULTIKEY_SIZE[scheme]} key bytes, got {len(data)}"
                )
            if scheme == "sm2":
                data = _decompress_sm2(data)
            return scheme, _load(scheme, data)
    raise ErrUnsupportedKey(
        f"Multikey has multicodec prefix {raw[:2].hex() or 'none'}: "
        "only ed25519-pub (ed01), secp256k1-pub (e701) and sm2-pub (8624) are accepted"
    )


def to_jwk(scheme: str, public_key: bytes) -> dict[str, str]:
    """The public JWK of a finchain public key (RFC 7517/8037; crv ``SM2`` for SM2).

    Raises ``ErrUnsupportedKey`` or ``ErrMalformedKey``.
    """
    data = _load(scheme, public_key)
    kty, crv = _JWK_CURVES[scheme]
    if scheme == "ed25519":
        return {"kty": kty, "crv": crv, "x": encode_base64url(data)[1:]}
    if scheme == "secp256k1":
        data = coincurve.PublicKey(data).format(compressed=False)
    return {
        "kty": kty,
        "crv": crv,
        "x": encode_base64url(data[1:33])[1:],
        "y": encode_base64url(data[33:65])[1:],
    }


def from_jwk(jwk: object) -> tuple[str, bytes]:
    """``(scheme, canonical public key bytes)`` of a public JWK.

    Accepts ``kty``/``crv``/``x``/``y`` and the optional ``kid``, ``alg``,
    ``use``, ``key_ops``; refuses any private member, unknown member, or
    coordinate that is not exactly 32 bytes of unpadded base64url.

    Raises ``ErrMalformedKey`` or ``ErrUnsupportedKey``.
    """
    if not isinstance(jwk, dict) or not all(isinstance(k, str) for k in jwk):
        raise ErrMalformedKey("a JWK must be a JSON object")
    private = _PRIVATE_JWK_MEMBERS & jwk.keys()
    if private:
        raise ErrMalformedKey(
            f"JWK contains private member(s) {sorted(private)}: publish only the public key, "
            "and treat this private key as compromised"
        )
    pair = (jwk.get("kty"), jwk.get("crv"))
    scheme = next((s for s, kc in _JWK_CURVES.items() if kc == pair), None)
    if scheme is None:
        raise ErrUnsupportedKey(
            f"unsupported JWK kty/crv {pair!r}: use OKP/Ed25519, EC/SM2 or EC/secp256k1"
        )
    coordinates = ("x",) if scheme == "ed25519" else ("x", "y")
    unknown = jwk.keys() - {"kty", "crv", *coordinates} - _JWK_OPTIONAL
    if unknown:
        raise ErrMalformedKey(f"JWK has unexpected member(s) {sorted(unknown)}")
    parts = [_coordinate(jwk, name) for name in coordinates]
    if scheme == "ed25519":
        return scheme, _load(scheme, parts[0])
    point = b"\x04" + parts[0] + parts[1]
    if scheme == "secp256k1":
        try:
            point = coincurve.PublicKey(point).format(compressed=True)
        except ValueError:
            raise ErrMalformedKey("secp256k1 JWK is not a point of the curve") from None
    return scheme, _load(scheme, point)


def verification_method(
    controller_did: str, key_id: str, scheme: str, public_key: bytes
) -> dict[str, Any]:
    """A DID document verification method for a key: Multikey for ed25519, JsonWebKey otherwise.

    Parameters:
        controller_did: a ``did:finchain`` DID; also the method's controller.
        key_id: the fragment, ``[a-z0-9][a-z0-9_.-]{0,31}``.
        scheme, public_key: the key as finchain.crypto holds it.

    Raises ``ErrInvalidDid``, ``ErrUnsupportedKey`` or ``ErrMalformedKey``.
    """
    parse_did(controller_did)
    method: dict[str, Any] = {
        "id": verification_method_id(controller_did, key_id),
        "controller": controller_did,
    }
    if scheme == "ed25519":
        method["type"] = MULTIKEY
        method["publicKeyMultibase"] = to_multikey(scheme, public_key)
    else:
        method["type"] = JSON_WEB_KEY
        method["publicKeyJwk"] = to_jwk(scheme, public_key)
    return method


def public_key_of(method: object) -> tuple[str, bytes]:
    """``(scheme, canonical public key bytes)`` of a verification method.

    The method must be a ``Multikey`` with only ``publicKeyMultibase`` or a
    ``JsonWebKey`` with only ``publicKeyJwk``; anything else raises
    ``ErrMalformedKey`` or ``ErrUnsupportedKey`` (never another exception).
    """
    if not isinstance(method, dict):
        raise ErrMalformedKey("a verification method must be a JSON object")
    kind = method.get("type")
    has_multibase = "publicKeyMultibase" in method
    has_jwk = "publicKeyJwk" in method
    if kind == MULTIKEY and has_multibase and not has_jwk:
        return from_multikey(method["publicKeyMultibase"])
    if kind == JSON_WEB_KEY and has_jwk and not has_multibase:
        return from_jwk(method["publicKeyJwk"])
    if kind not in (MULTIKEY, JSON_WEB_KEY):
        raise ErrUnsupportedKey(
            f"verification method type {str(kind)[:40]!r} is not supported: "
            "use Multikey or JsonWebKey"
        )
    raise ErrMalformedKey(
        "a Multikey needs exactly publicKeyMultibase and a JsonWebKey exactly publicKeyJwk"
    )


def _load(scheme: object, public_key: object) -> bytes:
    if scheme not in SCHEMES or not isinstance(scheme, str):
        raise ErrUnsupportedKey(f"unknown key scheme {str(scheme)[:40]!r}: use one of {SCHEMES}")
    if not isinstance(public_key, bytes):
        raise ErrMalformedKey(f"a public key must be bytes, got a {type(public_key).__name__}")
    try:
        return public_key_from_bytes(scheme, public_key).data
    except FinchainError as exc:
        raise ErrMalformedKey(exc.message) from None


def _coordinate(jwk: dict[str, object], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or len(value) != _COORDINATE_CHARS:
        raise ErrMalformedKey(
            f"JWK member {name!r} must be 32 bytes of unpadded base64url "
            f"({_COORDINATE_CHARS} characters)"
        )
    return decode_base64url("u" + value, max_chars=_COORDINATE_CHARS + 1)


def _compress_sm2(point: bytes) -> bytes:
    return bytes((2 + (point[64] & 1),)) + point[1:33]


def _decompress_sm2(data: bytes) -> bytes:
    """``04||x||y`` of a compressed SM2 point; the curve's p is 3 mod 4, so y = rhs^((p+1)/4)."""
    if data[0] not in (2, 3):
        raise ErrMalformedKey("a compressed sm2 point starts with 02 or 03")
    x = int.from_bytes(data[1:], "big")
    p = sm2_curve.P
    if x >= p:
        raise ErrMalformedKey("sm2 point x-coordinate is not a field element")
    rhs = (x * x * x + sm2_curve.A * x + sm2_curve.B) % p
    y = pow(rhs, (p + 1) // 4, p)
    if y * y % p != rhs:
        raise ErrMalformedKey("sm2 Multikey is not a point of the SM2 curve")
    if y & 1 != data[0] & 1:
        y = p - y
    return b"\x04" + data[1:] + y.to_bytes(_COORDINATE, "big")
