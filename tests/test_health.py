"""GET /healthz reports the database and the broker."""

from django.test import override_settings


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
def test_an_unreachable_broker_is_degraded_not_down(client, db):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["broker"].startswith("unreachable")
