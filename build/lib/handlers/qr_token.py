"""The QR code's own proof: a compact token, signed with Ed25519, in the path of the verification link.

`PUBLIC_URL/v/<token>` still opens the verification page in WeChat, and the token alone proves, with the
published public key and no server, what the certificate says. Layout (version 1, integers big-endian):

    offset  bytes  field
    0       1      version, 1
    1       4      key id: the first 4 bytes of SHA-256 of the raw 32-byte Ed25519 public key
    5       7      certificate number (16 decimal digits) as an unsigned integer
    12      2      issue date: days since 2000-01-01 (China time)
    14      3      issuing body: its region code (GB/T 2260) as an integer; 410000 for the province
    17      10     masked ID number: its first six and last four characters, ASCII
    27      10     facts digest: the first 10 bytes of the snapshot's SHA-256 content hash
    37      1      n, the length of the snapshot code
    38      n      snapshot code, ASCII
    38+n    …      masked name, UTF-8, up to the signature
    end-64  64     Ed25519 signature over every byte before it

The text is base32 (RFC 4648, upper case, no padding): it fits the QR code's alphanumeric mode, which packs
5.5 bits a character where base64 in byte mode packs 6 in 8, so a certificate's link stays at version 10 or lower.
"""

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = 1
FORMAT = "jxjy-qr/1"
EPOCH = date(2000, 1, 1)
PROVINCE_REGION = "410000"
DIGEST_BYTES = 10
_HEAD = struct.Struct(">B4s7sH3s10s10sB")
_SIGNATURE_BYTES = 64
MIN_TOKEN_CHARS = (_HEAD.size + _SIGNATURE_BYTES) * 8 // 5  # anything shorter is an old snapshot code


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:4].hex()


@dataclass(frozen=True)
class PublicKey:
    """A published verification key: the current one or a retired one, kept so old QR codes still verify."""

    kid: str
    key: Ed25519PublicKey
    is_test: bool = False
    retired: bool = False

    @classmethod
    def of(cls, key: Ed25519PublicKey, *, is_test: bool = False, retired: bool = False) -> "PublicKey":
        return cls(key_id(key), key, is_test, retired)

    def as_json(self) -> dict[str, object]:
        raw = self.key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {
            "kid": self.kid,
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
            "status": "retired" if self.retired else "current",
            "test": self.is_test,
        }

    @classmethod
    def from_json(cls, entry: dict) -> "PublicKey":
        raw = base64.urlsafe_b64decode(entry["x"] + "=" * (-len(entry["x"]) % 4))
        key = Ed25519PublicKey.from_public_bytes(raw)
        if key_id(key) != entry["kid"]:
            raise ValueError(f"key {entry['kid']}: its id does not match the key")
        return cls(entry["kid"], key, bool(entry.get("test")), entry.get("status") == "retired")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    is_test: bool = False

    @property
    def public(self) -> PublicKey:
        return PublicKey.of(self.private.public_key(), is_test=self.is_test)


@dataclass(frozen=True)
class Claims:
    """What the token proves: the facts printed on the certificate, masked as the verification page shows them."""

    cert_number: str
    name: str  # masked: 张*明
    id_number: str  # masked: 410105********1234
    issuer_region: str  # the issuing body's region code; 410000 the province
    issued_on: date
    snapshot: str
    digest: bytes  # the first DIGEST_BYTES of the snapshot's content hash


class TokenInvalid(Exception):
    """Not a token, or its signature does not verify."""


class UnknownKey(TokenInvalid):
    def __init__(self, kid: str) -> None:
        super().__init__(f"unknown key {kid}")
        self.kid = kid


def sign_token(claims: Claims, key: SigningKey) -> str:
    id_number = claims.id_number[:6] + claims.id_number[-4:]
    head = _HEAD.pack(
        VERSION,
        bytes.fromhex(key.public.kid),
        int(claims.cert_number).to_bytes(7, "big"),
        (claims.issued_on - EPOCH).days,
        int(claims.issuer_region).to_bytes(3, "big"),
        id_number.encode("ascii"),
        claims.digest[:DIGEST_BYTES],
        len(claims.snapshot),
    )
    body = head + claims.snapshot.encode("ascii") + claims.name.encode()
    return base64.b32encode(body + key.private.sign(body)).decode().rstrip("=")


def read_token(token: str, keys: dict[str, PublicKey]) -> tuple[Claims, PublicKey]:
    """The claims of a genuine token and the key that signed it; TokenInvalid (or UnknownKey) otherwise."""
    try:
        raw = base64.b32decode(token + "=" * (-len(token) % 8))
    except (binascii.Error, ValueError):
        raise TokenInvalid("not base32") from None
    if len(raw) < _HEAD.size + _SIGNATURE_BYTES:
        raise TokenInvalid("too short")
    body, signature = raw[:-_SIGNATURE_BYTES], raw[-_SIGNATURE_BYTES:]
    version, kid, number, days, region, id_number, digest, code_length = _HEAD.unpack_from(body)
    if version != VERSION:
        raise TokenInvalid(f"version {version}")
    key = keys.get(kid.hex())
    if key is None:
        raise UnknownKey(kid.hex())
    try:
        key.key.verify(signature, body)
    except InvalidSignature:
        raise TokenInvalid("bad signature") from None
    code_end = _HEAD.size + code_length
    try:
        snapshot, name = body[_HEAD.size : code_end].decode("ascii"), body[code_end:].decode()
        id_text = id_number.decode("ascii")
    except UnicodeDecodeError:
        raise TokenInvalid("bad text") from None  # signed by us, so never; but a key may leak
    claims = Claims(
        cert_number=f"{int.from_bytes(number, 'big'):016d}",
        name=name,
        id_number=id_text[:6] + "********" + id_text[6:],
        issuer_region=f"{int.from_bytes(region, 'big'):06d}",
        issued_on=EPOCH + timedelta(days=days),
        snapshot=snapshot,
        digest=digest,
    )
    return claims, key


def token_of_link(text: str) -> str:
    """The token in what a QR code holds: a whole verification link, or the token alone."""
    return text.strip().rstrip("/").rsplit("/", 1)[-1]
