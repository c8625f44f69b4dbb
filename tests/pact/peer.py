"""A PACT host for the tests, on a real socket: remelt delivers events to it (and imports
footprints from it) over HTTP, as it would to a partner's host. It checks the credentials it
issued, and records every request."""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class PeerHost:
    """What the test host does: `status` is what /3/events answers; `footprints` what it serves."""

    client_id: str = "remelt-at-peer"
    client_secret: str = "peer-secret-0123456789"
    status: int = 200
    token: str = "peer-token-abc"
    footprints: dict[str, bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    base_url: str = ""

    @property
    def events(self) -> list[Received]:
        return [r for r in self.received if r.path == "/3/events"]


def serve(host: PeerHost):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _reply(self, status: int, body: dict | bytes | None = None) -> None:
            payload = (
                body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _record(self) -> Received:
            length = int(self.headers.get("Content-Length") or 0)
            received = Received(self.path, dict(self.headers), self.rfile.read(length))
            host.received.append(received)
            return received

        def do_GET(self):
            self._record()
            if self.path.startswith("/3/footprints/"):
                if self.headers.get("Authorization") != f"Bearer {host.token}":
                    return self._reply(401, {"code": "BadRequest", "message": "bad token"})
                found = host.footprints.get(self.path.rsplit("/", 1)[1])
                return (
                    self._reply(200, found)
                    if found
                    else self._reply(404, {"code": "NotFound", "message": "no"})
                )
            return self._reply(404, {"code": "NotFound", "message": "no such path"})

        def do_POST(self):
            received = self._record()
            if self.path == "/auth/token":
                expected = base64.b64encode(f"{host.client_id}:{host.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._reply(401, {"error": "invalid_client", "error_description": "no"})
                return self._reply(
                    200, {"access_token": host.token, "token_type": "Bearer", "expires_in": 60}
                )
            if self.path == "/3/events":
                if self.headers.get("Authorization") != f"Bearer {host.token}":
                    return self._reply(401, {"code": "BadRequest", "message": "bad token"})
                if not received.headers.get("Content-Type", "").startswith("application/cloudevents+json"):
                    return self._reply(400, {"code": "BadRequest", "message": "content type"})
                return self._reply(host.status)
            return self._reply(404, {"code": "NotFound", "message": "no such path"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
