"""Roll-up benchmark: full roll-ups at 10,000 and 100,000 parts, and one new part run rolled up alone.

Run against a throw-away PostgreSQL database; the script drops and recreates the database named
in DATABASE_URL (its name must contain "bench"), migrates it, and drops it again at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench_rollup .venv/bin/python bench/rollup.py

The material record is built through the real services (`events_record`, batches of events in one
transaction each), as a recycler and a wheel maker would post it: scrap receipts → melts → ingots
→ custody transfer to the wheel maker → part runs of 100 wheels with internal scrap. `--quick`
makes everything ten times smaller (a smoke test); `--profile` runs the 100,000-part full roll-up
and one incremental roll-up under cProfile (their timings then include the profiler's overhead).

Progress goes to stderr; the results table goes to stdout.
"""

import argparse
import cProfile
import gc
import os
import platform
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
# Production runs with DEBUG off; with DEBUG on, Django formats and keeps every query it runs,
# which would be measured too (and hold hundreds of MiB). An explicit DEBUG=true is respected.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# No broker: Celery tasks would run eagerly in this process, never on some worker elsewhere
# that could roll up behind the benchmark's back. (Generation also disables the task itself.)
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402
from benchdb import create_database, drop_database, log, machine_facts, rollups_off, server_facts, settings_db  # noqa: E402

SEED = 20261123
PARTS_PER_RUN = 100
SCRAP_PER_MELT = 10
INGOTS_PER_MELT = 5
INCREMENTAL_REPEATS = 5
SCRAP_BATCH = 100  # events per events_record call (one transaction)
RUN_BATCH = 50  # part runs per call: 5,000 wheels in one transaction

FULL_TARGET_S = 60.0  # full roll-up of 100,000 parts
INCREMENTAL_TARGET_S = 0.5  # one new run of 100 parts
LINEAR_LIMIT = 12.0  # 10x the parts may cost at most 12x the time (10x = linear)

RECYCLER = "alurec"
WHEEL_MAKER = "wheelworks"
SUPPLIERS = ("scrapco", "guangzhou-metals", "ningbo-recycling", "Hebei Scrap Trading", "Foshan Diecast")
SCRAP_GRADES = {
    "post_consumer": ("wheels", "ISRI Tense", "ISRI Taint/Tabor", "UBC"),
    "pre_consumer": ("ISRI Tense", "extrusion offcuts", "diecast runners"),
}
WHEELS = {"AW-17-5H": 9_200, "AW-18-6S": 10_400, "AW-19-5Y": 11_100}  # part number: nominal grams
TRANSPORT = (("truck", 50, 600), ("rail", 300, 1_500), ("ship", 800, 3_000))  # mode, km from, km to


@dataclass(frozen=True)
class Plan:
    """How big the graph is. The first stage is one chunk, the whole graph `chunks` chunks."""

    chunks: int
    scrap_per_chunk: int  # melts per chunk = scrap / 10, ingots = melts x 5, runs = ingots

    @property
    def melts_per_chunk(self) -> int:
        return self.scrap_per_chunk // SCRAP_PER_MELT

    @property
    def runs_per_chunk(self) -> int:
        return self.melts_per_chunk * INGOTS_PER_MELT

    @property
    def parts_per_chunk(self) -> int:
        return self.runs_per_chunk * PARTS_PER_RUN


FULL = Plan(chunks=10, scrap_per_chunk=200)  # 2,000 scrap, 200 melts, 1,000 ingots, 100,000 wheels
QUICK = Plan(chunks=10, scrap_per_chunk=20)  # 200 scrap, 20 melts, 100 ingots, 10,000 wheels


# --- the material record ------------------------------------------------------------------------


def kg(grams: int) -> str:
    from ledger.quantities import format_kg

    return format_kg(grams)


def whole_kg(grams: float) -> int:
    """Grams rounded to the kilogram, as a weighbridge would report them."""
    return int(round(grams / 1000)) * 1000


class Loop:
    """Posts the closed loop's events through `events_record`, chunk by chunk; counts what it made."""

    def __init__(self, plan: Plan) -> None:
        from accounts.models import Role
        from accounts.services import organisation_create

        self.plan = plan
        self.rng = random.Random(SEED)
        self.recycler = organisation_create(slug=RECYCLER, name="Alurec Recycling", roles=[Role.RECYCLER])
        self.wheel_maker = organisation_create(slug=WHEEL_MAKER, name="Wheelworks", roles=[Role.WHEEL_MAKER])
        for slug in SUPPLIERS:
            if slug.islower():  # the others are suppliers not on the platform, named in receipts
                organisation_create(slug=slug, name=slug.title(), roles=[Role.SCRAP_SUPPLIER])
        self.scrap_made = self.melts_made = self.ingots_made = self.runs_made = self.parts_made = 0
        self.events = 0
        self.ingots: list[str] = []  # at the wheel maker, in casting order

    def record(self, organisation, events: list[tuple[str, dict]], batch: int) -> None:
        from django.utils import timezone

        from ledger.services import EventInput, events_record

        for start in range(0, len(events), batch):
            now = timezone.now()
            chunk = [EventInput(kind, now, data) for kind, data in events[start : start + batch]]
            events_record(organisation=organisation, actor="user:bench", events=chunk)
            self.events += len(chunk)

    def supplier(self) -> dict:
        """A receipt's supplier: an organisation on the platform by its slug, or one that is not by name."""
        name = self.rng.choice(SUPPLIERS)
        return {"supplier": name} if name.islower() else {"supplier_name": name}

    def transport(self) -> dict:
        mode, low, high = self.rng.choices(TRANSPORT, weights=(70, 20, 10))[0]
        return {"distance_km": str(self.rng.randint(low, high)), "mode": mode}

    def chunk(self) -> None:
        """One tenth of the graph: scrap, melts, ingots, their transfer, part runs from them."""
        scrap = self.receive_scrap(self.plan.scrap_per_chunk)
        melts = self.melt(scrap)
        ingots = self.cast(melts)
        self.transfer(ingots)
        self.produce(ingots)

    def receive_scrap(self, count: int) -> list[tuple[str, int]]:
        events, lots = [], []
        for _ in range(count):
            self.scrap_made += 1
            code = f"SCR-B-{self.scrap_made:06d}"
            category = "post_consumer" if self.rng.random() < 0.7 else "pre_consumer"
            grams = self.rng.randint(5_000, 25_000) * 1000
            lots.append((code, grams))
            events.append(
                (
                    "scrap.received",
                    {
                        "code": code,
                        **self.supplier(),
                        "grade": self.rng.choice(SCRAP_GRADES[category]),
                        "category": category,
                        "mass_kg": kg(grams),
                        "origin": self.rng.choice(("Guangdong", "Zhejiang", "Hebei", "Jiangsu")),
                        "transport": self.transport(),
                        "documents": [f"WB-{self.scrap_made:07d}"],
                    },
                )
            )
        self.record(self.recycler, events, SCRAP_BATCH)
        return lots

    def melt(self, scrap: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """Each melt takes most of ten scrap lots, with primary metal, Si and Mg to trim the alloy."""
        events, melts = [], []
        for start in range(0, len(scrap), SCRAP_PER_MELT):
            self.melts_made += 1
            code = f"MLT-B-{self.melts_made:05d}"
            inputs = [
                (lot, whole_kg(grams * self.rng.uniform(0.85, 1.0)))
                for lot, grams in scrap[start : start + SCRAP_PER_MELT]
            ]
            scrap_g = sum(grams for _lot, grams in inputs)
            additions = [
                ("primary_aluminium", whole_kg(scrap_g * self.rng.uniform(0.03, 0.10))),
                ("silicon", whole_kg(scrap_g * self.rng.uniform(0.005, 0.015))),
                ("magnesium", whole_kg(scrap_g * self.rng.uniform(0.001, 0.003))),
            ]
            charged_g = scrap_g + sum(grams for _material, grams in additions)
            charged_t = charged_g / 1_000_000
            output_g = whole_kg(charged_g * self.rng.uniform(0.90, 0.97))
            melts.append((code, output_g))
            events.append(
                (
                    "melt.recorded",
                    {
                        "code": code,
                        "furnace": self.rng.choice(("TC-65", "TC-40", "RV-2")),
                        "inputs": [{"lot": lot, "mass_kg": kg(grams)} for lot, grams in inputs],
                        "additions": [{"material": m, "mass_kg": kg(grams)} for m, grams in additions],
                        # Reverberatory furnace: ~70-100 m3 gas and ~80-130 kWh per tonne charged.
                        "energy": {
                            "natural_gas_m3": f"{charged_t * self.rng.uniform(70, 100):.3f}",
                            "electricity_kwh": f"{charged_t * self.rng.uniform(80, 130):.3f}",
                        },
                        "output_mass_kg": kg(output_g),
                        "dross_kg": kg(whole_kg((charged_g - output_g) * self.rng.uniform(0.6, 0.9))),
                    },
                )
            )
        self.record(self.recycler, events, SCRAP_BATCH)
        return melts

    def cast(self, melts: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """Each melt is cast whole into five A356.2 ingot lots (about 1 % casting loss)."""
        events, ingots = [], []
        for melt, melt_g in melts:
            per_ingot = whole_kg(melt_g * self.rng.uniform(0.985, 0.995) / INGOTS_PER_MELT)
            outputs = []
            for _ in range(INGOTS_PER_MELT):
                self.ingots_made += 1
                code = f"ING-B-{self.ingots_made:06d}"
                ingots.append((code, per_ingot))
                outputs.append(
                    {
                        "code": code,
                        "mass_kg": kg(per_ingot),
                        "alloy": "A356.2",
                        "chemistry": {
                            "Si": f"{self.rng.uniform(6.6, 7.4):.4f}",
                            "Mg": f"{self.rng.uniform(0.30, 0.40):.4f}",
                            "Fe": f"{self.rng.uniform(0.05, 0.11):.4f}",
                        },
                    }
                )
            melt_t = melt_g / 1_000_000
            events.append(
                (
                    "ingots.cast",
                    {
                        "inputs": [{"lot": melt, "mass_kg": kg(melt_g)}],
                        "outputs": outputs,
                        "energy": {
                            "natural_gas_m3": f"{melt_t * self.rng.uniform(10, 20):.3f}",
                            "electricity_kwh": f"{melt_t * self.rng.uniform(15, 30):.3f}",
                        },
                    },
                )
            )
        self.record(self.recycler, events, SCRAP_BATCH)
        return ingots

    def transfer(self, ingots: list[tuple[str, int]]) -> None:
        data = {"lots": [code for code, _grams in ingots], "to": WHEEL_MAKER, "transport": self.transport()}
        self.record(self.recycler, [("custody.transferred", data)], 1)
        self.ingots += [code for code, _grams in ingots]

    def part_run(self, ingot: str) -> dict:
        """About one tonne of an ingot lot → 100 wheels of ~10 kg, 6-10 % internal scrap, 1-3 % lost."""
        self.runs_made += 1
        part_number = self.rng.choice(tuple(WHEELS))
        nominal = WHEELS[part_number]
        parts, parts_g = [], 0
        for _ in range(PARTS_PER_RUN):
            self.parts_made += 1
            grams = round(nominal * self.rng.uniform(0.99, 1.01) / 10) * 10  # to 10 g
            parts_g += grams
            parts.append(
                {"serial": f"WH{self.parts_made:07d}", "mass_kg": kg(grams), "part_number": part_number}
            )
        scrap_share, loss_share = self.rng.uniform(0.06, 0.10), self.rng.uniform(0.01, 0.03)
        input_g = whole_kg(parts_g / (1 - scrap_share - loss_share)) + 1000
        return {
            "inputs": [{"lot": ingot, "mass_kg": kg(input_g)}],
            "parts": parts,
            "internal_scrap": {
                "code": f"WIS-B-{self.runs_made:06d}",
                "mass_kg": kg(whole_kg(input_g * scrap_share)),
            },
            # Low-pressure die casting, T6 heat treatment and machining: ~0.5-0.75 kWh per kg in.
            "energy": {
                "electricity_kwh": f"{input_g / 1000 * self.rng.uniform(0.5, 0.75):.3f}",
                "natural_gas_m3": f"{input_g / 1000 * self.rng.uniform(0.04, 0.08):.3f}",
            },
        }

    def produce(self, ingots: list[tuple[str, int]]) -> None:
        runs = [("parts.produced", self.part_run(code)) for code, _grams in ingots]
        self.record(self.wheel_maker, runs, RUN_BATCH)

    def one_more_run(self) -> None:
        """A single new run of 100 wheels, from an ingot lot that still has metal."""
        ingot = self.ingots[self.runs_made % len(self.ingots)]
        self.record(self.wheel_maker, [("parts.produced", self.part_run(ingot))], 1)


# --- measurements -------------------------------------------------------------------------------


def timed(operation: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = operation()
    return time.perf_counter() - start, result


def profiled(label: str, operation: Callable[[], object]) -> tuple[float, object]:
    """Like `timed`, under cProfile; prints the top 25 by cumulative time to stderr, keeps the stats."""
    profile = cProfile.Profile()
    gc.collect()
    start = time.perf_counter()
    result = profile.runcall(operation)
    seconds = time.perf_counter() - start
    path = Path(tempfile.gettempdir()) / f"bench-rollup-{label}.prof"
    profile.dump_stats(path)
    log(f"profile of {label} ({seconds:.2f} s with the profiler), saved to {path}:")
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)
    return seconds, result


def check_footprints(parts: int) -> None:
    """Every wheel made so far has exactly one current footprint, or the timing means nothing."""
    from passports.models import Footprint

    current = Footprint.objects.filter(lot__kind="part", superseded_at__isnull=True).count()
    if current != parts:
        raise RuntimeError(f"{current:,} current part footprints, expected {parts:,}")


@dataclass
class FullFigures:
    """A full roll-up at one size: first run (creates versions) and a second one with nothing new."""

    parts: int
    lots: int
    seconds: float
    versions: int
    again_seconds: float


def full_rollup(parts: int, profile: bool) -> FullFigures:
    from ledger.models import Lot
    from passports.services import rollup_run

    log(f"full roll-up at {parts:,} parts")
    seconds, run = (
        profiled(f"full-{parts}", lambda: rollup_run(full=True))
        if profile
        else timed(lambda: rollup_run(full=True))
    )
    log(
        f"  {seconds:.2f} s: {run.processes_computed:,} making entries computed, "
        f"{run.versions_created:,} versions created"
    )
    check_footprints(parts)
    again, rerun = timed(lambda: rollup_run(full=True))
    log(f"  again, nothing changed: {again:.2f} s, {rerun.versions_created:,} versions created")
    return FullFigures(parts, Lot.objects.count(), seconds, run.versions_created, again)


@dataclass
class IncrementalFigures:
    """Incremental roll-ups of one new part run each, and what recording that run cost."""

    seconds: list[float]
    record_seconds: list[float]
    queries: int
    record_queries: int


def incremental(loop: Loop, profile: bool) -> IncrementalFigures:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from passports.services import rollup_run

    seconds, record_seconds = [], []
    for attempt in range(INCREMENTAL_REPEATS):
        recorded, _ = timed(loop.one_more_run)
        took, run = timed(rollup_run)
        if run is None or run.versions_created != PARTS_PER_RUN:
            raise RuntimeError(
                f"incremental roll-up {attempt + 1} did not version {PARTS_PER_RUN} parts: {run}"
            )
        log(
            f"incremental roll-up {attempt + 1}: {took * 1000:.1f} ms "
            f"(recording the run took {recorded:.2f} s)"
        )
        seconds.append(took)
        record_seconds.append(recorded)
    # Counted on one more run, untimed: capturing the SQL has a cost of its own.
    with CaptureQueriesContext(connection) as recording:
        loop.one_more_run()
    with CaptureQueriesContext(connection) as rolling_up:
        rollup_run()
    if profile:
        loop.one_more_run()
        profiled("incremental", rollup_run)
    check_footprints(loop.parts_made)
    return IncrementalFigures(
        seconds, record_seconds, len(rolling_up.captured_queries), len(recording.captured_queries)
    )


# --- report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measurement", "figure", "target", "verdict")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        cells = [cell.rjust(widths[i]) if i == 1 else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        return "  ".join(cells).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def report_rows(
    generation: list[tuple[int, int, float]], small: FullFigures, large: FullFigures, inc: IncrementalFigures
) -> list[tuple[str, ...]]:
    rows = [
        (f"generate to {parts:,} parts ({events:,} events)", f"{seconds:,.1f} s", "(info)", "")
        for parts, events, seconds in generation
    ]
    for figures in (small, large):
        rows.append(
            (
                f"full roll-up, {figures.parts:,} parts ({figures.lots:,} lots, "
                f"{figures.versions:,} new versions)",
                f"{figures.seconds:.2f} s",
                f"<= {FULL_TARGET_S:g} s" if figures is large else "(info)",
                verdict(figures.seconds <= FULL_TARGET_S) if figures is large else "",
            )
        )
    ratio = large.seconds / small.seconds
    rows.append(
        (
            f"full roll-up ratio, {large.parts:,} / {small.parts:,} parts",
            f"{ratio:.2f}x",
            f"~10x (linear), <= {LINEAR_LIMIT:g}x",
            verdict(ratio <= LINEAR_LIMIT),
        )
    )
    for figures in (small, large):
        rows.append(
            (
                f"full roll-up again, nothing changed, {figures.parts:,} parts",
                f"{figures.again_seconds:.2f} s",
                "(info)",
                "",
            )
        )
    median, worst = statistics.median(inc.seconds), max(inc.seconds)
    rows += [
        (
            f"incremental, one new run of {PARTS_PER_RUN} parts, median of {len(inc.seconds)}",
            f"{median * 1000:.1f} ms",
            f"<= {INCREMENTAL_TARGET_S * 1000:g} ms",
            verdict(median <= INCREMENTAL_TARGET_S),
        ),
        (
            f"incremental, one new run of {PARTS_PER_RUN} parts, max of {len(inc.seconds)}",
            f"{worst * 1000:.1f} ms",
            f"<= {INCREMENTAL_TARGET_S * 1000:g} ms",
            verdict(worst <= INCREMENTAL_TARGET_S),
        ),
        ("incremental roll-up, SQL queries", f"{inc.queries:,}", "(info)", ""),
        (
            f"events_record of that run ({PARTS_PER_RUN} parts), median",
            f"{statistics.median(inc.record_seconds) * 1000:.1f} ms",
            "(info)",
            "",
        ),
        ("events_record of that run, SQL queries", f"{inc.record_queries:,}", "(info)", ""),
    ]
    return rows


# --- main ---------------------------------------------------------------------------------------


def run(plan: Plan, quick: bool, profile: bool) -> None:
    from django.conf import settings
    from django.core.management import call_command

    load_before = os.getloadavg()
    call_command("migrate", verbosity=0, interactive=False)
    facts = server_facts()
    # The measured roll-ups are the only carbon computation: entries stay pending until rollup_run().
    rollups_off()

    loop = Loop(plan)
    generation = []
    started = time.perf_counter()
    log(f"generating the first stage ({plan.parts_per_chunk:,} parts)")
    loop.chunk()
    generation.append((loop.parts_made, loop.events, time.perf_counter() - started))
    log(f"  {generation[-1][2]:.1f} s, {loop.events:,} events")
    small = full_rollup(loop.parts_made, profile=False)

    started = time.perf_counter()
    for index in range(1, plan.chunks):
        loop.chunk()
        log(
            f"  chunk {index + 1}/{plan.chunks}: {loop.parts_made:,} parts, {loop.events:,} events, "
            f"{time.perf_counter() - started:.1f} s"
        )
    generation.append((loop.parts_made, loop.events, generation[0][2] + time.perf_counter() - started))
    large = full_rollup(loop.parts_made, profile=profile)
    inc = incremental(loop, profile)

    print(
        f"remelt roll-up benchmark ({'quick: 10x smaller, targets are for the full' if quick else 'full'} "
        f"run{', under cProfile' if profile else ''}) {time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
    print(
        f"PostgreSQL {facts['server_version']}, fsync={facts['fsync']}, "
        f"synchronous_commit={facts['synchronous_commit']}, shared_buffers={facts['shared_buffers']}; "
        f"Python {platform.python_version()}, {machine_facts()}, DEBUG={settings.DEBUG}; "
        f"load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    print(
        f"graph: {loop.scrap_made:,} scrap lots -> {loop.melts_made:,} melts -> "
        f"{loop.ingots_made:,} ingot lots -> {loop.runs_made:,} part runs of {PARTS_PER_RUN} wheels "
        f"({loop.parts_made:,} parts, incremental runs included)"
    )
    print()
    print_table(report_rows(generation, small, large, inc))


def main(quick: bool, profile: bool) -> None:
    db = settings_db("bench/rollup.py")
    log(f"recreating database {db['NAME']} and migrating")
    create_database(db)
    try:
        run(QUICK if quick else FULL, quick, profile)
    finally:
        log(f"dropping database {db['NAME']}")
        drop_database(db)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 10x smaller smoke run")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the largest full roll-up and one incremental one"
    )
    arguments = parser.parse_args()
    django.setup()
    main(arguments.quick, arguments.profile)
