"""Requests are throttled per caller (rate API_THROTTLE_RATE)."""

from django.conf import settings
from rest_framework import throttling


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """At most API_THROTTLE_RATE requests per credential (the principal's actor: one API key,
    one user), per address for requests without one."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read on every request, not at import, so that the rate can be set per deployment and test.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        principal = request.auth
        ident = principal.actor if principal is not None else f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
