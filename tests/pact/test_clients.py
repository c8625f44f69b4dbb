"""PACT clients: made and revoked by command and in the admin, secrets hashed, the credentials
for a client's own host kept encrypted."""

import io
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.services import user_create
from config.env import env_secret
from pact.credentials import credential_open
from pact.models import AccessToken, PactClient
from pact.services import access_token_issue, pact_client_authenticate
from tests.pact.conftest import TEST_CREDENTIALS_KEY, Pact


def test_create_pact_client_prints_the_two_lines_and_stores_only_a_hash(autofab):
    out = io.StringIO()
    call_command("create_pact_client", "autofab", "--name", "SAP SDX", stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    client_id = re.fullmatch(r"client_id: (\S+)", lines[0]).group(1)
    secret = re.fullmatch(r"client_secret: (\S+)", lines[1]).group(1)
    client = PactClient.objects.get(client_id=client_id)
    assert client.organisation == autofab and client.name == "SAP SDX"
    assert secret not in client.secret_sha256 and len(client.secret_sha256) == 64
    assert pact_client_authenticate(client_id, secret) == client
    assert pact_client_authenticate(client_id, secret + "x") is None


def test_create_pact_client_for_an_unknown_organisation_fails(cast):
    with pytest.raises(CommandError, match="no organisation"):
        call_command("create_pact_client", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_revoke_pact_client_stops_its_tokens(pact_clients):
    client = pact_clients["autofab"].client
    token, _ = access_token_issue(client=client)
    call_command("revoke_pact_client", client.client_id, stdout=io.StringIO())
    client.refresh_from_db()
    assert client.revoked_at is not None and not AccessToken.objects.filter(client=client).exists()
    assert Pact(token).get("/pact/3/footprints").status_code == 401
    with pytest.raises(CommandError):
        call_command("revoke_pact_client", "pc_unknown", stdout=io.StringIO())


@pytest.fixture
def staff(cast):
    user = user_create(
        username="staffer", organisation=cast["remelt-ops"], password="x-9Jq!long", is_staff=True
    )
    user.is_superuser = True
    user.save()
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_admin_issues_a_client_showing_the_secret_once(staff, autofab):
    response = staff.post(
        "/admin/pact/pactclient/add/",
        {"organisation": autofab.pk, "name": "portal"},
        follow=True,
        secure=True,
    )
    assert response.status_code == 200
    client = PactClient.objects.get(name="portal")
    message = next(str(m) for m in response.context["messages"])
    secret = re.search(r"shown again: (\S+)", message).group(1)
    assert client.client_id in message and pact_client_authenticate(client.client_id, secret) == client
    listing = staff.get("/admin/pact/pactclient/", secure=True).content.decode()
    assert client.client_id in listing and secret not in listing


def test_the_admin_revokes_clients(staff, pact_clients):
    client = pact_clients["autofab"].client
    staff.post(
        "/admin/pact/pactclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
        secure=True,
    )
    client.refresh_from_db()
    assert client.revoked_at is not None


def test_the_admin_registers_a_clients_host_with_the_secret_encrypted(staff, pact_clients, settings):
    settings.PACT_CREDENTIALS_KEY = TEST_CREDENTIALS_KEY
    client = pact_clients["autofab"].client
    response = staff.post(
        f"/admin/pact/pactclient/{client.pk}/change/",
        {
            "events_base_url": "https://pact.autofab.example/api",
            "events_auth_base_url": "",
            "events_client_id": "remelt",
            "events_secret": "s3cret-value",
        },
        secure=True,
    )
    assert response.status_code == 302, response.content
    client.refresh_from_db()
    assert client.events_base_url == "https://pact.autofab.example/api"
    assert "s3cret-value" not in client.events_client_secret
    assert credential_open(client.events_client_secret) == "s3cret-value"


def test_a_clients_host_must_be_https(pact_clients, settings):
    from ledger.errors import DomainError
    from pact.services import pact_client_register_events

    settings.PACT_CREDENTIALS_KEY = TEST_CREDENTIALS_KEY
    with pytest.raises(DomainError) as refused:
        pact_client_register_events(
            client=pact_clients["autofab"].client,
            base_url="http://plain.example",
            client_id="a",
            client_secret="b",
        )
    assert "events_base_url" in refused.value.errors


def test_credentials_are_not_kept_without_a_key_in_production(pact_clients, settings):
    from pact.services import pact_client_register_events

    settings.DEBUG = False
    settings.PACT_CREDENTIALS_KEY = None
    with pytest.raises(ImproperlyConfigured, match="PACT_CREDENTIALS_KEY"):
        pact_client_register_events(
            client=pact_clients["autofab"].client,
            base_url="https://x.example",
            client_id="a",
            client_secret="b",
        )


def test_a_secret_setting_can_come_from_a_file(tmp_path, monkeypatch):
    path = tmp_path / "key"
    path.write_text(TEST_CREDENTIALS_KEY + "\n")
    monkeypatch.setenv("PACT_CREDENTIALS_KEY_FILE", str(path))
    monkeypatch.delenv("PACT_CREDENTIALS_KEY", raising=False)
    assert env_secret("PACT_CREDENTIALS_KEY") == TEST_CREDENTIALS_KEY
    monkeypatch.setenv("PACT_CREDENTIALS_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_secret("PACT_CREDENTIALS_KEY")
