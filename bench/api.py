"""API benchmark: POST /api/v1/events/ under gunicorn on PostgreSQL, 8 and 32 concurrent clients.

Creates its own database (default remelt_bench_api; the name must contain "bench"), migrates it,
issues one API key per client, starts gunicorn on 127.0.0.1, and drives it with client threads
posting single scrap.received events and batches of 100, each request with its own
Idempotency-Key, as a partner system would send them. Prints throughput and p50/p95/p99 latency
per request, then verifies the chain and drops the database.

    .venv/bin/python bench/api.py [--seconds 10] [--workers 2] [--threads 2]

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/remelt_bench_api) names the database;
BENCH_BROKER_URL (default redis://127.0.0.1:6379/14) is where the roll-up tasks that each event
queues go, as in production (no worker runs here; the queue is emptied at the end).
Progress goes to stderr; the table goes to stdout. See bench/README.md.
"""

import argparse
import http.client
import itertools
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/remelt_bench_api")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ["CELERY_BROKER_URL"] = BROKER_URL

import django  # noqa: E402
from benchdb import create_database, drop_database, settings_db  # noqa: E402

BATCH = 100
CLIENT_COUNTS = (8, 32)
HOST = "127.0.0.1"
TARGET_P99_MS = 100.0  # single events, 8 clients
TARGET_BATCH_RATE = 2000.0  # events/s posted in batches of 100


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- database and server ------------------------------------------------------------------------


def setup(clients: int) -> list[str]:
    """Migrate and issue one key per client, each for its own organisation."""
    from django.core.management import call_command

    from accounts.services import api_key_issue, organisation_create

    call_command("migrate", verbosity=0, interactive=False)
    tokens = []
    for index in range(clients):
        org = organisation_create(slug=f"bench-{index:02d}", name=f"Bench {index:02d}", roles=["recycler"])
        tokens.append(api_key_issue(organisation=org, name="bench").token)
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_CONN_MAX_AGE": "600",
        "API_THROTTLE_RATE": "1000000/minute",  # throttling runs, but never refuses here
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on the loopback, as behind a TLS-terminating proxy: no redirect to https.
        "SECURE_SSL_REDIRECT": "false",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "30",
        "--backlog",
        "256",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own venv's gunicorn
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/api/v1/lots/")
            response = connection.getresponse()
            response.read()
            connection.close()
        except OSError:
            time.sleep(0.2)
            continue
        if response.status != 401:  # anonymous: the API itself must answer
            server.kill()
            sys.exit(f"gunicorn answers GET /api/v1/lots/ with {response.status}, expected 401")
        return server
    server.kill()
    sys.exit("gunicorn did not answer within 30 s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def empty_broker_queue() -> None:
    import redis

    try:
        redis.Redis.from_url(BROKER_URL).delete("celery")
    except redis.RedisError as exc:
        log(f"could not empty the broker queue at {BROKER_URL}: {exc}")


# --- load ---------------------------------------------------------------------------------------


_codes = itertools.count(1)  # next() is atomic under the GIL


def scrap_event(occurred_at: str) -> dict:
    n = next(_codes)
    return {
        "type": "scrap.received",
        "occurred_at": occurred_at,
        "data": {
            "code": f"BSCR-{n:09d}",
            "supplier_name": "Foshan Metals",
            "grade": "wheels",
            "category": "post_consumer",
            "mass_kg": f"{1000 + n % 9000}.250",
            "origin": "Foshan",
            "transport": {"distance_km": "180", "mode": "truck"},
            "documents": [f"WB-{n}"],
        },
    }


@dataclass
class Result:
    """What one phase measured."""

    label: str
    clients: int
    batch: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds per request
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def events_per_second(self) -> float:
        return self.requests * self.batch / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in ms (nearest rank)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


def drive(port: int, tokens: list[str], *, clients: int, batch: int, seconds: float, warmup: float) -> Result:
    """`clients` threads, each with its own key and keep-alive connection, posting back to back."""
    result = Result(
        f"{'single events' if batch == 1 else f'batches of {batch}'}, {clients} clients", clients, batch
    )
    occurred_at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    start_barrier = threading.Barrier(clients + 1)
    window = [0.0, 0.0]  # measuring from, until
    lock = threading.Lock()

    def client(token: str) -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        mine: list[float] = []
        try:
            start_barrier.wait()
            while True:
                now = time.perf_counter()
                if now >= window[1]:
                    break
                events = [scrap_event(occurred_at) for _ in range(batch)]
                body = json.dumps(events[0] if batch == 1 else events).encode()
                sent = time.perf_counter()
                connection.request(
                    "POST",
                    "/api/v1/events/",
                    body=body,
                    headers={**headers, "Idempotency-Key": secrets.token_hex(16)},
                )
                response = connection.getresponse()
                payload = response.read()
                took = time.perf_counter() - sent
                if response.status != 201:
                    with lock:
                        result.errors.append(f"{response.status} {payload[:200]!r}")
                    continue
                if sent >= window[0]:
                    mine.append(took)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            with lock:
                result.errors.append(repr(exc))
        finally:
            connection.close()
            with lock:
                result.latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(tokens[i],)) for i in range(clients)]
    window[1] = time.perf_counter() + 3600
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    window[0], window[1] = begin + warmup, begin + warmup + seconds
    start_barrier.wait()
    for thread in threads:
        thread.join()
    # Requests that started in the window and finished after it still count, over their span.
    result.seconds = max(seconds, time.perf_counter() - window[0]) if result.latencies else seconds
    return result


# --- report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_table(results: list[Result]) -> None:
    header = ("workload", "requests", "events/s", "p50 ms", "p95 ms", "p99 ms", "errors", "target", "verdict")
    rows = []
    for r in results:
        target, ok = "", None
        if r.batch == 1 and r.clients == 8:
            target, ok = f"p99 < {TARGET_P99_MS:g} ms", r.percentile(99) < TARGET_P99_MS
        elif r.batch == BATCH:
            target, ok = f">= {TARGET_BATCH_RATE:,.0f} events/s", r.events_per_second >= TARGET_BATCH_RATE
        rows.append(
            (
                r.label,
                f"{r.requests:,}",
                f"{r.events_per_second:,.0f}",
                f"{r.percentile(50):.1f}",
                f"{r.percentile(95):.1f}",
                f"{r.percentile(99):.1f}",
                str(len(r.errors)),
                target,
                verdict(ok) if ok is not None else "",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3, 4, 5, 6}

    def line(row):
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} CPUs, {memory:.0f} GiB; {platform.system()} {platform.release()}"


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        return f"PostgreSQL {version}, synchronous_commit={cursor.fetchone()[0]}"


def main(arguments) -> int:
    db = settings_db("bench/api.py")
    log(f"recreating database {db['NAME']} and migrating")
    create_database(db)
    server = None
    try:
        tokens = setup(max(CLIENT_COUNTS))
        port = free_port()
        log(f"starting gunicorn: {arguments.workers} workers x {arguments.threads} threads on {HOST}:{port}")
        server = start_gunicorn(port, arguments.workers, arguments.threads)
        results = []
        for batch in (1, BATCH):
            for clients in CLIENT_COUNTS:
                log(f"{clients} clients posting {'single events' if batch == 1 else f'batches of {batch}'}")
                result = drive(
                    port,
                    tokens,
                    clients=clients,
                    batch=batch,
                    seconds=arguments.seconds,
                    warmup=arguments.warmup,
                )
                log(
                    f"  {result.events_per_second:,.0f} events/s, p99 {result.percentile(99):.1f} ms, "
                    f"{len(result.errors)} errors"
                )
                results.append(result)
        stop_gunicorn(server)
        server = None
        from ledger.selectors import chain_verify

        report = chain_verify()
        posted = sum(len(r.latencies) * r.batch for r in results)
        print(
            f"remelt API benchmark {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, "
            f"{arguments.seconds:g} s per workload after {arguments.warmup:g} s warm-up"
        )
        print(f"machine: {machine()}")
        print(
            f"server: gunicorn gthread, {arguments.workers} workers x {arguments.threads} threads, "
            f"DEBUG=false, persistent connections; {server_version()}; Python {platform.python_version()}; "
            f"load generator (Python threads, keep-alive) on the same machine"
        )
        print(
            "each request: one scrap.received event or a batch of 100, own Idempotency-Key, "
            "own key per client; latency = request sent to response read"
        )
        print()
        print_table(results)
        print()
        print(
            f"chain after the run: {'OK' if report.ok else 'FAIL'} {report.count:,} entries "
            f"(at least {posted:,} posted in the measured windows)"
        )
        for r in results:
            for error in r.errors[:3]:
                print(f"error in {r.label}: {error}")
        return 0 if report.ok and not any(r.errors for r in results) else 1
    finally:
        if server is not None:
            stop_gunicorn(server)
        empty_broker_queue()
        log(f"dropping database {db['NAME']}")
        drop_database(db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per workload")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds run before measuring")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    django.setup()
    sys.exit(main(parser.parse_args()))
