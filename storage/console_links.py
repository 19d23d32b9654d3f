"""One-time sign-in links to the admin console, sent in the chat; no passwords."""

import hashlib
import secrets
from datetime import datetime, timedelta

from storage.audit import audit
from storage.errors import StorageRefusal
from storage.models import Admin, ConsoleLink


class LinkUnusable(StorageRefusal):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_console_link(admin: Admin, now: datetime, valid_for: timedelta) -> str:
    """A one-time sign-in token; only its hash is stored, so a database leak signs nobody in."""
    token = secrets.token_urlsafe(32)
    await ConsoleLink.create(token_hash=_token_hash(token), admin=admin, expires_at=now + valid_for)
    return token


async def console_link_usable(token: str, now: datetime) -> bool:
    """Whether a sign-in link could still be redeemed; reading it spends nothing."""
    return await ConsoleLink.filter(
        token_hash=_token_hash(token), used_at=None, expires_at__gt=now, admin__openid__isnull=False
    ).exists()


async def redeem_console_link(token: str, now: datetime) -> Admin:
    """Use a sign-in link once; reused, expired or unknown links are refused alike."""
    digest = _token_hash(token)
    # An admin removed since the link was made (their WeChat account unbound) is refused too.
    used = await ConsoleLink.filter(
        token_hash=digest, used_at=None, expires_at__gt=now, admin__openid__isnull=False
    ).update(used_at=now)
    if not used:
        raise LinkUnusable(token[:6])
    link = await ConsoleLink.get(token_hash=digest).prefetch_related("admin")
    await audit(f"admin:{link.admin_id}", "console_sign_in", f"admin:{link.admin_id}")
    return link.admin
