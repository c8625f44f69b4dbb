"""Failed authentication is throttled: wrong API keys per source address and per key prefix,
failed sign-ins per source address and per username.

The counters are django-ratelimit's (fixed windows with a per-key offset, one atomic increment
per failure) in the cache RATELIMIT_USE_CACHE: Redis in production (CACHE_URL), so every web
process counts together; local memory in the embedded default. Only failures are counted,
and an attempt is checked before anything is verified: a throttled sign-in never runs the
password hasher (about half a second of CPU each), a throttled key is never looked up.

A cache that cannot be reached fails open (logged): an outage of Redis must not lock every
partner out.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counter:
    """One failure counter: its group, the rate setting it obeys, and whose failures it counts."""

    group: str
    rate_setting: str
    value: str  # the address, key prefix or username counted


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the address the
    outermost of them saw (X-Forwarded-For, counted from the right: the rest can be forged)."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def api_key_counters(request, prefix: str | None) -> list[Counter]:
    counters = [Counter("auth-address", "AUTH_FAILURES_PER_ADDRESS", client_address(request))]
    if prefix:
        counters.append(Counter("auth-key", "AUTH_FAILURES_PER_KEY", prefix))
    return counters


def login_counters(request, username: str) -> list[Counter]:
    return [
        Counter("login-address", "LOGIN_FAILURES_PER_ADDRESS", client_address(request)),
        Counter("login-user", "LOGIN_FAILURES_PER_USERNAME", username.casefold()),
    ]


def throttled(request, counters: list[Counter]) -> dict[str, int]:
    """The counters at their limit, by group, with the seconds until each window ends."""
    over = {}
    for counter in counters:
        usage = _usage(request, counter, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]:
            over[counter.group] = max(1, usage["time_left"])
    return over


def failure_record(request, counters: list[Counter]) -> None:
    """Count one failed attempt on each counter."""
    for counter in counters:
        _usage(request, counter, increment=True)


def _usage(request, counter: Counter, *, increment: bool) -> dict | None:
    rate = getattr(settings, counter.rate_setting)
    if not rate:
        return None  # this limit is switched off
    try:
        usage = get_usage(
            request,
            group=counter.group,
            key=lambda _group, _request: counter.value,
            rate=rate,
            increment=increment,
        )
    except Exception:  # noqa: BLE001 - the cache is down: fail open, as RATELIMIT_FAIL_OPEN says
        log.warning("cannot reach the throttle cache; %s is not counted", counter.group, exc_info=True)
        return None
    return usage  # None when the cache did not answer (RATELIMIT_FAIL_OPEN)
