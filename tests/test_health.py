"""GET /healthz reports the database and the broker."""

from django.conf import settings
from django.test import override_settings

from tests.integration.test_celery_worker import CLOSED_PORT_BROKER, point_app_at


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_an_unreachable_broker_is_degraded_not_down(client, db):
    configured = settings.CELERY_BROKER_URL
    point_app_at(CLOSED_PORT_BROKER)
    try:
        with override_settings(CELERY_BROKER_URL=CLOSED_PORT_BROKER):
            response = client.get("/healthz")
    finally:
        point_app_at(configured)
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("unreachable")
