"""HTTPS only: the conformance tool's cases 9, 10, 11 and 17. Plain HTTP is refused before
anything runs (no token issued, no footprint shown, no event taken), and not redirected;
behind a TLS-terminating proxy SECURE_PROXY_SSL_HEADER says the request was HTTPS."""

import json

import pytest
from rest_framework.test import APIClient

from pact.models import AccessToken, InboundEvent, ProductFootprint
from tests.pact.conftest import basic

PUBLISHED_EVENT = {
    "type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3",
    "specversion": "1.0",
    "id": "test-17",
    "source": "https://webhook.example.com",
    "time": "2026-11-19T13:30:00Z",
    "data": {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]},
}


def refused(response) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "AccessDenied"
    assert "data" not in response.json() and "access_token" not in response.json()
    assert "Location" not in response


def test_case_9_no_token_over_http(pact_clients, settings):
    settings.SECURE_SSL_REDIRECT = True  # as in production: PACT is exempt, it refuses instead
    issued = pact_clients["autofab"]
    response = APIClient().post(
        "/pact/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic(issued.client.client_id, issued.client_secret),
    )
    refused(response)
    assert not AccessToken.objects.exists()


def test_cases_10_11_no_footprints_over_http(published, pact_for):
    pact = pact_for("autofab")
    pf_id = ProductFootprint.objects.first().id
    for path in (
        "/pact/3/footprints",
        f"/pact/3/footprints/{pf_id}",
        "/pact/.well-known/openid-configuration",
    ):
        refused(pact.client.get(path))


def test_case_17_no_events_over_http(published, pact_for):
    pact = pact_for("autofab")
    response = pact.client.post(
        "/pact/3/events", json.dumps(PUBLISHED_EVENT), content_type="application/cloudevents+json"
    )
    refused(response)
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(("trusted", "status"), [(True, 200), (False, 403)])
def test_the_proxy_header_counts_only_when_configured(published, pact_for, settings, trusted, status):
    if trusted:
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    else:
        settings.SECURE_PROXY_SSL_HEADER = None
    response = pact_for("autofab").client.get("/pact/3/footprints", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == status
