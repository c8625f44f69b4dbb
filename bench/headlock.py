"""Head-lock benchmark: other clients' single events while a maximal batch runs, and the longest
hold of the ledger head lock, against the same clients without the batch.

Run against a throw-away PostgreSQL database (its name must contain "bench"; it is dropped,
recreated, migrated and dropped again):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench .venv/bin/python bench/headlock.py [--quick]

The maximal batch is a plant's day of part runs (`--runs` runs of `--wheels` wheels, each run
taking one melt lot), posted by the wheel maker through `events_record`, back to back while
`--clients` threads of the recycler each post single `scrap.received` events in a loop. The
hold of the head lock is timed from the moment `head_lock()` returns to the commit. Raw
baselines from the same run: a plain one-row INSERT per transaction (single events), and one
multi-row INSERT of the batch's lot rows into a copy of `ledger_lot` (the batch). Progress to
stderr, the table to stdout. See bench/README.md.
"""

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402
from benchdb import create_database, drop_database, settings_db  # noqa: E402

TRUCK = {"distance_km": "80", "mode": "truck"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Holds:
    """Times of the head lock's holds, by thread: from head_lock() returning to the commit."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.lock = threading.Lock()

    def install(self) -> None:
        from ledger import services

        original = services.head_lock

        def timed_head_lock():
            result = original()
            self.local.acquired = time.perf_counter()
            return result

        services.head_lock = timed_head_lock

    def held(self) -> float:
        """Seconds since this thread's last head_lock() (call right after the commit)."""
        return time.perf_counter() - self.local.acquired


def setup():
    from django.core.management import call_command

    import passports.queue
    from accounts.models import Role
    from accounts.services import organisation_create

    call_command("migrate", verbosity=0)
    passports.queue._start_rollup = lambda: None  # roll-ups are not what is measured
    recycler = organisation_create(slug="recycler", name="Recycler", roles=[Role.RECYCLER])
    maker = organisation_create(slug="wheel-maker", name="Wheel maker", roles=[Role.WHEEL_MAKER])
    return recycler, maker


def when():
    from django.utils import timezone

    return timezone.now() - timedelta(minutes=5)


def scrap(code: str | None = None, mass: str = "20000") -> dict:
    data = {"supplier": "trader", "grade": "wheels", "category": "post_consumer", "mass_kg": mass}
    data["transport"] = TRUCK
    if code:
        data["code"] = code
    return data


def melts_for(maker, count: int, tag: str) -> list[str]:
    """Melt lots of the wheel maker to cast the runs from (recorded outside the measurement)."""
    from ledger.services import EventInput, events_record

    events = []
    for i in range(count):
        events.append(EventInput("scrap.received", when(), scrap(f"{tag}-S{i}", "5000")))
        events.append(
            EventInput(
                "melt.recorded",
                when(),
                {
                    "code": f"{tag}-M{i}",
                    "furnace": "TC-65",
                    "inputs": [{"lot": f"{tag}-S{i}", "mass_kg": "5000"}],
                    "output_mass_kg": "4800",
                    "energy": {"natural_gas_m3": "300"},
                },
            )
        )
    events_record(organisation=maker, actor="system", events=events)
    return [f"{tag}-M{i}" for i in range(count)]


def day_of_runs(melts: list[str], wheels: int, tag: str) -> list:
    from ledger.services import EventInput

    return [
        EventInput(
            "parts.produced",
            when(),
            {
                "inputs": [{"lot": melt, "mass_kg": f"{wheels * 12}"}],
                "parts": [
                    {"serial": f"{tag}-{r:03d}-{w:04d}", "mass_kg": "11.500", "part_number": "AW-18"}
                    for w in range(wheels)
                ],
                "internal_scrap": {"mass_kg": f"{wheels * 0.4:.3f}"},
                "energy": {"electricity_kwh": "900"},
            },
        )
        for r, melt in enumerate(melts)
    ]


def single_clients(recycler, holds: Holds, *, clients: int, seconds: float, stop: threading.Event):
    """Threads posting single receipts until `seconds` pass; (latencies, holds) in seconds."""
    from django.db import connections

    from ledger.services import EventInput, events_record

    latencies: list[float] = []
    held: list[float] = []
    errors: list[BaseException] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        try:
            while time.perf_counter() < deadline and not stop.is_set():
                started = time.perf_counter()
                events_record(
                    organisation=recycler,
                    actor="system",
                    events=[EventInput("scrap.received", when(), scrap())],
                )
                finished = time.perf_counter()
                latencies.append(finished - started)
                held.append(holds.held())
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return latencies, held


def batches_while(maker, holds: Holds, batches: list[list], stop: threading.Event, out: list) -> None:
    """Post the prepared batches back to back until told to stop; (duration, hold, items) each."""
    from django.db import connections

    from ledger.services import batch_cost, events_record

    try:
        for batch in batches:
            if stop.is_set():
                break
            started = time.perf_counter()
            events_record(organisation=maker, actor="system", events=batch)
            out.append((time.perf_counter() - started, holds.held(), batch_cost(batch)))
    finally:
        connections.close_all()


def raw_single_p99(seconds: float) -> list[float]:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_raw_one (id bigserial PRIMARY KEY, payload bytea)")
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_raw_one (payload) VALUES (%s)", [b"x" * 300])
        latencies.append(time.perf_counter() - started)
    return latencies


def raw_batch_seconds(rows: int, org_id: int) -> float:
    """One multi-row INSERT of `rows` part lots into a copy of ledger_lot, in one transaction."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw_lot (LIKE ledger_lot INCLUDING ALL)")
        cursor.execute("ALTER TABLE bench_raw_lot ALTER COLUMN made_by_id DROP NOT NULL")
    codes = [f"RAW-{i:07d}" for i in range(rows)]
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_raw_lot (code, kind, owner_id, mass_g, remaining_g, occurred_at, voided,"
            " category, grade, alloy, chemistry, part_number, supplier, origin)"
            " SELECT code, 'part', %s, 11500, 11500, now(), false, '', '', '', '{}', 'AW-18', '', ''"
            " FROM unnest(%s::text[]) AS code",
            [org_id, codes],
        )
    return time.perf_counter() - started


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def main(arguments) -> None:
    from django.conf import settings

    db = settings_db("bench/headlock.py")
    create_database(db)
    try:
        run(arguments, settings)
    finally:
        drop_database(db)


def run(arguments, settings) -> None:
    from ledger.services import batch_cost

    load_before = os.getloadavg()
    recycler, maker = setup()
    holds = Holds()
    holds.install()
    runs, wheels = arguments.runs, arguments.wheels
    count = arguments.batches
    log(f"preparing {count} batches of {runs} runs x {wheels} wheels …")
    batches = [day_of_runs(melts_for(maker, runs, f"B{b}"), wheels, f"B{b}") for b in range(count)]
    items = batch_cost(batches[0])

    log("single events alone …")
    quiet_latency, quiet_holds = single_clients(
        recycler, holds, clients=arguments.clients, seconds=arguments.seconds, stop=threading.Event()
    )
    log("single events while maximal batches run …")
    stop, done = threading.Event(), []
    batcher = threading.Thread(target=batches_while, args=(maker, holds, batches, stop, done))
    batcher.start()
    busy_latency, busy_holds = single_clients(
        recycler, holds, clients=arguments.clients, seconds=arguments.seconds, stop=threading.Event()
    )
    stop.set()
    batcher.join()
    if not done:
        raise RuntimeError("no maximal batch finished while the single clients ran; raise --seconds")
    log("raw baselines …")
    raw_single = raw_single_p99(min(arguments.seconds, 3.0))
    raw_batch = raw_batch_seconds(runs * wheels, maker.pk)
    batch_seconds = statistics.median(duration for duration, _hold, _items in done)
    batch_hold = max(hold for _duration, hold, _items in done)

    print(
        f"remelt head-lock benchmark {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {arguments.clients} single "
        f"clients for {arguments.seconds:g} s; maximal batch = {runs} part runs x {wheels} wheels "
        f"({items:,} items; limit {settings.LEDGER_MAX_BATCH_ITEMS:,}), {len(done)} recorded meanwhile; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print()
    header = ("figure", "alone", "with maximal batch", "raw baseline", "ratio (batch / raw)")
    rows = [
        (
            "single event p50",
            ms(p(quiet_latency, 0.5)),
            ms(p(busy_latency, 0.5)),
            ms(p(raw_single, 0.5)),
            f"{p(busy_latency, 0.5) / p(raw_single, 0.5):.1f}x",
        ),
        (
            "single event p99",
            ms(p(quiet_latency, 0.99)),
            ms(p(busy_latency, 0.99)),
            ms(p(raw_single, 0.99)),
            f"{p(busy_latency, 0.99) / p(raw_single, 0.99):.1f}x",
        ),
        (
            "longest head-lock hold",
            ms(max(quiet_holds)),
            ms(max([batch_hold, *busy_holds])),
            "",
            "",
        ),
        (
            f"maximal batch ({runs * wheels:,} wheels)",
            "",
            f"{batch_seconds:.2f} s, {runs * wheels / batch_seconds:,.0f} wheels/s",
            f"{raw_batch:.2f} s (INSERT of the lot rows)",
            f"{batch_seconds / raw_batch:.1f}x",
        ),
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--clients", type=int, default=2, help="threads posting single events")
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per phase")
    parser.add_argument("--runs", type=int, default=None, help="part runs in the maximal batch")
    parser.add_argument("--wheels", type=int, default=None, help="wheels per run")
    parser.add_argument("--batches", type=int, default=None, help="maximal batches prepared")
    arguments = parser.parse_args()
    quick = arguments.quick
    arguments.seconds = arguments.seconds or (4.0 if quick else 30.0)
    arguments.runs = arguments.runs or (10 if quick else 100)
    arguments.wheels = arguments.wheels or (50 if quick else 300)
    arguments.batches = arguments.batches or (2 if quick else 3)
    django.setup()
    main(arguments)
