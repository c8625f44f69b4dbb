"""Credentials remelt keeps to call other PACT hosts, encrypted at rest (Fernet, from
`cryptography`) with PACT_CREDENTIALS_KEY (or PACT_CREDENTIALS_KEY_FILE).

With DEBUG on and no key set, a key is derived from SECRET_KEY (development only); with DEBUG
off, storing or reading a credential without the key is refused."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ledger.errors import DomainError


def _fernet() -> Fernet:
    key = settings.PACT_CREDENTIALS_KEY
    if not key:
        if not settings.DEBUG:
            raise ImproperlyConfigured("PACT_CREDENTIALS_KEY must be set to store PACT credentials")
        key = base64.urlsafe_b64encode(
            hashlib.sha256(f"pact-credentials:{settings.SECRET_KEY}".encode()).digest()
        )
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "PACT_CREDENTIALS_KEY is not a Fernet key (32 bytes, url-safe base64; make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
        ) from None


def credential_seal(secret: str) -> str:
    """The secret, encrypted for storage."""
    return _fernet().encrypt(secret.encode()).decode("ascii")


def credential_open(sealed: str) -> str:
    """A stored secret, decrypted; a DomainError if it was sealed with another key."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise DomainError(
            "credentials_unreadable", "a stored PACT credential cannot be decrypted with PACT_CREDENTIALS_KEY"
        ) from None
