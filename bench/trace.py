"""Trace benchmark: `lot_trace` up from a wheel whose upstream is about 500 lots, against the bare
statement it is built on.

Run against a throw-away PostgreSQL database; the script drops and recreates the database named
in DATABASE_URL (its name must contain "bench"), migrates it, and drops it again at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench_trace \
        .venv/bin/python bench/trace.py [--quick]

The material record is built through the real services, as a recycler and a wheel maker would post
it, several times over (only the last copy is traced, the others make the tables bigger): scrap
receipts, melts that each take from ten scrap lots (every scrap lot feeds two melts), casts of two
melts into three ingot lots, early part runs whose internal scrap the wheel maker remelts with
ingots and fresh scrap, and a final run from those melts and more ingot lots. One wheel of the
final run is traced up with MAX_DEPTH for an auditor; the baseline is the trace's one statement
(`ledger.trace.walk_sql`: the recursive CTE and the lots it reaches) run through a cursor, rows
fetched, nothing else.

The process is measured as it is served: once the app is loaded, `config.wsgi` calls
`config.startup.freeze_startup_heap`, and so does this script, before it builds the graph.

Progress goes to stderr; the results table goes to stdout. See bench/README.md.
"""

import argparse
import gc
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
# Production runs with DEBUG off; with DEBUG on, Django formats and keeps every query it runs,
# which would be measured too. An explicit DEBUG=true in the environment is respected.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# No broker: nothing may roll up carbon behind the benchmark's back.
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402
from benchdb import create_database, drop_database, settings_db  # noqa: E402

P99_TARGET_MS = 50.0
RATIO_TARGET = 2.0
BATCH = 100  # events per events_record call (one transaction)


@dataclass(frozen=True)
class Plan:
    """The shape of one copy of the loop, and how often things are repeated."""

    copies: int  # copies of the loop in the database; the last one is traced
    scrap: int  # scrap lots per copy; a melt takes from ten, so melts = scrap / 5
    repeats: int  # timed traces (and raw queries)
    warmup: int


FULL = Plan(copies=5, scrap=320, repeats=200, warmup=20)
QUICK = Plan(copies=1, scrap=80, repeats=30, warmup=5)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the material record ------------------------------------------------------------------------


class Loop:
    """Posts one copy of the loop through `events_record`; returns the wheel to trace."""

    def __init__(self, recycler, wheel_maker) -> None:
        self.recycler = recycler
        self.wheel_maker = wheel_maker
        self.events = 0

    def record(self, organisation, events: list[tuple[str, dict]]) -> None:
        from django.utils import timezone

        from ledger.services import EventInput, events_record

        for start in range(0, len(events), BATCH):
            now = timezone.now()
            chunk = [EventInput(kind, now, data) for kind, data in events[start : start + BATCH]]
            events_record(organisation=organisation, actor="user:bench", events=chunk)
            self.events += len(chunk)

    def copy(self, n: int, scrap_lots: int) -> str:
        """Scrap → melts → ingots → early runs → remelted chips → the final run; its first wheel."""
        p = f"C{n}"
        truck = {"distance_km": "180", "mode": "truck"}
        melts, casts = scrap_lots // 5, scrap_lots // 10
        ingots = 3 * casts

        def receipt(code: str, mass_kg: str) -> tuple[str, dict]:
            data = {"code": code, "supplier": "scrapco", "grade": "wheels", "category": "post_consumer"}
            return ("scrap.received", {**data, "mass_kg": mass_kg, "transport": truck})

        self.record(self.recycler, [receipt(f"{p}-S{i}", "10000") for i in range(scrap_lots)])
        # Melt i takes 5 t from scrap lots 5i … 5i+9: every scrap lot feeds two melts (diamonds).
        self.record(
            self.recycler,
            [
                (
                    "melt.recorded",
                    {
                        "code": f"{p}-M{i}",
                        "furnace": "TC-65",
                        "inputs": [
                            {"lot": f"{p}-S{(5 * i + k) % scrap_lots}", "mass_kg": "5000"} for k in range(10)
                        ],
                        "additions": [
                            {"material": "primary_aluminium", "mass_kg": "1000"},
                            {"material": "silicon", "mass_kg": "500"},
                        ],
                        "output_mass_kg": "50000",
                    },
                )
                for i in range(melts)
            ],
        )
        self.record(
            self.recycler,
            [
                (
                    "ingots.cast",
                    {
                        "inputs": [{"lot": f"{p}-M{2 * j + k}", "mass_kg": "50000"} for k in range(2)],
                        "outputs": [
                            {"code": f"{p}-I{3 * j + k}", "mass_kg": "33000", "alloy": "A356.2"}
                            for k in range(3)
                        ],
                    },
                )
                for j in range(casts)
            ],
        )
        self.record(
            self.recycler,
            [
                (
                    "custody.transferred",
                    {"lots": [f"{p}-I{k}" for k in range(ingots)], "to": "wheelworks", "transport": truck},
                )
            ],
        )
        # Early runs from ingot lots 3j; their chips are remelted with ingot lots 3j+2 and fresh scrap.
        self.record(
            self.wheel_maker,
            [
                (
                    "parts.produced",
                    {
                        "inputs": [{"lot": f"{p}-I{3 * j}", "mass_kg": "1000"}],
                        "parts": [
                            {"serial": f"{p}-E{j}-{w}", "mass_kg": "10", "part_number": "AW-18"}
                            for w in range(10)
                        ],
                        "internal_scrap": {"code": f"{p}-INT{j}", "mass_kg": "800"},
                    },
                )
                for j in range(casts)
            ],
        )
        remelts = casts // 2
        self.record(
            self.wheel_maker,
            [receipt(f"{p}-F{i}", "1000") for i in range(2 * remelts)]
            + [
                (
                    "melt.recorded",
                    {
                        "code": f"{p}-WM{i}",
                        "furnace": "TC-65",
                        "inputs": [
                            {"lot": f"{p}-INT{2 * i}", "mass_kg": "800"},
                            {"lot": f"{p}-INT{2 * i + 1}", "mass_kg": "800"},
                            {"lot": f"{p}-I{3 * (2 * i) + 2}", "mass_kg": "1000"},
                            {"lot": f"{p}-F{2 * i}", "mass_kg": "1000"},
                            {"lot": f"{p}-F{2 * i + 1}", "mass_kg": "1000"},
                        ],
                        "additions": [{"material": "silicon", "mass_kg": "50"}],
                        "output_mass_kg": "4500",
                    },
                )
                for i in range(remelts)
            ],
        )
        self.record(
            self.wheel_maker,
            [
                (
                    "parts.produced",
                    {
                        "inputs": [{"lot": f"{p}-WM{i}", "mass_kg": "100"} for i in range(remelts)]
                        + [{"lot": f"{p}-I{3 * j + 1}", "mass_kg": "50"} for j in range(casts)],
                        "parts": [
                            {"serial": f"{p}-W{w}", "mass_kg": "10", "part_number": "AW-18"}
                            for w in range(20)
                        ],
                        "internal_scrap": {"code": f"{p}-INTF", "mass_kg": "100"},
                    },
                )
            ],
        )
        return f"{p}-W0"


# --- timing -------------------------------------------------------------------------------------


def timings_ms(
    operation: Callable[[], object], repeats: int, warmup: int, collect: bool = True
) -> list[float]:
    """Milliseconds of each of `repeats` calls, after `warmup` untimed ones.

    The collector runs once before the series (`collect`), never between calls: collecting
    before every call would hide the collections a trace's garbage sets off.
    """
    for _ in range(warmup):
        operation()
    if collect:
        gc.collect()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        operation()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p(times: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `times`."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def server_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        facts = {}
        for name in ("server_version", "shared_buffers", "work_mem", "jit"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measurement", "p50 ms", "p99 ms", "ratio (p99)", "target", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = [
            cell.rjust(widths[i]) if i in (1, 2, 3) else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


# --- main ---------------------------------------------------------------------------------------


def run(plan: Plan, quick: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import passports.queue
    from accounts.models import Role
    from accounts.services import organisation_create
    from ledger.models import Lot
    from ledger.trace import DOWN, MAX_DEPTH, MAX_NODES, UP, lot_trace, walk_params, walk_sql
    from ledger.visibility import Viewer

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0, interactive=False)
    facts = server_facts()
    # Carbon roll-ups are not what is measured; the entries simply stay pending.
    passports.queue._start_rollup = lambda: None

    recycler = organisation_create(slug="alurec", name="Alurec Recycling", roles=[Role.RECYCLER])
    wheel_maker = organisation_create(slug="wheelworks", name="Wheelworks", roles=[Role.WHEEL_MAKER])
    organisation_create(slug="scrapco", name="Scrapco", roles=[Role.SCRAP_SUPPLIER])
    auditor = organisation_create(slug="certa", name="Certa", roles=[Role.AUDITOR])
    loop = Loop(recycler, wheel_maker)
    started = time.perf_counter()
    for n in range(plan.copies):
        wheel = loop.copy(n, plan.scrap)
        log(f"copy {n + 1}/{plan.copies}: {loop.events:,} events, {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    root = Lot.objects.select_related("owner").get(code=wheel)
    scrap = Lot.objects.select_related("owner").get(code=f"C{plan.copies - 1}-S0")
    as_auditor = Viewer(organisation_id=auditor.pk, sees_everything=True)
    as_wheel_maker = Viewer(organisation_id=wheel_maker.pk, sees_everything=False)
    sql = walk_sql(UP, as_auditor)
    params = walk_params(lot_id=root.pk, depth=MAX_DEPTH, row_limit=MAX_NODES + 1, viewer=as_auditor)

    def raw() -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def trace(viewer=as_auditor, lot=root, direction=UP):
        return lot_trace(lot=lot, direction=direction, depth=MAX_DEPTH, viewer=viewer)

    up = trace()
    if sum(lot.category == "post_consumer" for lot, _d in up.nodes) == 0:
        raise RuntimeError("the trace did not reach the scrap")
    leaves = sum(up.shares[lot.code] for lot, _d in up.nodes if lot.category == "post_consumer") + sum(
        addition.share for addition in up.additions
    )
    if leaves != 1:
        raise RuntimeError(f"the leaves of the trace add up to {leaves}, not 1")
    rows = raw()
    with CaptureQueriesContext(connection) as queries:
        trace()
    queries_label = "1 query" if len(queries) == 1 else f"{len(queries)} queries"
    log(
        f"trace: {len(up.nodes)} nodes, {len(up.edges)} edges, {len(up.additions)} additions, "
        f"{len(rows)} rows of its statement"
    )

    log(f"timing {plan.repeats} raw statements and {plan.repeats} traces")
    raw_ms = timings_ms(raw, plan.repeats, plan.warmup)
    trace_ms = timings_ms(trace, plan.repeats, plan.warmup)
    # Interleaved a second time, so that a burst from a neighbour on the machine hits both alike.
    raw_again, trace_again = [], []
    gc.collect()
    for _ in range(plan.repeats):
        raw_again += timings_ms(raw, 1, 0, collect=False)
        trace_again += timings_ms(trace, 1, 0, collect=False)
    # Where the time goes: the same traces with the garbage collector paused (what full
    # collections of what is not frozen still cost), and the time spent in the query's execute
    # against the whole: the server's work and the transfer of the rows; psycopg converts the
    # values on fetch, which counts as Python here.
    gc.disable()
    try:
        no_gc_ms = timings_ms(trace, plan.repeats, plan.warmup)
    finally:
        gc.enable()
    in_sql: list[float] = []
    whole: list[float] = []

    def timed_sql(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_sql[-1] += (time.perf_counter() - start) * 1000

    gc.collect()
    with connection.execute_wrapper(timed_sql):
        for _ in range(plan.repeats):
            in_sql.append(0.0)
            whole += timings_ms(trace, 1, 0, collect=False)
    wheel_maker_ms = timings_ms(lambda: trace(viewer=as_wheel_maker), plan.repeats, plan.warmup)
    down = trace(lot=scrap, direction=DOWN)
    down_ms = timings_ms(lambda: trace(lot=scrap, direction=DOWN), plan.repeats, plan.warmup)
    # Last, as the process would run without the start-up hook: the frozen heap back in the
    # oldest generation, where every full collection walks it.
    tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
    gc.unfreeze()
    unfrozen_ms = timings_ms(trace, plan.repeats, plan.warmup)

    print(
        f"remelt trace benchmark "
        f"({'quick: smaller graph, targets are for the full' if quick else 'full'} run) "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
    print(
        f"PostgreSQL {facts['server_version']}, shared_buffers={facts['shared_buffers']}, "
        f"work_mem={facts['work_mem']}, jit={facts['jit']}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, DEBUG={settings.DEBUG}; load average {load_before[0]:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end"
    )
    print(
        f"process as served: start-up heap frozen by config.startup.freeze_startup_heap (as config/wsgi.py "
        f"does), {frozen:,} objects; {tracked:,} others tracked by the collector at the end of the run"
    )
    print(
        f"graph: {plan.copies} copies, {Lot.objects.count():,} lots, {loop.events:,} events; traced up from "
        f"{root.code}: {len(up.nodes)} nodes, {len(up.edges)} edges, {len(up.additions)} additions, "
        f"{len(rows)} rows, {queries_label} per trace; leaves add up to {leaves}"
    )
    print(
        f"down from {scrap.code}: {len(down.nodes)} nodes, {len(down.edges)} edges; "
        f"{plan.repeats} timed runs each"
    )
    print()
    rows_out = []
    for label, raw_t, trace_t in (("", raw_ms, trace_ms), (", interleaved", raw_again, trace_again)):
        ratio = p(trace_t, 99) / p(raw_t, 99)
        rows_out += [
            (
                f"raw walk_sql statement (cursor){label}",
                f"{p(raw_t, 50):.2f}",
                f"{p(raw_t, 99):.2f}",
                "",
                "(baseline)",
                "",
            ),
            (
                f"lot_trace up, auditor{label}",
                f"{p(trace_t, 50):.2f}",
                f"{p(trace_t, 99):.2f}",
                f"{ratio:.2f}x",
                f"p99 <= {P99_TARGET_MS:g} ms, <= {RATIO_TARGET:g}x raw",
                verdict(p(trace_t, 99) <= P99_TARGET_MS and ratio <= RATIO_TARGET),
            ),
        ]
    python_ms = [total - sql_ms for total, sql_ms in zip(whole, in_sql, strict=True)]
    rows_out += [
        (
            "lot_trace up, auditor, garbage collector paused",
            f"{p(no_gc_ms, 50):.2f}",
            f"{p(no_gc_ms, 99):.2f}",
            f"{p(no_gc_ms, 99) / p(raw_ms, 99):.2f}x",
            "(info)",
            "",
        ),
        (
            "lot_trace up, auditor, start-up heap not frozen",
            f"{p(unfrozen_ms, 50):.2f}",
            f"{p(unfrozen_ms, 99):.2f}",
            f"{p(unfrozen_ms, 99) / p(raw_ms, 99):.2f}x",
            "(info)",
            "",
        ),
        (
            "lot_trace up, auditor, whole (SQL timed)",
            f"{p(whole, 50):.2f}",
            f"{p(whole, 99):.2f}",
            "",
            "(info)",
            "",
        ),
        (
            f"  in its {queries_label}",
            f"{p(in_sql, 50):.2f}",
            f"{p(in_sql, 99):.2f}",
            "",
            "(info)",
            "",
        ),
        ("  in Python (the rest)", f"{p(python_ms, 50):.2f}", f"{p(python_ms, 99):.2f}", "", "(info)", ""),
        (
            "lot_trace up, wheel maker (visibility)",
            f"{p(wheel_maker_ms, 50):.2f}",
            f"{p(wheel_maker_ms, 99):.2f}",
            f"{p(wheel_maker_ms, 99) / p(raw_ms, 99):.2f}x",
            "(info)",
            "",
        ),
        (
            f"lot_trace down from a scrap lot, auditor ({len(down.nodes)} nodes)",
            f"{p(down_ms, 50):.2f}",
            f"{p(down_ms, 99):.2f}",
            "",
            "(info)",
            "",
        ),
    ]
    print_table(rows_out)


def main(quick: bool) -> None:
    db = settings_db("bench/trace.py")
    log(f"recreating database {db['NAME']} and migrating")
    create_database(db)
    try:
        run(QUICK if quick else FULL, quick)
    finally:
        log(f"dropping database {db['NAME']}")
        drop_database(db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller smoke run")
    arguments = parser.parse_args()
    django.setup()
    from config.startup import freeze_startup_heap

    freeze_startup_heap()
    main(arguments.quick)
