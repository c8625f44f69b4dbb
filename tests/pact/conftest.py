"""The PACT tests' cast: the API's loop of material rolled up and published, a PACT client
per organisation, an HTTPS test client, and the official schemas as validators.

The loop (tests/api/conftest.py): wheelworks made W-0001 … W-0004 in one run from ING-1 and
sent W-0001 and W-0002 to autofab by truck; alurec cast ING-1 and ING-2 and sent ING-1 to
wheelworks; outsider holds only its own scrap.
"""

import base64
import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from rest_framework.test import APIClient

from pact.services import access_token_issue, footprints_sync, pact_client_create
from passports.services import rollup_run
from tests.api.conftest import client_for, keys, loop  # noqa: F401 - fixtures shared with the API tests

# The Fernet key that encrypts stored PACT credentials in the tests (DEBUG is off there).
TEST_CREDENTIALS_KEY = "q8hT3nBQpU0mM2_eD4w1x7g1q0J6g6yQ1mS5bTz9nXo="
TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"
OPENAPI = yaml.safe_load((TESTDATA / "pact" / "openapi.yaml").read_text())


def pact_validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one schema of PACT's OpenAPI file, used unchanged (testdata/README)."""
    return jsonschema.Draft202012Validator({**OPENAPI, "$ref": f"#/components/schemas/{name}"})


PRODUCT_FOOTPRINT = pact_validator("ProductFootprint")
EVENTS = {
    name: pact_validator(name) for name in ("RequestFulfilledEvent", "RequestRejectedEvent", "PublishedEvent")
}
CATENAX_PCF = jsonschema.Draft4Validator(
    json.loads((TESTDATA / "catenax" / "Pcf-9.0.0-schema.json").read_text())
)
CATENAX_SECONDARY = jsonschema.Draft4Validator(
    json.loads((TESTDATA / "catenax" / "SecondaryMaterialContentVerifiable-1.0.0-schema.json").read_text())
)


class Pact:
    """An HTTPS client of the PACT host; `bearer()` sets an access token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = APIClient()
        if token:
            self.bearer(token)

    def bearer(self, token: str) -> "Pact":
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return self

    def get(self, path: str, **kwargs):
        return self.client.get(path, secure=True, **kwargs)

    def post(self, path: str, data=None, **kwargs):
        return self.client.post(path, data, secure=True, **kwargs)

    def event(self, event: dict, content_type: str = "application/cloudevents+json; charset=UTF-8"):
        return self.client.post("/pact/3/events", json.dumps(event), content_type=content_type, secure=True)


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def published(loop, ledger_signing_key):  # noqa: F811 - the shared fixture
    """The loop rolled up and its footprints published (with checkpoints signed)."""
    rollup_run()
    footprints_sync()
    return loop


@pytest.fixture
def pact_clients(cast):
    """One PACT client per organisation: slug -> IssuedClient (client and secret)."""
    return {slug: pact_client_create(organisation=org, name="procurement") for slug, org in cast.items()}


@pytest.fixture
def pact_for(pact_clients):
    """`pact_for("autofab")`: an HTTPS PACT client with a fresh access token of that organisation."""

    def make(slug: str) -> Pact:
        token, _lifetime = access_token_issue(client=pact_clients[slug].client)
        return Pact(token)

    return make


def assert_pact_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code and body["message"], body
    return body


@pytest.fixture
def peer(settings):
    """A partner's PACT host on a local socket (plain HTTP, allowed for the tests)."""
    from tests.pact.peer import PeerHost, serve

    settings.PACT_PEERS_MAY_USE_HTTP = True
    settings.PACT_CREDENTIALS_KEY = TEST_CREDENTIALS_KEY
    host = PeerHost()
    server = serve(host)
    yield host
    server.shutdown()
    server.server_close()


@pytest.fixture
def registered(pact_clients, peer):
    """`registered("autofab")`: that organisation's PACT client, its host registered as `peer`."""
    from pact.services import pact_client_register_events

    def register(slug: str):
        return pact_client_register_events(
            client=pact_clients[slug].client,
            base_url=peer.base_url,
            client_id=peer.client_id,
            client_secret=peer.client_secret,
        )

    return register
