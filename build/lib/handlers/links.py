"""Links that carry rights: the holder's certificate link (full personal data, so signed and expiring) and
the verification code in the QR (short, signed, not enumerable)."""

import base64
import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

HOLDER_LINK_DAYS = 7
_CODE_RANDOM_BYTES = 6  # 48 bits: guessing a live code is hopeless
_CODE_MAC_BYTES = 4  # a forged or mistyped code is refused before the database is asked


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"snapshot:{body}".encode(), hashlib.sha256).digest()
    return _b32(digest[:_CODE_MAC_BYTES])


def new_snapshot_code(secret: str) -> str:
    body = _b32(secrets.token_bytes(_CODE_RANDOM_BYTES))
    return body + _mac(secret, body)


def is_signed_code(code: str, secret: str) -> bool:
    body, mac = code[:-7], code[-7:]
    return len(code) == 17 and code.isascii() and hmac.compare_digest(_mac(secret, body), mac)


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def holder_token(snapshot_id: int, secret: str) -> str:
    return URLSafeTimedSerializer(secret, salt="holder-certificate").dumps(snapshot_id)


def snapshot_of_holder_token(token: str, secret: str, max_age_days: int = HOLDER_LINK_DAYS) -> int:
    serializer = URLSafeTimedSerializer(secret, salt="holder-certificate")
    try:
        return int(serializer.loads(token, max_age=max_age_days * 86400))
    except SignatureExpired:
        raise LinkExpired from None
    except (BadSignature, ValueError, TypeError):
        raise LinkInvalid from None
