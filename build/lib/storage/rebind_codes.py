"""One-time rebinding codes: after an admin unbinds a lost WeChat account, the person binds a new one with the
name, the ID number and this code, which the admin hands over in person or by phone.

Without it, anyone who knew an ID number could guess the masked name's missing character and take the record.
Only a keyed hash is stored (HMAC with the service's secret, over the person and the code), so a copy of the
database alone does not give the codes away, even by trying all of them.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.admins import INVITE_ALPHABET
from storage.models import RebindCode

CODE_LENGTH = 8  # 32^8: with attempts limited per hour, out of reach of guessing within its few days


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once, to the admin who issued it
    expires_at: datetime


def normalise_code(text: str) -> str:
    """As people type it: any case, with spaces or hyphens."""
    return "".join(ch for ch in text.upper() if ch not in " -\u3000")


def _code_hash(person_id: int, code: str, pepper: str) -> str:
    message = f"{person_id}:{normalise_code(code)}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


async def replace_rebind_code(
    person_id: int, admin_id: int, now: datetime, valid_for: timedelta, pepper: str
) -> IssuedCode:
    """A fresh code for the person; any earlier one stops working. Call inside the transaction of the change."""
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(CODE_LENGTH))
    values = {
        "code_hash": _code_hash(person_id, code, pepper),
        "issued_by_id": admin_id,
        "expires_at": now + valid_for,
        "used_at": None,
        "created_at": now,
    }
    await RebindCode.update_or_create(values, person_id=person_id)
    return IssuedCode(code, now + valid_for)


async def spend_rebind_code(person_id: int, code: str, now: datetime, pepper: str) -> bool:
    """Use the person's code once; a wrong, used or expired code is refused alike (False)."""
    spent = await RebindCode.filter(
        person_id=person_id, code_hash=_code_hash(person_id, code, pepper), used_at=None, expires_at__gt=now
    ).update(used_at=now)
    return bool(spent)


async def live_rebind_code_expiry(person_id: int, now: datetime) -> datetime | None:
    """When the person's unused code expires, if they have one that still works."""
    live = await RebindCode.get_or_none(person_id=person_id, used_at=None, expires_at__gt=now)
    return live.expires_at if live else None
