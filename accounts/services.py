"""Writes for organisations, users and API keys."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, Organisation, Role, User
from ledger.errors import DomainError

KEY_SCHEME = "rmk"


@dataclass(frozen=True)
class IssuedKey:
    """A key as issued: `token` is shown once and never stored."""

    api_key: ApiKey
    token: str


def organisation_create(
    *, slug: str, name: str, roles: list[str], gs1_company_prefix: str = ""
) -> Organisation:
    """Register a party of the closed loop."""
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        raise DomainError("invalid", f"unknown role(s): {', '.join(unknown)}", field="roles", status=400)
    if not roles:
        raise DomainError("invalid", "an organisation needs at least one role", field="roles", status=400)
    if Organisation.objects.filter(slug=slug).exists():
        raise DomainError("duplicate", f"organisation {slug!r} exists already", field="slug", status=409)
    _check_gs1_company_prefix(gs1_company_prefix, organisation=None)
    return Organisation.objects.create(
        slug=slug, name=name, roles=sorted(set(roles)), gs1_company_prefix=gs1_company_prefix
    )


def organisation_gs1_prefix_set(*, organisation: Organisation, prefix: str) -> Organisation:
    """Register (or with "" clear) the GS1 company prefix the organisation's own identifiers use.

    Lots and serials captured before keep the identifiers they were made with."""
    _check_gs1_company_prefix(prefix, organisation=organisation)
    organisation.gs1_company_prefix = prefix
    organisation.save(update_fields=["gs1_company_prefix"])
    return organisation


def _check_gs1_company_prefix(prefix: str, *, organisation: Organisation | None) -> None:
    if not prefix:
        return
    if not (prefix.isascii() and prefix.isdigit() and 6 <= len(prefix) <= 12):
        raise DomainError("invalid", "a GS1 company prefix is 6 to 12 digits", field="gs1_company_prefix")
    holders = Organisation.objects.filter(gs1_company_prefix=prefix)
    if organisation is not None:
        holders = holders.exclude(pk=organisation.pk)
    if holders.exists():
        raise DomainError(
            "duplicate",
            f"GS1 company prefix {prefix} belongs to another organisation",
            field="gs1_company_prefix",
            status=409,
        )


def user_create(
    *, username: str, organisation: Organisation | None, password: str | None, is_staff: bool = False
) -> User:
    """Add a person to an organisation; staff may use the admin."""
    if User.objects.filter(username=username).exists():
        raise DomainError("duplicate", f"user {username!r} exists already", field="username", status=409)
    user = User(username=username, organisation=organisation, is_staff=is_staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def api_key_issue(*, organisation: Organisation, name: str, created_by: User | None = None) -> IssuedKey:
    """Create a key and return its token, which is shown to the caller this one time only."""
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(ApiKey.PREFIX_LENGTH // 2)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        secret = secrets.token_urlsafe(32)
        api_key = ApiKey.objects.create(
            organisation=organisation,
            name=name,
            prefix=prefix,
            secret_sha256=ApiKey.digest(secret),
            created_by=created_by,
        )
    return IssuedKey(api_key=api_key, token=f"{KEY_SCHEME}_{prefix}_{secret}")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good; requests with it are refused from now on."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(token: str) -> ApiKey | None:
    """The active key a bearer token belongs to, or None; records when it was last used."""
    scheme, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or len(prefix) != ApiKey.PREFIX_LENGTH or not secret:
        return None
    api_key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    if api_key is None or not api_key.is_active or not api_key.matches(secret):
        return None
    now = timezone.now()
    # A conditional update keeps this to one cheap write a minute per key, not one per request.
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
