"""Action Authenticate and OpenID discovery: the conformance tool's cases 1, 2, 18 and 19,
RFC 6749 §4.4 and §5.2, expiring tokens, revoked clients."""

import pytest
from django.utils import timezone

from pact.models import AccessToken
from pact.services import pact_client_revoke
from tests.pact.conftest import Pact, basic

TOKEN = "/pact/auth/token"
FORM = "application/x-www-form-urlencoded"


def token_request(
    authorization: str | None, body: str = "grant_type=client_credentials", content_type: str = FORM
):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Pact().client.post(TOKEN, body, content_type=content_type, secure=True, **headers)


def assert_oauth_error(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error and body["error_description"], body
    assert "access_token" not in body
    assert response["Cache-Control"] == "no-store"
    return body


def test_case_1_a_token_for_good_credentials(pact_clients):
    issued = pact_clients["autofab"]
    response = token_request(basic(issued.client.client_id, issued.client_secret))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    # Only the token's hash is kept.
    stored = AccessToken.objects.get(client=issued.client)
    assert body["access_token"] not in stored.token_sha256
    assert Pact(body["access_token"]).get("/pact/3/footprints").status_code == 200


def test_case_2_bad_credentials_are_invalid_client(pact_clients):
    issued = pact_clients["autofab"]
    response = token_request(basic("pc_nobody", "nothing"))
    assert_oauth_error(response, 401, "invalid_client")
    assert response["WWW-Authenticate"].startswith("Basic")
    assert_oauth_error(token_request(basic(issued.client.client_id, "wrong")), 401, "invalid_client")
    assert_oauth_error(token_request(None), 401, "invalid_client")
    assert_oauth_error(token_request("Basic !!!notbase64"), 401, "invalid_client")
    assert not AccessToken.objects.exists()


def test_credentials_in_the_body_are_accepted_too(pact_clients):
    issued = pact_clients["autofab"]
    client_id, secret = issued.client.client_id, issued.client_secret
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    assert token_request(None, body).status_code == 200
    bad = f"grant_type=client_credentials&client_id={issued.client.client_id}&client_secret=nope"
    assert_oauth_error(token_request(None, bad), 400, "invalid_client")


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ("", FORM, "invalid_request"),
        ("grant_type=password", FORM, "unsupported_grant_type"),
        ("grant_type=client_credentials&scope=footprint:delete", FORM, "invalid_scope"),
        ('{"grant_type": "client_credentials"}', "application/json", "invalid_request"),
    ],
)
def test_rfc_6749_errors(pact_clients, body, content_type, error):
    issued = pact_clients["autofab"]
    response = token_request(basic(issued.client.client_id, issued.client_secret), body, content_type)
    assert_oauth_error(response, 400, error)


def test_a_scope_within_pact_s_is_granted(pact_clients):
    issued = pact_clients["autofab"]
    body = "grant_type=client_credentials&scope=footprint:list"
    assert token_request(basic(issued.client.client_id, issued.client_secret), body).status_code == 200


def test_credentials_in_header_and_body_at_once_are_refused(pact_clients):
    issued = pact_clients["autofab"]
    body = f"grant_type=client_credentials&client_id={issued.client.client_id}"
    response = token_request(basic(issued.client.client_id, issued.client_secret), body)
    assert_oauth_error(response, 400, "invalid_request")


def test_a_revoked_client_gets_no_token_and_its_tokens_stop(pact_clients):
    issued = pact_clients["autofab"]
    token = token_request(basic(issued.client.client_id, issued.client_secret)).json()["access_token"]
    pact_client_revoke(client=issued.client)
    assert_oauth_error(
        token_request(basic(issued.client.client_id, issued.client_secret)), 401, "invalid_client"
    )
    assert Pact(token).get("/pact/3/footprints").status_code == 401


def test_tokens_expire(pact_clients, settings, monkeypatch):
    settings.PACT_TOKEN_SECONDS = 60
    issued = pact_clients["autofab"]
    body = token_request(basic(issued.client.client_id, issued.client_secret)).json()
    assert body["expires_in"] == 60
    later = timezone.now() + timezone.timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = Pact(body["access_token"]).get("/pact/3/footprints")
    assert response.status_code == 401 and response.json()["code"] == "TokenExpired"


def test_case_18_and_19_openid_discovery_names_the_token_endpoint(pact_clients):
    response = Pact().get("/pact/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    assert document["token_endpoint"] == "https://testserver/pact/auth/token"
    assert "client_credentials" in document["grant_types_supported"]
    endpoint = document["token_endpoint"].removeprefix("https://testserver")
    issued = pact_clients["autofab"]
    good = Pact().client.post(
        endpoint,
        "grant_type=client_credentials",
        content_type=FORM,
        secure=True,
        HTTP_AUTHORIZATION=basic(issued.client.client_id, issued.client_secret),
    )
    assert good.status_code == 200
    assert token_request(basic("someone", "else")).status_code in (400, 401)
