"""Requests are throttled per API key (rate API_THROTTLE_RATE)."""

from django.conf import settings
from rest_framework import throttling

from accounts.models import ApiKey


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """At most API_THROTTLE_RATE requests per API key (per user for sessions, per address else)."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read on every request, not at import, so that the rate can be set per deployment and test.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
