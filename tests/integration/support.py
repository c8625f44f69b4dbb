"""What the integration tests share: the deployment's processes, a batch a partner posts, and
a broker that can be made to misbehave (the queue fixture is in conftest.py)."""

import contextlib
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import kombu.pools
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_key_issue
from config.celery import app as celery_app
from passports.models import Footprint

REPO = Path(__file__).resolve().parents[2]


def point_app_at(broker_url: str) -> None:
    """Make this process's Celery app publish to another broker from now on (the `queue`
    fixture points it back)."""
    os.environ["CELERY_BROKER_URL"] = broker_url  # Celery reads it before its own setting
    celery_app.conf.broker_url = broker_url
    # kombu keeps its pools in registries keyed by connection: a pool closed but left there
    # would be handed out again (eager tasks acquire a producer too), so empty them all.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def start(env, command: list[str], *args) -> subprocess.Popen:
    """Start one of the deployment's processes (config/stack.py), as dev.py stack and compose do."""
    program, *rest = command
    assert program == "celery"
    return subprocess.Popen(
        [sys.executable, "-m", "celery", *rest, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def run_events(prefix: str) -> list[dict]:
    """A receipt, a melt and a run of 3 wheels (serials `<prefix>-W0` …), as one batch."""
    now = (timezone.now() - timedelta(minutes=1)).isoformat()
    scrap, heat = f"{prefix}-S", f"{prefix}-M"
    return [
        {
            "type": "scrap.received",
            "occurred_at": now,
            "data": {
                "code": scrap,
                "supplier_name": "x",
                "grade": "wheels",
                "category": "post_consumer",
                "mass_kg": "500",
                "transport": {"distance_km": "80", "mode": "truck"},
            },
        },
        {
            "type": "melt.recorded",
            "occurred_at": now,
            "data": {
                "code": heat,
                "furnace": "F",
                "inputs": [{"lot": scrap, "mass_kg": "500"}],
                "output_mass_kg": "480",
                "energy": {"natural_gas_m3": "40"},
            },
        },
        {
            "type": "parts.produced",
            "occurred_at": now,
            "data": {
                "inputs": [{"lot": heat, "mass_kg": "40"}],
                "parts": [
                    {"serial": f"{prefix}-W{i}", "mass_kg": "11", "part_number": "AW"} for i in range(3)
                ],
                "energy": {"electricity_kwh": "20"},
            },
        },
    ]


def partner_client(org, name: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(organisation=org, name=name).token}")
    return client


def post_run(org, prefix: str) -> list[str]:
    """Post `run_events(prefix)` with a new key of the organisation; the wheels' serials."""
    response = partner_client(org, prefix).post("/api/v1/events/", run_events(prefix), format="json")
    assert response.status_code == 201, response.content
    return [f"{prefix}-W{i}" for i in range(3)]


def wait_for_footprints(serials, seconds=60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Footprint.objects.filter(lot__code__in=serials, superseded_at__isnull=True).count() == len(
            serials
        ):
            return True
        time.sleep(0.3)
    return False


class FaultyBroker:
    """A TCP server in front of the real Redis that can be made to misbehave.

    `hang()`: it accepts connections and reads what is sent, and never answers (a broker that
    is overloaded, or a firewall that swallows packets); `forward()`: it relays both ways to
    `upstream` (the broker is back). The machine's Redis itself is never touched. Listens on a
    port the system picks; `url(db)` is a broker URL through it.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.hanging = True
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.server, selectors.EVENT_READ, None)
        self.pairs: dict[socket.socket, socket.socket | None] = {}
        self.running = True
        self.thread = threading.Thread(target=self._serve, name="faulty-broker", daemon=True)
        self.thread.start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def hang(self) -> None:
        self.hanging = True

    def forward(self) -> None:
        """From now on, connections (new and open ones) are relayed to the real broker."""
        self.hanging = False

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        for sock in [self.server, *self.pairs, *(peer for peer in self.pairs.values() if peer)]:
            with contextlib.suppress(OSError):
                sock.close()

    def _serve(self) -> None:
        while self.running:
            for key, _events in self.selector.select(timeout=0.1):
                sock = key.fileobj
                if sock is self.server:
                    client, _ = self.server.accept()
                    self.pairs[client] = None
                    self.selector.register(client, selectors.EVENT_READ, None)
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._drop(sock)
                    continue
                if sock in self.pairs:  # from a client
                    if self.hanging:
                        continue  # swallowed: no answer, ever
                    peer = self.pairs[sock]
                    if peer is None:
                        peer = self.pairs[sock] = socket.create_connection(self.upstream)
                        self.selector.register(peer, selectors.EVENT_READ, sock)
                    peer.sendall(data)
                else:  # from the real broker, back to its client
                    key.data.sendall(data)

    def _drop(self, sock: socket.socket) -> None:
        client = sock if sock in self.pairs else None
        if client is None:
            client = next((c for c, peer in self.pairs.items() if peer is sock), None)
        for one in (client, self.pairs.pop(client, None) if client is not None else None):
            if one is not None:
                with contextlib.suppress(KeyError, ValueError, OSError):
                    self.selector.unregister(one)
                with contextlib.suppress(OSError):
                    one.close()
