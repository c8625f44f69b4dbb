"""Calling other PACT hosts (a client's, to deliver events; a supplier's, to import
footprints): OpenID discovery, the client-credentials token, events and GetFootprint.

HTTPS only, unless PACT_PEERS_MAY_USE_HTTP is set (tests and local trials); certificates are
checked against the system's CAs or PACT_PEER_CA_BUNDLE."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from ledger.errors import DomainError
from pact.rules import CLOUDEVENTS_JSON

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_DOCUMENT_BYTES = 2 * 2**20


class PeerError(Exception):
    """The other host could not be reached or did not answer as PACT says; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Peer:
    """Where another PACT host is and the credentials it gave us."""

    base_url: str
    auth_base_url: str
    client_id: str
    client_secret: str


def url_check(url: str, field: str) -> str:
    """A peer's base URL: absolute, https (or http where allowed), without a trailing slash."""
    parts = urlsplit(url.strip())
    allowed = ("https", "http") if settings.PACT_PEERS_MAY_USE_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.netloc or parts.query or parts.fragment:
        raise DomainError(
            "invalid", f"must be an absolute {' or '.join(allowed)} URL without query", field=field
        )
    return url.strip().rstrip("/")


def _client() -> httpx.Client:
    verify = settings.PACT_PEER_CA_BUNDLE or True
    return httpx.Client(timeout=TIMEOUT, verify=verify, follow_redirects=False)


def _token_endpoint(http: httpx.Client, auth_base: str) -> str:
    try:
        response = http.get(f"{auth_base}/.well-known/openid-configuration")
        if response.status_code == 200:
            endpoint = response.json().get("token_endpoint")
            if isinstance(endpoint, str) and endpoint:
                return endpoint
    except (httpx.HTTPError, ValueError):
        pass  # no discovery document: PACT says to assume <auth base>/auth/token
    return f"{auth_base}/auth/token"


def peer_token(peer: Peer, http: httpx.Client | None = None) -> str:
    """An access token from the peer (RFC 6749 §4.4, HTTP Basic client authentication)."""
    http = http or _client()
    endpoint = _token_endpoint(http, peer.auth_base_url or peer.base_url)
    try:
        response = http.post(
            endpoint,
            data={"grant_type": "client_credentials"},
            auth=(peer.client_id, peer.client_secret),
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise PeerError(f"token endpoint {endpoint}: {exc}") from None
    if response.status_code != 200:
        raise PeerError(f"token endpoint {endpoint} answered {response.status_code}: {response.text[:300]}")
    try:
        token = response.json()["access_token"]
    except (ValueError, KeyError, TypeError):
        raise PeerError(f"token endpoint {endpoint} sent no access_token") from None
    return token


def peer_send_event(peer: Peer, event: dict) -> int:
    """POST a CloudEvent to the peer's /3/events; its status if 2xx, else PeerError."""
    with _client() as http:
        token = peer_token(peer, http)
        url = f"{peer.base_url}/3/events"
        try:
            response = http.post(
                url,
                json=event,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"{CLOUDEVENTS_JSON}; charset=UTF-8",
                },
            )
        except httpx.HTTPError as exc:
            raise PeerError(f"{url}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise PeerError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return response.status_code


def peer_get_footprint(peer: Peer, pf_id: str) -> bytes:
    """GetFootprint's answer (`{"data": ProductFootprint}`), the bytes exactly as the peer sent them."""
    with _client() as http:
        token = peer_token(peer, http)
        url = f"{peer.base_url}/3/footprints/{pf_id}"
        try:
            response = http.get(
                url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise PeerError(f"{url}: {exc}") from None
    if response.status_code != 200:
        raise PeerError(f"{url} answered {response.status_code}: {response.text[:300]}")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise PeerError(f"{url} sent {len(response.content)} bytes, more than {MAX_DOCUMENT_BYTES}")
    return response.content
