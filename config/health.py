"""GET /healthz: can this process reach its database and its broker?"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised: that is the point of a health check
        return f"unreachable: {exc.__class__.__name__}"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "eager (no broker configured)"
    from config.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - see above
        return f"unreachable: {exc.__class__.__name__}"


@require_GET
def healthz(request):
    """200 when the database answers (a broker outage only delays roll-ups: "degraded"), else 503."""
    database, broker = _database(), _broker()
    status = "ok" if database == "ok" and not broker.startswith("unreachable") else "degraded"
    if database != "ok":
        status = "down"
    return JsonResponse(
        {"status": status, "database": database, "broker": broker}, status=503 if status == "down" else 200
    )
