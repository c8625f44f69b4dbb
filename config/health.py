"""GET /healthz: can this process reach its database and its broker, and are the apps' jobs
keeping up? Answers within about HEALTH_BOUND seconds whatever the broker does.

Apps add their own checks (`health_check_register`, from their AppConfig.ready): the ledger's
checkpoint signer, the roll-up queue. A check returns `Health`; a check that raises is
reported as failing, never as a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.http import require_GET
from redis.backoff import NoBackoff
from redis.retry import Retry

# Each probe of the broker gets this long to connect and this long to answer (a broker that
# accepts and never answers costs one of each), so /healthz stays well inside 2 s.
BROKER_TIMEOUT = 0.5


@dataclass(frozen=True)
class Health:
    """One component's state: `ok` False makes /healthz say degraded; `detail` is shown."""

    ok: bool
    detail: str


_checks: dict[str, Callable[[], Health]] = {}


def health_check_register(name: str, check: Callable[[], Health]) -> None:
    """Add a check shown as `name` in /healthz (registering a name again replaces it)."""
    _checks[name] = check


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised: that is the point of a health check
        return f"unreachable: {exc.__class__.__name__}"


def _broker() -> Health:
    url = settings.CELERY_BROKER_URL
    if not url:
        return Health(True, "eager (no broker configured)")
    if not url.startswith(("redis://", "rediss://")):
        return Health(True, "not checked (only Redis brokers are probed)")
    client = redis.Redis.from_url(
        url, socket_timeout=BROKER_TIMEOUT, socket_connect_timeout=BROKER_TIMEOUT, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
        return Health(True, "ok")
    except redis.RedisError as exc:
        return Health(False, f"unreachable: {exc.__class__.__name__}: {exc}")
    finally:
        client.close()


def _run(check: Callable[[], Health]) -> Health:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - see _database
        return Health(False, f"check failed: {exc.__class__.__name__}: {exc}")


@require_GET
def healthz(request):
    """200 when the database answers (a broker outage or a refused checkpoint: "degraded"),
    503 when it does not ("down")."""
    database = _database()
    body: dict[str, str] = {"database": database}
    healthy = True
    components = {"broker": _broker, **_checks} if database == "ok" else {"broker": _broker}
    for name, check in components.items():
        with translation.override("en-gb"):  # for programs: the same words whatever the reader's
            health = _run(check)
        body[name] = health.detail
        healthy = healthy and health.ok
    status = "down" if database != "ok" else "ok" if healthy else "degraded"
    return JsonResponse({"status": status, **body}, status=503 if status == "down" else 200)
