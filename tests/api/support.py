"""Helpers of the API tests: posting events and checking problem+json answers."""

from datetime import timedelta

from django.utils import timezone

TRUCK = {"distance_km": "120", "mode": "truck"}


def post(client, entry_type: str, data: dict, *, occurred_at=None, **headers):
    """POST one event; returns the response."""
    body = event(entry_type, data, occurred_at=occurred_at)
    return client.post("/api/v1/events/", body, format="json", headers=headers)


def event(entry_type: str, data: dict, *, occurred_at=None) -> dict:
    when = occurred_at or timezone.now() - timedelta(minutes=5)
    return {"type": entry_type, "occurred_at": when.isoformat(), "data": data}


def scrap(
    code: str,
    mass: str = "1000",
    supplier: str = "scrapco",
    category: str = "post_consumer",
    *,
    supplier_name: str = "",
) -> dict:
    """A receipt from `supplier` (an organisation's slug), or from `supplier_name`, one not on remelt."""
    return {
        "code": code,
        **({"supplier_name": supplier_name} if supplier_name else {"supplier": supplier}),
        "grade": "wheels",
        "category": category,
        "mass_kg": mass,
        "transport": TRUCK,
    }


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is an RFC 9457 problem with this status (and code); returns its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "errors"} <= body.keys(), body
    assert body["status"] == status
    assert body["type"] == f"urn:remelt:problem:{body['code']}"
    if code is not None:
        assert body["code"] == code, body
    return body
