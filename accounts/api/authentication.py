"""How the API knows who calls: a partner system's bearer key, or a staff member's session.

Each class returns `(user, Principal)`: DRF's `request.auth` is the principal (see
`accounts.principal`), whatever the credential.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from accounts import throttle
from accounts.models import ApiKey
from accounts.principal import Principal
from accounts.services import KEY_SCHEME, api_key_authenticate

REALM = "remelt"


class PartnerSystem:
    """`request.user` for a request made by a system rather than a person (an API key): it is
    authenticated, is no one's account, and names itself by the principal's actor string."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, principal: Principal) -> None:
        self.organisation = principal.organisation
        self.username = principal.actor

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer rmk_<prefix>_<secret>`; an unknown or revoked key is a 401.

    Failures are counted per source address and per key prefix (`accounts.throttle`). An
    address at its limit gets a 429 before its key is even looked up. A prefix at its limit
    gets a 429 for wrong secrets only: prefixes are public (every entry's header names
    `apikey:<prefix>`), so anyone could otherwise lock a partner out of its own key.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts:
            return None
        if parts[0].lower() != self.keyword:
            # No key is looked up: nothing to count, nothing to learn.
            if parts[0].startswith(f"{KEY_SCHEME}_".encode()):
                raise exceptions.AuthenticationFailed(
                    "The key needs `Bearer ` before it: `Authorization: Bearer <key>`."
                )
            raise exceptions.AuthenticationFailed(
                "The API takes keys as `Authorization: Bearer <key>`; this header has another scheme."
            )
        token = parts[1].decode("ascii", "replace") if len(parts) == 2 else ""
        counters = throttle.api_key_counters(request, _prefix(token))
        over = throttle.throttled(request, counters)
        if "auth-address" in over:
            raise exceptions.Throttled(
                over["auth-address"], "Too many failed authentications from your address."
            )
        api_key = api_key_authenticate(token) if token.isascii() else None
        if api_key is None:
            throttle.failure_record(request, counters)
            if over:
                raise exceptions.Throttled(
                    max(over.values()), "Too many failed authentications with this key."
                )
            if len(parts) != 2:
                raise exceptions.AuthenticationFailed("Give the key as `Authorization: Bearer <key>`.")
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        principal = Principal.of_api_key(api_key)
        return PartnerSystem(principal), principal

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to requests without credentials.
        return f'Bearer realm="{REALM}"'


def _prefix(token: str) -> str | None:
    """The key prefix a token names, if it has the shape of one (counted even if unknown)."""
    scheme, _, rest = token.partition("_")
    prefix = rest.partition("_")[0]
    if scheme == KEY_SCHEME and len(prefix) == ApiKey.PREFIX_LENGTH and prefix.isalnum():
        return prefix.lower()
    return None


class StaffSessionAuthentication(SessionAuthentication):
    """Staff signed in to the admin may use the API from the browser; other sessions are ignored.

    Unsafe methods need the CSRF token, as for any form in the admin.
    """

    def authenticate(self, request):
        user = getattr(request._request, "user", None)
        if user is None or not user.is_active or not user.is_staff:
            return None
        self.enforce_csrf(request)
        return user, Principal.of_user(user)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-organisation API key, `rmk_<prefix>_<secret>`, shown once when issued.",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = StaffSessionAuthentication
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
