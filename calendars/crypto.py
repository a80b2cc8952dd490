"""App passwords at rest: Fernet (AES-128-CBC with HMAC-SHA256), keyed by
`CALENDAR_CREDENTIALS_KEY` or, when that is empty, by a key derived from `SECRET_KEY`.
Only `calendars.services` and the CalDAV client read a password back."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    configured = getattr(settings, "CALENDAR_CREDENTIALS_KEY", "")
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(b"smartbook.calendars.credentials:" + settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt(token: str) -> str:
    """The stored secret; empty when there is none or the key changed (the provider is
    asked for the password again through the connection's error)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
