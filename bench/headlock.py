"""Head-lock benchmark: other clients' single events while a maximal batch runs, and the longest
hold of the ledger head lock, against the same clients without the batch.

Run against a throw-away PostgreSQL database (its name must contain "bench"; it is dropped,
recreated, migrated and dropped again):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench .venv/bin/python bench/headlock.py [--quick]

The maximal batch is `--runs` part runs of `--wheels` wheels (each run taking one melt lot,
with internal scrap whose code is generated), as many as LEDGER_MAX_BATCH_ITEMS allows unless
given, posted by the wheel maker through `events_record`: once alone (the load rate), then back
to back while `--clients` threads of the recycler each post single `scrap.received` events in a
loop. Then a plant's day, `--day` wheels in runs of `--wheels`, is posted in as few batches as
the limit allows. The hold of the head lock is timed from the moment `head_lock()` returns to
the commit. Raw baselines from the same run: a plain one-row INSERT per transaction (single
events), and PostgreSQL COPY of the rows the batch writes for its wheels (lot and holder rows)
into copies of `ledger_lot` and `ledger_lotholder` with their indexes, with no ledger logic.
Progress to stderr, the table to stdout. See bench/README.md.
"""

import argparse
import os
import secrets
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
    data = {"supplier_name": "trader", "grade": "wheels", "category": "post_consumer", "mass_kg": mass}
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


def raw_copy_seconds(wheels: int, org_id: int) -> float:
    """COPY of `wheels` part lots and their holder rows into copies of ledger_lot and
    ledger_lotholder (their indexes, no foreign keys or triggers), in one transaction: the
    rows the ledger writes for the wheels of a batch, with no ledger logic."""
    from django.db import connection, transaction
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_lot, bench_raw_holder")
        cursor.execute("CREATE TABLE bench_raw_lot (LIKE ledger_lot INCLUDING ALL)")
        cursor.execute("CREATE TABLE bench_raw_holder (LIKE ledger_lotholder INCLUDING ALL)")
        cursor.execute("SELECT coalesce(max(entry_id), 1) FROM ledger_process")
        made_by = cursor.fetchone()[0]
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = (
            "code, kind, owner_id, mass_g, remaining_g, made_by_id, occurred_at, voided,"
            " category, grade, alloy, chemistry, part_number, supplier, supplier_name, supplier_confirmed,"
            " origin"
        )
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY bench_raw_lot ({columns}) FROM STDIN") as copy:
            for i in range(wheels):
                copy.write_row(
                    (
                        f"RAW-{i:07d}",
                        "part",
                        org_id,
                        11500,
                        11500,
                        made_by,
                        now,
                        False,
                        "",
                        "",
                        "",
                        "{}",
                        "AW-18",
                        "",
                        "",
                        False,
                        "",
                    )
                )
        cursor.execute("SELECT id FROM bench_raw_lot ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        with raw.copy("COPY bench_raw_holder (lot_id, organisation_id) FROM STDIN") as copy:
            for lot_id in ids:
                copy.write_row((lot_id, org_id))
    return time.perf_counter() - started


def day_in_batches(maker, holds: Holds, day: int, wheels: int, limit: int) -> tuple[float, int, float]:
    """A day of `day` wheels in runs of `wheels`, in as few batches as `limit` allows, one after
    the other: (seconds, batches, longest hold)."""
    from ledger.services import events_record

    runs = max(1, day // wheels)
    per_batch = max(1, limit // (wheels + 2))  # a run costs its wheels, its event and its input
    melts = melts_for(maker, runs, "D")
    events = day_of_runs(melts, wheels, "D")
    batches = [events[first : first + per_batch] for first in range(0, len(events), per_batch)]
    started, longest = time.perf_counter(), 0.0
    for batch in batches:
        events_record(organisation=maker, actor="system", events=batch)
        longest = max(longest, holds.held())
    return time.perf_counter() - started, len(batches), longest


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ratios(busy: list[float], raw: list[float], quiet: list[float], q: float) -> str:
    return f"{p(busy, q) / p(raw, q):.1f}x raw, {p(busy, q) / p(quiet, q):.1f}x alone"


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


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
    from ledger.services import batch_cost, events_record

    load_before = os.getloadavg()
    recycler, maker = setup()
    holds = Holds()
    holds.install()
    wheels = arguments.wheels
    runs = arguments.runs or max(1, settings.LEDGER_MAX_BATCH_ITEMS // (wheels + 2))
    count = arguments.batches
    log(f"preparing {count + 1} batches of {runs} runs x {wheels} wheels …")
    batches = [day_of_runs(melts_for(maker, runs, f"B{b}"), wheels, f"B{b}") for b in range(count + 1)]
    items = batch_cost(batches[0])

    log("a maximal batch alone …")
    started = time.perf_counter()
    events_record(organisation=maker, actor="system", events=batches.pop())
    alone_seconds, alone_hold = time.perf_counter() - started, holds.held()
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
    log(f"a day of {arguments.day:,} wheels in batches …")
    day_seconds, day_batches, day_hold = day_in_batches(
        maker, holds, arguments.day, wheels, settings.LEDGER_MAX_BATCH_ITEMS
    )
    log("raw baselines …")
    raw_single = raw_single_p99(min(arguments.seconds, 3.0))
    raw_copy = raw_copy_seconds(runs * wheels, maker.pk)
    batch_hold = max(hold for _duration, hold, _items in done)
    day_wheels = max(1, arguments.day // wheels) * wheels
    rate, raw_rate = runs * wheels / alone_seconds, runs * wheels / raw_copy

    print(
        f"remelt head-lock benchmark {time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {arguments.clients} single "
        f"clients for {arguments.seconds:g} s; maximal batch = {runs} part runs x {wheels} wheels "
        f"({items:,} items; limit {settings.LEDGER_MAX_BATCH_ITEMS:,}), {len(done)} recorded meanwhile; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print()
    header = ("figure", "alone", "with maximal batch", "raw baseline", "ratio", "target")
    rows = [
        (
            "single event p50",
            ms(p(quiet_latency, 0.5)),
            ms(p(busy_latency, 0.5)),
            ms(p(raw_single, 0.5)),
            ratios(busy_latency, raw_single, quiet_latency, 0.5),
            "",
        ),
        (
            "single event p99",
            ms(p(quiet_latency, 0.99)),
            ms(p(busy_latency, 0.99)),
            ms(p(raw_single, 0.99)),
            ratios(busy_latency, raw_single, quiet_latency, 0.99),
            "keeps its latency",
        ),
        ("longest head-lock hold", ms(max(quiet_holds)), ms(max([batch_hold, *busy_holds])), "", "", ""),
        (
            f"maximal batch's hold ({items:,} items)",
            ms(alone_hold),
            ms(batch_hold),
            "",
            f"{alone_hold / items * 1e6:,.0f} µs/item alone",
            "bounded",
        ),
        (
            f"load: maximal batch ({runs * wheels:,} wheels)",
            f"{alone_seconds:.2f} s, {rate:,.0f} wheels/s",
            "",
            f"{raw_copy:.2f} s, {raw_rate:,.0f} wheels/s (COPY of lot and holder rows)",
            f"{rate / raw_rate:.2f}x",
            f">= 20,000 wheels/s {verdict(rate >= 20_000)}; >= 0.3x {verdict(rate >= 0.3 * raw_rate)}",
        ),
        (
            f"a day: {day_wheels:,} wheels in {day_batches} batches",
            f"{day_seconds:.2f} s, {day_wheels / day_seconds:,.0f} wheels/s",
            "",
            f"{raw_copy * day_wheels / (runs * wheels):.2f} s (COPY, scaled)",
            f"{raw_copy * day_wheels / (runs * wheels) / day_seconds:.2f}x",
            f"in seconds; longest hold {ms(day_hold)}",
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
    parser.add_argument(
        "--runs", type=int, default=None, help="part runs in the maximal batch (default: the limit)"
    )
    parser.add_argument("--wheels", type=int, default=None, help="wheels per run")
    parser.add_argument(
        "--batches", type=int, default=None, help="maximal batches prepared for the busy phase"
    )
    parser.add_argument("--day", type=int, default=None, help="wheels of the day posted in batches")
    arguments = parser.parse_args()
    quick = arguments.quick
    arguments.seconds = arguments.seconds or (4.0 if quick else 20.0)
    arguments.runs = arguments.runs or (10 if quick else None)
    arguments.wheels = arguments.wheels or (50 if quick else 300)
    arguments.batches = arguments.batches or (2 if quick else 4)
    arguments.day = arguments.day or (2_000 if quick else 30_000)
    django.setup()
    main(arguments)
