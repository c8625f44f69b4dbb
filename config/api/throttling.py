"""Requests are throttled per caller (rate API_THROTTLE_RATE)."""

import logging

from django.conf import settings
from rest_framework import throttling

log = logging.getLogger(__name__)


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

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - the cache is down: serve rather than fail every request
            log.warning("cannot reach the throttle cache; request not counted", exc_info=True)
            return True
