"""Ledger benchmarks: appends (single and batched) against plain INSERTs, and chain verification.

Run against a throw-away PostgreSQL database; the script drops and recreates the database named
in DATABASE_URL (its name must contain "bench"), migrates it, and drops it again at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench .venv/bin/python bench/ledger.py [--quick]

Progress goes to stderr; the results table goes to stdout. See bench/README.md.
"""

import argparse
import gc
import hashlib
import itertools
import json
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
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

import django  # noqa: E402
from benchdb import admin_connection, create_database, drop_database, settings_db  # noqa: E402

ENTRY_TYPE = "bench.note"
ACTOR = "system"
BATCH = 100
FILL_BATCH = 1000


@dataclass(frozen=True)
class Plan:
    """How long and how big each measurement is."""

    seconds: float
    warmup: int
    verify_small: int
    verify_large: int
    verify_repeats: int


FULL = Plan(seconds=5.0, warmup=20, verify_small=20_000, verify_large=200_000, verify_repeats=3)
QUICK = Plan(seconds=0.5, warmup=5, verify_small=10_000, verify_large=20_000, verify_repeats=1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- database lifecycle -------------------------------------------------------------------------


RAW_TABLE_SQL = """
CREATE TABLE bench_raw_entry (LIKE ledger_entry INCLUDING ALL);
ALTER TABLE bench_raw_entry ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY;
ALTER TABLE bench_raw_entry ADD FOREIGN KEY (organisation_id) REFERENCES accounts_organisation (id);
"""
RAW_COLUMNS = (
    "type, organisation_id, actor, occurred_at, recorded_at, prev_hash, hash, payload_sha256, header, payload"
)
RAW_ROW = "(" + ", ".join(["%s"] * 10) + ")"
RAW_INSERT_ONE = f"INSERT INTO bench_raw_entry ({RAW_COLUMNS}) VALUES {RAW_ROW}"
RAW_INSERT_BATCH = f"INSERT INTO bench_raw_entry ({RAW_COLUMNS}) VALUES " + ", ".join([RAW_ROW] * BATCH)


def setup_schema():
    """Migrate, create the raw-baseline table and the organisation the entries are posted by."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Organisation

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(RAW_TABLE_SQL)
    return Organisation.objects.create(slug="benchco", name="Bench Co", roles=["recycler"])


def server_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        facts = {}
        for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers", "work_mem"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


# --- workloads ----------------------------------------------------------------------------------


def payload(i: int) -> dict:
    return {
        "lot": f"LOT-{i:09d}",
        "mass_kg": f"{1000 + i % 9000}.250",
        "alloy": "6063",
        "grade": "taint-tabor",
        "source": "post-consumer",
        "n": i,
    }


class Workloads:
    """The operations being timed; one call = one transaction. Counters are shared by threads."""

    def __init__(self, org) -> None:
        from django.utils import timezone
        from remelt_verify.chain import seal

        self.org = org
        self.counter = itertools.count(1)  # next() is atomic under the GIL
        # The raw baseline stores bytes of the same sizes as real entries, computed once.
        now = timezone.now()
        sealed = seal(
            seq=1,
            prev_hash="0" * 64,
            type=ENTRY_TYPE,
            org=org.slug,
            actor=ACTOR,
            occurred_at=now,
            recorded_at=now,
            payload=payload(100_000_000),
        )
        self.header_bytes = sealed.header_bytes
        self.payload_bytes = sealed.payload_bytes
        self.payload_sha256 = sealed.header["payload_sha256"]
        self.prev_hash = sealed.hash

    def ledger_one(self) -> int:
        from django.db import transaction
        from django.utils import timezone

        from ledger.services import entry_append

        i = next(self.counter)
        with transaction.atomic():
            entry_append(
                type=ENTRY_TYPE,
                organisation=self.org,
                actor=ACTOR,
                occurred_at=timezone.now(),
                data=payload(i),
            )
        return 1

    def ledger_batch(self, size: int = BATCH) -> int:
        from django.db import transaction
        from django.utils import timezone

        from ledger.services import Draft, entries_append

        now = timezone.now()
        drafts = [
            Draft(
                type=ENTRY_TYPE,
                organisation=self.org,
                actor=ACTOR,
                occurred_at=now,
                data=payload(next(self.counter)),
            )
            for _ in range(size)
        ]
        with transaction.atomic():
            entries_append(drafts=drafts)
        return size

    def _raw_row(self, now) -> tuple:
        return (
            ENTRY_TYPE,
            self.org.pk,
            ACTOR,
            now,
            now,
            self.prev_hash,
            f"{next(self.counter):064x}",  # unique, like a real hash, but not hashed
            self.payload_sha256,
            self.header_bytes,
            self.payload_bytes,
        )

    def raw_one(self) -> int:
        from django.db import connection, transaction
        from django.utils import timezone

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_INSERT_ONE, self._raw_row(timezone.now()))
        return 1

    def raw_one_locked(self) -> int:
        """The raw insert with the head lock taken first: the least any serialised append does.

        A chained append must read the head under a lock held until its commit, so the commits
        of concurrent appends can never share a WAL flush; this is that floor, without hashing.
        """
        from django.db import connection, transaction
        from django.utils import timezone

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE")
            cursor.execute(RAW_INSERT_ONE, self._raw_row(timezone.now()))
        return 1

    def raw_batch(self) -> int:
        from django.db import connection, transaction
        from django.utils import timezone

        now = timezone.now()
        params = [value for _ in range(BATCH) for value in self._raw_row(now)]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_INSERT_BATCH, params)
        return BATCH


def rate(operation: Callable[[], int], *, writers: int, seconds: float, warmup: int) -> float:
    """Entries per second of `operation` run in a loop by `writers` threads, each on its own connection."""
    from django.db import connections

    barrier = threading.Barrier(writers + 1)
    deadline = [0.0]
    counts = [0] * writers
    finished = [0.0] * writers
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for _ in range(warmup):
                operation()
            barrier.wait()
            done = 0
            while time.perf_counter() < deadline[0]:
                done += operation()
            counts[index] = done
            finished[index] = time.perf_counter()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()  # this thread's connections only

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    try:
        # Set the deadline before releasing the writers, so they all see it.
        deadline[0] = time.perf_counter() + 3600
        barrier.wait()
        start = time.perf_counter()
        deadline[0] = start + seconds
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sum(counts) / (max(finished) - start)


# --- verification -------------------------------------------------------------------------------


def chain_length() -> int:
    from ledger.models import LedgerHead

    return LedgerHead.objects.get(pk=1).seq


def fill_to(work: Workloads, target: int) -> None:
    length = chain_length()
    started = time.perf_counter()
    while length < target:
        length += work.ledger_batch(min(FILL_BATCH, target - length))
    log(f"chain has {length:,} entries (filled in {time.perf_counter() - started:.1f} s)")


def _verify_ok(expected: int) -> None:
    from ledger.selectors import chain_verify

    report = chain_verify()
    if not report.ok or report.count != expected:
        raise RuntimeError(f"chain_verify did not verify {expected} entries: {report}")


def time_verify(expected: int, repeats: int, *, in_transaction: bool = False) -> float:
    """Median entries/s of chain_verify() over `repeats` runs."""
    from django.db import transaction

    rates = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        if in_transaction:
            with transaction.atomic():
                _verify_ok(expected)
        else:
            _verify_ok(expected)
        rates.append(expected / (time.perf_counter() - start))
    return statistics.median(rates)


def verify_tracemalloc_peak(expected: int) -> int:
    """Peak bytes allocated by Python while chain_verify() runs (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        _verify_ok(expected)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def verify_rss_growth(expected: int) -> tuple[int, int]:
    """(peak RSS before, growth of peak RSS) in bytes across chain_verify() in a fresh Python process."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script, fixed arguments
        [sys.executable, str(Path(__file__).resolve()), "--verify-child", str(expected)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"verify child failed: {completed.stderr}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["before"], result["growth"]


def peak_rss() -> int:
    """This process's peak resident set size in bytes.

    On Linux this is VmHWM of /proc/self/status. ru_maxrss would be wrong here: a child started
    by fork+exec inherits the parent's high-water mark (the kernel carries the old mm's peak into
    signal->maxrss at exec), so in a child of a big parent it does not move at all.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def verify_child(expected: int) -> None:
    """Entry point of the subprocess: only measures, never creates or drops anything."""
    settings_db("bench/ledger.py")
    from ledger.models import LedgerHead

    LedgerHead.objects.get(pk=1)  # connect and warm the ORM before the baseline
    gc.collect()
    before = peak_rss()
    _verify_ok(expected)
    print(json.dumps({"before": before, "growth": peak_rss() - before}))


def bare_sha256_rate(expected: int, repeats: int) -> float:
    """Entries/s of streaming header and payload bytes with a plain server-side cursor and hashing them."""
    from django.db import connection, transaction

    sha256 = hashlib.sha256
    rates = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        count = 0
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor(name="bench_bare_sha256") as cursor:
                cursor.itersize = 5000
                cursor.execute("SELECT header, payload FROM ledger_entry ORDER BY seq")
                for header, payload_bytes in cursor:
                    sha256(b"\x00" + header).hexdigest()
                    sha256(payload_bytes).hexdigest()
                    count += 1
        if count != expected:
            raise RuntimeError(f"bare SHA-256 streamed {count} entries, expected {expected}")
        rates.append(expected / (time.perf_counter() - start))
    return statistics.median(rates)


# --- report -------------------------------------------------------------------------------------


def per_second(value: float) -> str:
    return f"{value:,.0f}/s"


def mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measurement", "ledger", "baseline", "ratio", "target", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3}

    def line(row):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


BENCHMARKS = ("single", "batched", "verify")
FLAT_LIMIT = 1.5  # "flat": 10x the entries may cost at most 1.5x the peak memory


def main(quick: bool, only: list[str]) -> None:
    plan = QUICK if quick else FULL
    db = settings_db("bench/ledger.py")
    # Two runs on the same database would drop each other's: hold a session advisory lock
    # (on the maintenance database, so it outlives our own database) for the whole run.
    with admin_connection(db) as guard:
        key = f"remelt bench/ledger.py {db['NAME']}"
        if not guard.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [key]).fetchone()[0]:
            sys.exit(f"another bench/ledger.py run is using database {db['NAME']}; try again later")
        log(f"recreating database {db['NAME']} and migrating")
        create_database(db)
        try:
            run(plan, quick, only)
        finally:
            log(f"dropping database {db['NAME']}")
            drop_database(db)


def measure_rates(
    work: Workloads, plan: Plan, cases: list[tuple[str, Callable[[], int], int]]
) -> list[float]:
    rates = []
    for label, operation, writers in cases:
        log(f"{label} for {plan.seconds:g} s")
        rates.append(rate(operation, writers=writers, seconds=plan.seconds, warmup=plan.warmup))
        log(f"  {per_second(rates[-1])}")
    return rates


def single_rows(work: Workloads, plan: Plan) -> list[tuple[str, ...]]:
    one, raw_one, eight, raw_eight, floor_eight = measure_rates(
        work,
        plan,
        [
            ("single append, 1 writer", work.ledger_one, 1),
            ("raw single insert, 1 writer", work.raw_one, 1),
            ("single append, 8 writers", work.ledger_one, 8),
            ("raw single insert, 8 writers", work.raw_one, 8),
            ("raw single insert under the head lock, 8 writers", work.raw_one_locked, 8),
        ],
    )
    return [
        ("single append, 1 writer", per_second(one), per_second(raw_one), f"{one / raw_one:.2f}x", "", ""),
        (
            "single append, 8 writers",
            per_second(eight),
            per_second(raw_eight),
            f"{eight / raw_eight:.2f}x",
            ">= 0.5x raw",
            verdict(eight / raw_eight >= 0.5),
        ),
        (
            "  floor: raw insert under head lock, 8",
            per_second(floor_eight),
            per_second(raw_eight),
            f"{floor_eight / raw_eight:.2f}x",
            "(info: ceiling of any chained append)",
            "",
        ),
    ]


def batched_rows(work: Workloads, plan: Plan) -> list[tuple[str, ...]]:
    batched, raw_batched = measure_rates(
        work,
        plan,
        [("batched append", work.ledger_batch, 1), ("raw batched insert", work.raw_batch, 1)],
    )
    return [
        (
            f"batched append ({BATCH}/tx), 1 writer",
            per_second(batched),
            per_second(raw_batched),
            f"{batched / raw_batched:.2f}x",
            ">= 5,000/s",
            verdict(batched >= 5000),
        )
    ]


@dataclass(frozen=True)
class VerifyFigures:
    entries: int
    rate: float
    bare_sha256_rate: float
    tracemalloc_peak: int
    rss_before: int
    rss_growth: int


def verify_figures(entries: int, repeats: int, *, also_in_transaction: bool = False) -> tuple:
    """Verification figures at the current chain length, and optionally the rate inside atomic()."""
    log(f"verify at {entries:,} entries")
    verify_rate = time_verify(entries, repeats)
    rate_tx = time_verify(entries, repeats, in_transaction=True) if also_in_transaction else None
    sha_rate = bare_sha256_rate(entries, repeats)
    peak = verify_tracemalloc_peak(entries)
    rss_before, rss_growth = verify_rss_growth(entries)
    return VerifyFigures(entries, verify_rate, sha_rate, peak, rss_before, rss_growth), rate_tx


def verify_rows(small: VerifyFigures, large: VerifyFigures, large_tx_rate: float) -> list[tuple[str, ...]]:
    rows = [
        (
            f"verify {figures.entries:,} entries",
            per_second(figures.rate),
            per_second(figures.bare_sha256_rate),
            f"{figures.rate / figures.bare_sha256_rate:.2f}x",
            ">= 100,000/s",
            verdict(figures.rate >= 100_000),
        )
        for figures in (small, large)
    ]
    rows.append(
        (
            f"verify {large.entries:,}, inside atomic()",
            per_second(large_tx_rate),
            per_second(large.bare_sha256_rate),
            f"{large_tx_rate / large.bare_sha256_rate:.2f}x",
            "(info)",
            "",
        )
    )
    rows += [
        (f"verify peak, tracemalloc, {small.entries:,}", mib(small.tracemalloc_peak), "", "", "", ""),
        (
            f"verify peak, tracemalloc, {large.entries:,}",
            mib(large.tracemalloc_peak),
            "",
            f"{large.tracemalloc_peak / small.tracemalloc_peak:.2f}x",
            f"flat: <= {FLAT_LIMIT}x the {small.entries:,} peak",
            verdict(large.tracemalloc_peak <= FLAT_LIMIT * small.tracemalloc_peak),
        ),
        (
            f"verify peak RSS growth, {small.entries:,}",
            mib(small.rss_growth),
            f"from {mib(small.rss_before)}",
            "",
            "",
            "",
        ),
        (
            f"verify peak RSS growth, {large.entries:,}",
            mib(large.rss_growth),
            f"from {mib(large.rss_before)}",
            f"{large.rss_growth / small.rss_growth:.2f}x" if small.rss_growth else "n/a",
            f"flat: <= {FLAT_LIMIT}x the {small.entries:,} growth",
            verdict(large.rss_growth <= FLAT_LIMIT * max(small.rss_growth, 2**20)),
        ),
    ]
    return rows


def run(plan: Plan, quick: bool, only: list[str]) -> None:
    from django.conf import settings

    load_before = os.getloadavg()
    org = setup_schema()
    facts = server_facts()
    work = Workloads(org)
    rows = []

    if "verify" in only:  # the short chain first, while the chain is exactly that long
        fill_to(work, plan.verify_small)
        small, _ = verify_figures(plan.verify_small, plan.verify_repeats)
    if "single" in only:
        rows += single_rows(work, plan)
    if "batched" in only:
        rows += batched_rows(work, plan)
    if "verify" in only:
        fill_to(work, plan.verify_large)
        large, large_tx_rate = verify_figures(
            plan.verify_large, plan.verify_repeats, also_in_transaction=True
        )
        rows += verify_rows(small, large, large_tx_rate)

    print(
        f"remelt ledger benchmark ({'quick' if quick else 'full'} run, {plan.seconds:g} s per rate) "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
    print(
        f"PostgreSQL {facts['server_version']}, fsync={facts['fsync']}, "
        f"synchronous_commit={facts['synchronous_commit']}, shared_buffers={facts['shared_buffers']}; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, DEBUG={settings.DEBUG}; "
        f"load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print(
        "baseline: raw = plain INSERT into bench_raw_entry (same columns and indexes, no hashing, "
        "no head lock); verify = bare SHA-256 of the same bytes from a server-side cursor"
    )
    print()
    print_table(rows)


def _benchmarks(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(BENCHMARKS)} (comma-separated)")
    return names


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~10x smaller smoke run")
    parser.add_argument(
        "--only",
        type=_benchmarks,
        default=list(BENCHMARKS),
        help="comma-separated subset of: " + ", ".join(BENCHMARKS) + " (default: all)",
    )
    parser.add_argument("--verify-child", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    django.setup()
    if arguments.verify_child is not None:
        verify_child(arguments.verify_child)
    else:
        main(arguments.quick, arguments.only)
