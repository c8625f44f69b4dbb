"""GET /healthz reports the database and the broker."""

from django.test import override_settings


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_broker_is_degraded_not_down(client, db):
    from config.celery import app

    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        body = client.get("/healthz").json()
    finally:
        from django.conf import settings

        app.conf.broker_url = settings.CELERY_BROKER_URL
    assert body["status"] == "degraded" and body["broker"].startswith("unreachable")
