"""A month of an integrated wheel plant through the real services, measured at full size and at a tenth.

Run against throw-away PostgreSQL databases; the script drops and recreates the database named in
DATABASE_URL (its name must contain "bench") once for each size, migrates it, and drops it at the
end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/remelt_bench_plant .venv/bin/python bench/plant.py

The plant (the seeds' integrated plant: 300,000 t a year) for one month of 30 days:

- about 1,250 scrap receipts of ~20 t (16-24 t), trucks, rail and ships from named suppliers;
- about 385 melts of ~65 t out (68 t charged: scrap, the plant's own internal scrap, primary
  metal, Si and Mg; 4-5 % dross); the wheel line's melts feed the casting cells directly, the
  others are cast into ingot lots of ~6.5 t that are sold to a die caster every day;
- part runs of 200-400 wheels of three part numbers (10.4, 11.5 and 12.6 kg, each wheel at its
  part number's mass), about 900,000 wheels in all (30,000 a day) from ~80 % of the metal
  charged; the rest is internal scrap (gates, risers, rejects, chips), remelted in the next
  day's wheel melts, and losses;
- every day the day's wheels go to three automakers (custody transfers of up to 5,000 wheels,
  fewer when LEDGER_MAX_BATCH_ITEMS is lower: the runs are split between them), the day's
  ingots to the die caster, and a part run's energy reading is corrected (lot.amended); every
  seventh day a receipt's transport is too.

Events are posted as the plant's systems would: per shift, in batches of at most
LEDGER_MAX_BATCH_ITEMS items (events_record, one transaction each). `--scale 0.1` is a tenth
(3 days), `--quick` a CI smoke run (0.002: two days of 900 wheels). Every figure is measured
at the scale asked and at a tenth of it, in its own database, and printed with the ratio.

What is timed, in order, for each size: the load of every day but the last (the database
analyzed at the end of each day, as autovacuum would in production, untimed); a raw `COPY` of the
rows it wrote (every ledger table, into copies with the same indexes); a full roll-up and a single
SQL pass over the graph; the last day's load and its incremental roll-up; a full roll-up again
(it must change nothing: incremental equals full) and conservation of carbon (1e-9); a recall of
a scrap lot of three days before the last (CSV streamed through the auditor's page, its peak
memory) and of the month's first scrap lot; wheels' traces up, passports (API) and passport
pages; evidence bundles, each checked by the offline verifier, whose recomputation must give
the passport's numbers; `verify_ledger`; the database's size per wheel.

Progress goes to stderr; the results table goes to stdout.
"""

import argparse
import gc
import io
import json
import math
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
# No broker: roll-ups run only when the benchmark calls them (see `run`).
os.environ.pop("CELERY_BROKER_URL", None)
# The benchmark's clients make thousands of requests a minute on one key.
os.environ["API_THROTTLE_RATE"] = ""
# Requests go through django.test.Client, as "https://testserver".
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
# Bundles carry a signed checkpoint: a throw-away key and signer memory for the throw-away database.
os.environ.setdefault(
    "LEDGER_SIGNING_KEY",
    "PRIVATE+KEY+remelt.example/ledger+79831d08+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f",
)
SIGNER_STATE = tempfile.TemporaryDirectory(prefix="remelt-bench-plant-signer-")

import django  # noqa: E402
from benchdb import create_database, drop_database, log, machine_facts, rollups_off, server_facts, settings_db  # noqa: E402

SEED = 20261202
DAYS = 30
RECEIPTS_PER_DAY = 1250 / DAYS
MELTS_PER_DAY = 385 / DAYS
WHEELS_PER_DAY = 30_000
SHIFTS = 3
MELT_CHARGE_G = 68_000_000
INGOT_LOT_G = 6_500_000
TRANSFER_MAX = 5000  # lots per custody transfer (ledger.events.MAX_LIST), within the request limit
WHEELS = {"AW-17-5H": 10_400, "AW-18-6S": 11_500, "AW-19-5Y": 12_600}  # part number: grams
PLANT = "alucast"
AUTOMAKERS = ("autofab", "nordwagen", "sinomotor")
DIE_CASTER = "diecast-works"
AUDITOR = "certa"
SUPPLIERS = ("Guangzhou Metals", "Ningbo Recycling", "Hebei Scrap Trading", "Foshan Diecast", "Tianjin Alu")
GRADES = {
    "post_consumer": ("wheels", "ISRI Tense", "ISRI Taint/Tabor", "UBC"),
    "pre_consumer": ("extrusion offcuts", "diecast runners", "ISRI Tense"),
}
TRANSPORT = (("truck", 50, 600), ("rail", 300, 1_500), ("ship", 800, 3_000))

SAMPLES = 100  # timed requests per latency figure (--quick: 20), after a tenth as many untimed
BUNDLES = 3  # evidence bundles timed and checked: a wheel at random, two of an amended run

TARGETS = {
    "load": 20_000,  # wheels/s in batches
    "load_ratio": 0.3,  # of the raw COPY
    "full": 20_000,  # wheels/s
    "per_wheel_ratio": 1.2,  # full size / a tenth
    "incremental_s": 5.0,
    "recall_s": 3.0,
    "recall_wheels": 20_000,
    "p99_ms": 50.0,
    "bundle_bytes": 100_000,
    "db_bytes_per_wheel": 2_000,
    "verify": 100_000,  # entries/s
    "conservation": Decimal("1e-9"),
}


def kg(grams: int) -> str:
    from ledger.quantities import format_kg

    return format_kg(grams)


def whole_kg(grams: float) -> int:
    return int(round(grams / 1000)) * 1000


# --- the plant ----------------------------------------------------------------------------------


@dataclass
class Stock:
    """A lot the plant still has metal of, as its own systems track it."""

    code: str
    left_g: int


@dataclass
class Day:
    """What one day of the plant makes, by its counts (fractions carried to the next day)."""

    receipts: int
    melts: int
    wheels: int


def days_of(scale: float) -> list[Day]:
    """The plant's days at `scale` of a month: 30 days of full rate, fewer days for a smaller
    scale; below two days' worth, two days at a lower rate."""
    days = round(DAYS * scale)
    rate = 1.0
    if days < 2:
        days, rate = 2, DAYS * scale / 2
    plan, carry = [], [0.0, 0.0, 0.0]
    for _ in range(days):
        wanted = (RECEIPTS_PER_DAY * rate, MELTS_PER_DAY * rate, WHEELS_PER_DAY * rate)
        counts = []
        for index, value in enumerate(wanted):
            carry[index] += value
            whole = int(carry[index])
            carry[index] -= whole
            counts.append(whole)
        plan.append(Day(*counts))
    return plan


@dataclass
class Load:
    """Time spent posting, by kind of event, and what was made."""

    seconds: dict[str, float] = field(default_factory=dict)
    events: int = 0
    wheels: int = 0
    runs: int = 0
    receipts: int = 0
    melts: int = 0
    ingot_lots: int = 0
    transfers: int = 0
    amendments: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds


class Plant:
    """Posts the plant's month through `events_record`, day by day, shift by shift."""

    def __init__(self, scale: float) -> None:
        from accounts.models import Role
        from accounts.services import organisation_create

        self.rng = random.Random(SEED)
        self.days = days_of(scale)
        self.start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
            days=len(self.days) + 1
        )
        self.plant = organisation_create(
            slug=PLANT, name="Alucast Integrated", roles=[Role.RECYCLER, Role.WHEEL_MAKER]
        )
        self.automakers = [
            organisation_create(slug=slug, name=slug.title(), roles=[Role.OEM]) for slug in AUTOMAKERS
        ]
        organisation_create(slug=DIE_CASTER, name="Diecast Works", roles=[Role.WHEEL_MAKER])
        self.auditor = organisation_create(slug=AUDITOR, name="Certa Audit", roles=[Role.AUDITOR])
        self.load = Load()
        self.scrap: list[Stock] = []  # received scrap with metal left, oldest first
        self.internal: list[tuple[int, Stock]] = []  # (day made, internal scrap) for a wheel melt
        self.furnace: list[Stock] = []  # wheel-line melts with metal left, oldest first
        self.counters: dict[str, int] = {}
        self.first_melt_scrap: dict[int, list[str]] = {}  # day: scrap lots of its first wheel melt
        self.wheels_of_day: dict[int, list[str]] = {}
        self.runs_of_day: dict[int, list[tuple[str, str]]] = {}  # day: first and last wheel of each run
        self.amended: list[tuple[str, str]] = []  # an amended run's wheel named, and another of it
        self.ingots_today: list[str] = []

    def code(self, prefix: str, width: int = 6) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:0{width}d}"

    def post(self, kind: str, organisation, events: list[tuple[str, dict, datetime]]) -> None:
        """Post events in batches of at most LEDGER_MAX_BATCH_ITEMS items, timed under `kind`."""
        from django.conf import settings

        from ledger.services import EventInput, batch_cost, events_record

        limit = settings.LEDGER_MAX_BATCH_ITEMS
        batch: list = []
        cost = 0
        for entry_type, data, when in events:
            item = EventInput(entry_type, when, data)
            item_cost = batch_cost([item])
            if batch and cost + item_cost > limit:
                self._record(kind, organisation, batch, events_record)
                batch, cost = [], 0
            batch.append(item)
            cost += item_cost
        if batch:
            self._record(kind, organisation, batch, events_record)

    def _record(self, kind, organisation, batch, events_record) -> None:
        started = time.perf_counter()
        events_record(organisation=organisation, actor="system:mes", events=batch)
        self.load.add(kind, time.perf_counter() - started)
        self.load.events += len(batch)

    def transport(self) -> dict:
        mode, low, high = self.rng.choices(TRANSPORT, weights=(75, 15, 10))[0]
        return {"distance_km": str(self.rng.randint(low, high)), "mode": mode}

    # The day ------------------------------------------------------------------------------------

    def day(self, index: int) -> None:
        day = self.days[index]
        base = self.start + timedelta(days=index)
        wheels_left, melts_left, receipts_left = day.wheels, day.melts, day.receipts
        self.wheels_of_day[index], self.runs_of_day[index] = [], []
        for shift in range(SHIFTS):
            at = base + timedelta(hours=8 * shift)
            shifts_left = SHIFTS - shift
            receipts = receipts_left // shifts_left
            receipts_left -= receipts
            self.receive(receipts, at)
            wheels = wheels_left // shifts_left
            wheels_left -= wheels
            runs, wheel_melts = self.plan_runs(index, wheels, at + timedelta(hours=1))
            ingot_melts = max(0, melts_left // shifts_left - wheel_melts)
            melts_left -= wheel_melts + ingot_melts
            self.melt_for_ingots(ingot_melts, at + timedelta(hours=2))
            self.post("parts.produced", self.plant, runs)
            self.load.runs += len(runs)
        self.amend(index, base + timedelta(hours=22, minutes=30))
        self.ship(index, base + timedelta(hours=23))

    def receive(self, count: int, at: datetime) -> None:
        events = []
        for number in range(count):
            code = self.code("SCR-")
            category = "post_consumer" if self.rng.random() < 0.7 else "pre_consumer"
            grams = whole_kg(self.rng.uniform(16_000_000, 24_000_000))
            self.scrap.append(Stock(code, grams))
            events.append(
                (
                    "scrap.received",
                    {
                        "code": code,
                        "supplier_name": self.rng.choice(SUPPLIERS),  # not on remelt
                        "grade": self.rng.choice(GRADES[category]),
                        "category": category,
                        "mass_kg": kg(grams),
                        "origin": self.rng.choice(("Guangdong", "Zhejiang", "Hebei", "Jiangsu")),
                        "transport": self.transport(),
                        "documents": [f"WB-{code[4:]}"],
                    },
                    at + timedelta(minutes=number),
                )
            )
        self.load.receipts += count
        self.post("scrap.received", self.plant, events)

    def melt(self, internal: list[Stock], at: datetime, prefix: str) -> tuple[str, int, list[str]]:
        """One melt of ~68 t charged: the internal scrap given, then received scrap oldest first,
        trimmed with primary metal, Si and Mg (a receipt comes first if the yard is short)."""
        additions = [
            ("primary_aluminium", whole_kg(MELT_CHARGE_G * self.rng.uniform(0.01, 0.03))),
            ("silicon", whole_kg(MELT_CHARGE_G * self.rng.uniform(0.004, 0.008))),
            ("magnesium", whole_kg(MELT_CHARGE_G * self.rng.uniform(0.002, 0.004))),
        ]
        wanted = MELT_CHARGE_G - sum(grams for _material, grams in additions)
        inputs = [(lot.code, lot.left_g) for lot in internal]
        wanted -= sum(grams for _code, grams in inputs)
        while sum(lot.left_g for lot in self.scrap) < wanted:
            self.receive(1, at - timedelta(minutes=30))  # a truck the furnace waits for
        while wanted > 0 and self.scrap:
            lot = self.scrap[0]
            take = min(lot.left_g, wanted)
            inputs.append((lot.code, take))
            lot.left_g -= take
            wanted -= take
            if lot.left_g == 0:
                self.scrap.pop(0)
        charged = sum(grams for _code, grams in inputs) + sum(grams for _m, grams in additions)
        output = whole_kg(charged * self.rng.uniform(0.95, 0.96))
        code = self.code(prefix, 5)
        charged_t = charged / 1_000_000
        data = {
            "code": code,
            "furnace": self.rng.choice(("TC-65-1", "TC-65-2", "TC-65-3")),
            "inputs": [{"lot": lot, "mass_kg": kg(grams)} for lot, grams in inputs],
            "additions": [{"material": m, "mass_kg": kg(grams)} for m, grams in additions],
            # A 65 t tilting rotary furnace: ~70-90 m3 gas and ~40-60 kWh per tonne charged.
            "energy": {
                "natural_gas_m3": f"{charged_t * self.rng.uniform(70, 90):.3f}",
                "electricity_kwh": f"{charged_t * self.rng.uniform(40, 60):.3f}",
            },
            "output_mass_kg": kg(output),
            "dross_kg": kg(whole_kg((charged - output) * 0.8)),
        }
        self.post("melt.recorded", self.plant, [("melt.recorded", data, at)])
        self.load.melts += 1
        return code, output, [lot for lot, _grams in inputs]

    def plan_runs(self, day: int, wheels: int, at: datetime) -> tuple[list, int]:
        """The shift's part runs (events, not yet posted), melting for the wheel line as needed."""
        runs, melts = [], 0
        while wheels > 0:
            count = min(wheels, self.rng.randint(200, 400))
            wheels -= count
            part_number = self.rng.choice(tuple(WHEELS))
            grams = WHEELS[part_number]
            parts_g = count * grams
            input_g = whole_kg(parts_g / self.rng.uniform(0.79, 0.81)) + 1000
            while sum(lot.left_g for lot in self.furnace) < input_g:
                # The wheel line's melt takes yesterday's internal scrap (all of it, up to ~15 t).
                internal, held = [], 0
                while (
                    self.internal
                    and self.internal[0][0] < day
                    and held + self.internal[0][1].left_g <= 15_000_000
                ):
                    lot = self.internal.pop(0)[1]
                    internal.append(lot)
                    held += lot.left_g
                code, output, inputs = self.melt(internal, at, "MLT-W-")
                self.furnace.append(Stock(code, output))
                self.first_melt_scrap.setdefault(day, [lot for lot in inputs if lot.startswith("SCR-")])
                melts += 1
            inputs, needed = [], input_g
            while needed:
                lot = self.furnace[0]
                take = min(lot.left_g, needed)
                inputs.append({"lot": lot.code, "mass_kg": kg(take)})
                lot.left_g -= take
                needed -= take
                if lot.left_g == 0:
                    self.furnace.pop(0)
            serials = [self.code("WH", 8) for _ in range(count)]
            internal_g = whole_kg(input_g * self.rng.uniform(0.16, 0.18))
            internal_code = self.code("WIS-")
            self.internal.append((day, Stock(internal_code, internal_g)))
            self.wheels_of_day[day] += serials
            self.runs_of_day[day].append((serials[0], serials[-1]))
            self.load.wheels += count
            input_t = input_g / 1000
            runs.append(
                (
                    "parts.produced",
                    {
                        "inputs": inputs,
                        "parts": [
                            {"serial": s, "mass_kg": kg(grams), "part_number": part_number} for s in serials
                        ],
                        "internal_scrap": {"code": internal_code, "mass_kg": kg(internal_g)},
                        # Low-pressure die casting, T6 heat treatment, machining.
                        "energy": {
                            "electricity_kwh": f"{input_t * self.rng.uniform(0.55, 0.75):.3f}",
                            "natural_gas_m3": f"{input_t * self.rng.uniform(0.04, 0.07):.3f}",
                        },
                    },
                    at + timedelta(minutes=len(runs)),
                )
            )
        return runs, melts

    def melt_for_ingots(self, count: int, at: datetime) -> None:
        """Melts cast whole into ingot lots of ~6.5 t, sold at the end of the day."""
        for number in range(count):
            code, output, _inputs = self.melt([], at + timedelta(minutes=number), "MLT-I-")
            lots = max(1, round(output / INGOT_LOT_G))
            per_lot = whole_kg(output * 0.99 / lots)
            outputs = []
            for _ in range(lots):
                outputs.append(
                    {
                        "code": self.code("ING-"),
                        "mass_kg": kg(per_lot),
                        "alloy": "A356.2",
                        "chemistry": {
                            "Si": f"{self.rng.uniform(6.6, 7.4):.4f}",
                            "Mg": f"{self.rng.uniform(0.30, 0.40):.4f}",
                        },
                    }
                )
            self.ingots_today += [output["code"] for output in outputs]
            output_t = output / 1_000_000
            data = {
                "inputs": [{"lot": code, "mass_kg": kg(output)}],
                "outputs": outputs,
                "energy": {"natural_gas_m3": f"{output_t * self.rng.uniform(8, 14):.3f}"},
            }
            self.post(
                "ingots.cast", self.plant, [("ingots.cast", data, at + timedelta(minutes=number, seconds=30))]
            )
            self.load.ingot_lots += lots

    def ship(self, day: int, at: datetime) -> None:
        """The day's wheels to the three automakers (whole runs, the last run of each split if
        needed), and the day's ingot lots to the die caster."""
        wheels = self.wheels_of_day[day]
        share = math.ceil(len(wheels) / len(AUTOMAKERS))
        from django.conf import settings

        events = []
        size = min(TRANSFER_MAX, settings.LEDGER_MAX_BATCH_ITEMS - 1)  # one transfer fits one request
        for number, automaker in enumerate(AUTOMAKERS):
            mine = wheels[number * share : (number + 1) * share]
            for start in range(0, len(mine), size):
                events.append(
                    (
                        "custody.transferred",
                        {
                            "lots": mine[start : start + size],
                            "to": automaker,
                            "transport": self.transport(),
                        },
                        at + timedelta(minutes=len(events)),
                    )
                )
        ingots = self.ingots_today
        if ingots:
            events.append(
                (
                    "custody.transferred",
                    {"lots": ingots, "to": DIE_CASTER, "transport": self.transport()},
                    at + timedelta(minutes=len(events)),
                )
            )
            self.ingots_today = []
        self.load.transfers += len(events)
        self.post("custody.transferred", self.plant, events)

    def amend(self, day: int, at: datetime) -> None:
        """A corrected energy reading of one of the day's runs; every seventh day a receipt's transport."""
        events = []
        runs = self.runs_of_day[day]
        if runs:
            wheel, other = self.rng.choice(runs)
            self.amended.append((wheel, other))
            events.append(
                (
                    "lot.amended",
                    {
                        "lot": wheel,
                        "reason": "electricity meter of the casting cell read again",
                        "energy": {
                            "electricity_kwh": f"{self.rng.uniform(2_000, 3_000):.3f}",
                            "natural_gas_m3": f"{self.rng.uniform(150, 250):.3f}",
                        },
                    },
                    at,
                )
            )
        if day % 7 == 3 and self.scrap:
            events.append(
                (
                    "lot.amended",
                    {
                        "lot": self.scrap[-1].code,
                        "reason": "weighbridge ticket: routed by rail",
                        "transport": {"distance_km": "900", "mode": "rail"},
                    },
                    at + timedelta(minutes=1),
                )
            )
        self.load.amendments += len(events)
        self.post("lot.amended", self.plant, events)


# --- measurements -------------------------------------------------------------------------------


def timed(operation: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = operation()
    return time.perf_counter() - started, result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def ledger_tables() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND (tablename LIKE 'ledger\\_%%' OR tablename = 'passports_pendingrollup') ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def copy_baseline() -> float:
    """Seconds to COPY every row the load wrote (every ledger table, and the pending roll-ups)
    into empty copies of those tables with the same indexes and constraints, no ledger logic."""
    from django.db import connection

    total = 0.0
    with connection.cursor() as cursor:
        for table in ledger_tables():
            data = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    data.write(chunk)
            if data.tell() == 0:
                continue
            cursor.execute(f"CREATE TABLE bench_copy_{table} (LIKE {table} INCLUDING ALL)")
            started = time.perf_counter()
            with cursor.copy(f"COPY bench_copy_{table} FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(data.getbuffer())
            total += time.perf_counter() - started
            cursor.execute(f"DROP TABLE bench_copy_{table}")
    return total


GRAPH_SQL = """
SELECT lot.made_by_id, lot.kind, count(*), sum(lot.mass_g), sum(consumption.mass_g)
  FROM ledger_lot lot
  LEFT JOIN ledger_consumption consumption ON consumption.lot_id = lot.id
 GROUP BY 1, 2
"""


def graph_pass() -> float:
    """Seconds of one SQL statement that reads every lot and every consumption once."""
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(GRAPH_SQL)
        cursor.fetchall()
        return time.perf_counter() - started


def conservation() -> Decimal:
    """|introduced - held| / introduced over the whole month (CARBON.md), set-based: parts are
    summed per run (each run's wheels share its state) plus what their transfers added."""
    from django.db.models import Sum
    from remelt_verify.carbon import CONTEXT, total

    from ledger.models import Lot, Process, Transfer, TransferItem
    from passports.models import CarbonState, EmissionFactorSet
    from passports.services import factors_of

    factors = factors_of(EmissionFactorSet.current())
    per_kg = {
        seq: factors.transport_per_kg(transport)
        for seq, transport in Transfer.objects.filter(voided=False).values_list("pk", "transport")
    }
    introduced = Decimal(0)
    received = dict(
        Lot.objects.filter(made_by__type="scrap.received", voided=False).values_list("made_by_id", "mass_g")
    )
    for seq, entry_type, facts in Process.objects.filter(voided=False).values_list("pk", "type", "facts"):
        if entry_type == "scrap.received":
            introduced += Decimal(received[seq]) / 1000 * factors.transport_per_kg(facts["transport"])
            continue
        introduced += factors.energy(facts.get("energy", {}))
        for addition in facts.get("additions", []):
            introduced += Decimal(addition["mass_kg"]) * factors.values[addition["material"]]
    moved = TransferItem.objects.filter(transfer__voided=False)
    for seq, grams in moved.values("transfer_id").annotate(g=Sum("mass_g")).values_list("transfer_id", "g"):
        introduced += Decimal(grams) / 1000 * per_kg[seq]

    states = {row.process_id: row.value for row in CarbonState.objects.filter(superseded_at__isnull=True)}
    held = Decimal(0)
    parts = Lot.objects.filter(kind="part", voided=False)
    for run, grams in parts.values("made_by_id").annotate(g=Sum("mass_g")).values_list("made_by_id", "g"):
        held += Decimal(grams) / 1000 * total(states[run].main.intensity)
    raised: dict[int, Decimal] = {}
    for lot_id, seq, grams, kind in moved.values_list("lot_id", "transfer_id", "mass_g", "lot__kind"):
        if kind == "part":  # a part keeps its whole mass: what it was moved with is its mass
            held += Decimal(grams) / 1000 * per_kg[seq]
        else:
            raised[lot_id] = raised.get(lot_id, Decimal(0)) + per_kg[seq]
    for lot_id, made_by, kind, left in (
        Lot.objects.filter(voided=False)
        .exclude(kind="part")
        .values_list("pk", "made_by_id", "kind", "remaining_g")
    ):
        intensity = total(states[made_by].of(kind).intensity) + raised.get(lot_id, Decimal(0))
        held += Decimal(left) / 1000 * intensity
    return CONTEXT.divide(abs(introduced - held), introduced)


def recall_csv(client, code: str, *, traced: bool = False) -> tuple[int, float, int]:
    """Wheels listed by the recall CSV of `code` (the auditor's page), seconds to its last byte,
    and, when `traced`, the peak of Python allocations while it streamed (tracemalloc slows
    every allocation, so the timed read is another one, untraced)."""
    gc.collect()
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/audit/lots/{code}/recall.csv", secure=True)
    if response.status_code != 200 or not response.streaming:
        raise RuntimeError(f"recall.csv of {code}: {response.status_code}")
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak = 0
    if traced:
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return lines - 1, seconds, peak  # less the header line


def recall(client, code: str, *, traced: bool = True) -> tuple[int, float, int]:
    """A recall's wheels, the seconds of its CSV, and (`traced`: read again) its peak memory."""
    wheels, seconds, _peak = recall_csv(client, code)
    peak = recall_csv(client, code, traced=True)[2] if traced else 0
    return wheels, seconds, peak


def latencies(request: Callable[[str], object], codes: list[str]) -> tuple[float, float]:
    """p50 and p99 in ms of `request` over `codes` (the first tenth untimed, to warm up)."""
    warmup = len(codes) // 11
    for code in codes[:warmup]:
        request(code)
    gc.collect()
    times = []
    for code in codes[warmup:]:
        started = time.perf_counter()
        request(code)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 99)


def ok(response, what: str):
    if response.status_code != 200:
        raise RuntimeError(f"{what}: {response.status_code} {response.content[:300]!r}")
    return response


def analyze() -> float:
    """Bring the planner's statistics up to date, as autovacuum does in production as tables grow
    (this machine's PostgreSQL runs with autovacuum off, so a freshly loaded database has none,
    and the planner takes ledger_lot for a few thousand rows: a trace's lots were then read by a
    sequential scan of every lot). Run at the end of each loaded day and before the reads; the
    seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"ANALYZE: {seconds:.1f} s")
    return seconds


def database_bytes() -> int:
    """Every table of the database with its indexes and TOAST."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"
        )
        return int(cursor.fetchone()[0])


class Figures(dict):
    """A size's figures; each number is logged as it is measured, so a run stopped early still
    tells what it got."""

    def __setitem__(self, key: str, value) -> None:
        super().__setitem__(key, value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            log(f"  {key} = {value:,.6g}" if isinstance(value, float) else f"  {key} = {value:,}")


def measure(scale: float, samples: int, *, keep: bool = False) -> dict:
    """Every figure of the plant at `scale`, in its own freshly made database (`keep`: left
    there at the end, with what `measure_reads` needs in its table `bench_plant_reads`)."""
    from django.conf import settings
    from django.core.management import call_command

    from ledger.models import Entry
    from passports.services import rollup_run

    db = settings_db("bench/plant.py")
    # Each database is a new ledger: the signer's memory of the last one must not refuse it.
    settings.LEDGER_SIGNER_STATE = os.path.join(SIGNER_STATE.name, f"state-{scale:g}.json")
    log(f"scale {scale:g}: recreating database {db['NAME']} and migrating")
    create_database(db)
    try:
        call_command("migrate", verbosity=0, interactive=False)
        rollups_off()
        plant = Plant(scale)
        days = len(plant.days)
        f = Figures(scale=scale, days=days, server=server_facts())

        log(f"loading days 1-{days - 1} of {days}")
        started = time.perf_counter()
        analyzed = 0.0
        for index in range(days - 1):
            plant.day(index)
            log(
                f"  day {index + 1}: {plant.load.wheels:,} wheels, {plant.load.events:,} events, "
                f"{time.perf_counter() - started - analyzed:.0f} s"
            )
            # Autovacuum's part, outside the load's figures: without statistics the planner reads
            # a batch's thousands of lot ids as matching most of the holder and transfer-item rows
            # (a column's default of 200 distinct values), and joins them by a scan of every row.
            analyzed += analyze()
        f["load_wall_s"] = time.perf_counter() - started - analyzed
        f["load_analyze_s"] = analyzed
        f["load_wheels"] = plant.load.wheels
        f["load_runs_s"] = plant.load.seconds["parts.produced"]
        f["load_rate"] = plant.load.wheels / f["load_runs_s"]
        f["load_seconds"] = dict(plant.load.seconds)
        log("COPY of the same rows")
        f["copy_s"] = copy_baseline()
        f["copy_rate"] = plant.load.wheels / f["copy_s"]

        log("full roll-up")
        f["full_s"], run = timed(lambda: rollup_run(full=True, progress=log))
        f["full_versions"] = run.versions_created
        f["full_rate"] = plant.load.wheels / f["full_s"]
        f["graph_pass_s"] = graph_pass()
        f["graph_pass_rate"] = plant.load.wheels / f["graph_pass_s"]

        log(f"loading day {days} and rolling it up")
        wheels_before = plant.load.wheels
        plant.day(days - 1)
        f["day_wheels"] = plant.load.wheels - wheels_before
        f["incremental_s"], run = timed(lambda: rollup_run(progress=log))
        f["incremental_versions"] = run.versions_created
        f["wheels"] = plant.load.wheels
        f["entries"] = Entry.objects.count()
        f["plant"] = plant.load

        log("invariants: full roll-up again, conservation")
        f["full_again_s"], again = timed(lambda: rollup_run(full=True))
        f["full_again_versions"] = again.versions_created if again else 0
        f["full_again_states"] = again.states_count if again else 0
        f["conservation"] = conservation()
        analyze()
        reads = Reads(
            wheels=plant.load.wheels,
            recent=plant.first_melt_scrap[recall_day(plant.first_melt_scrap, days)][0],
            first=plant.first_melt_scrap[0][0],
            amended=list(plant.amended[-1]),
        )
        if keep:
            reads.save()
        measure_reads(f, reads, samples)
        log("verify_ledger")
        f["verify_s"], _ = timed(
            lambda: call_command("verify_ledger", stdout=io.StringIO(), stderr=io.StringIO())
        )
        f["verify_rate"] = f["entries"] / f["verify_s"]
        f["verify_chain_s"], _ = timed(
            lambda: call_command("verify_ledger", "--chain-only", stdout=io.StringIO(), stderr=io.StringIO())
        )
        f["verify_chain_rate"] = f["entries"] / f["verify_chain_s"]
        f["db_bytes"] = database_bytes()
        f["db_per_wheel"] = f["db_bytes"] / f["wheels"]
        log(f"recall of {reads.first} (the month's first wheel melt)")
        # Untraced only: at full size it lists the whole month (tracemalloc would take an hour).
        f["recall_first_wheels"], f["recall_first_s"], _ = recall(
            _auditor_client(), reads.first, traced=False
        )
        return f
    finally:
        if keep:
            log(f"keeping database {db['NAME']}: bench/plant.py --reads measures its reads again")
        else:
            log(f"dropping database {db['NAME']}")
            drop_database(db)


def recall_day(first_melt_scrap: dict[int, list[str]], days: int) -> int:
    """The day whose first wheel melt's first scrap lot is recalled: three days before the last
    (its metal reaches that day's runs and, through their internal scrap, the days after; the lot
    of two days before the last reached 19,168 wheels at full size, of the day before the last
    14,204, under the 20,000 the target names), or the latest day with a wheel melt as close to
    that as a shorter run has."""
    for back in (4, 3, 2):
        earlier = [day for day in first_melt_scrap if day <= days - back]
        if earlier:
            return max(earlier)
    raise ValueError("no wheel melt before the last day")


@dataclass
class Reads:
    """What the read figures of a loaded plant start from (kept with a kept database)."""

    wheels: int
    recent: str  # a scrap lot of the first wheel melt of three days before the last
    first: str  # a scrap lot of the month's first wheel melt
    amended: list[str]  # the last amended run's wheel named, and another of it

    def save(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_plant_reads (facts jsonb NOT NULL)")
            cursor.execute("INSERT INTO bench_plant_reads VALUES (%s)", [json.dumps(self.__dict__)])

    @classmethod
    def load(cls) -> "Reads":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT facts FROM bench_plant_reads")
            (facts,) = cursor.fetchone()
        return cls(**(json.loads(facts) if isinstance(facts, str) else facts))


def _auditor_client():
    """A signed-in auditor of the plant for the auditor's pages (made once per database)."""
    from django.test import Client

    from accounts.models import Organisation, User
    from accounts.services import user_create

    user = User.objects.filter(username="auditor").first() or user_create(
        username="auditor", organisation=Organisation.objects.get(slug=AUDITOR), password=None
    )
    client = Client()
    client.force_login(user)
    return client


def measure_reads(f: dict, reads: Reads, samples: int) -> None:
    """The read figures of a loaded plant: the recall of a recent scrap lot, traces up, evidence
    bundles checked by the offline verifier, passports from the API and passport pages."""
    from config.startup import freeze_startup_heap

    # As a serving process does once the app is loaded (config/wsgi.py): keep what is already
    # here (the app, and this process's record of the plant it generated, which no server holds)
    # out of the garbage collector's full walks, which a request of a trace of hundreds of lots
    # sets off every dozen or so and which would walk it all.
    freeze_startup_heap()
    try:
        _reads(f, reads, samples)
    finally:
        gc.unfreeze()  # the rest of the run, and the next size's load, as before


def _reads(f: dict, reads: Reads, samples: int) -> None:
    from django.test import Client
    from remelt_verify.bundle import BundleProblem, bundle_verify

    from accounts.models import Organisation
    from accounts.services import api_key_issue
    from ledger.checkpoints import verifier_key
    from ledger.models import Lot

    auditor = _auditor_client()
    keys = {
        org.slug: api_key_issue(organisation=org, name="bench").token
        for org in Organisation.objects.filter(slug__in=[AUDITOR, *AUTOMAKERS])
    }

    def api(slug: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {keys[slug]}")

    log(f"recall of {reads.recent} (first scrap of the first wheel melt three days before the last)")
    f["recall_code"] = reads.recent
    f["recall_wheels"], f["recall_s"], f["recall_peak"] = recall(auditor, reads.recent)
    f["recall_raw_s"] = raw_recall(reads.recent)

    rng = random.Random(SEED + 1)
    sample = rng.sample(range(reads.wheels), min(reads.wheels, samples + samples // 10))
    serials = [f"WH{index + 1:08d}" for index in sample]
    owners = dict(Lot.objects.filter(code__in=serials).values_list("code", "owner__slug"))
    auditor_api = api(AUDITOR)
    log("traces up")
    f["trace_p50"], f["trace_p99"] = latencies(
        lambda code: ok(auditor_api.get(f"/api/v1/lots/{code}/trace/?direction=up", secure=True), "trace"),
        serials,
    )
    f["trace_raw_p50"], f["trace_raw_p99"] = latencies(raw_trace, serials)
    clients = {slug: api(slug) for slug in AUTOMAKERS}
    log("evidence bundles, checked by the offline verifier")
    sizes, times, equal = [], [], 0
    # A wheel at random, and two of the last amended run: the one the amendment named and another.
    checked = [serials[0], *reads.amended]
    owners.update(Lot.objects.filter(code__in=checked).values_list("code", "owner__slug"))
    for code in checked:
        client = clients[owners[code]]
        seconds, response = timed(partial(client.get, f"/api/v1/parts/{code}/evidence/", secure=True))
        ok(response, "evidence")
        sizes.append(len(response.content))
        times.append(seconds)
        bundle = json.loads(response.content)
        # The verifier recomputes the footprint from the bundle's entries and refuses a
        # bundle whose footprint differs; the passport must show that same footprint.
        try:
            bundle_verify(bundle, key=verifier_key())
        except BundleProblem as problem:
            log(f"  {code}: the verifier refuses its bundle: {problem}")
            continue
        shown = json.loads(ok(client.get(f"/api/v1/parts/{code}/passport/", secure=True), "passport").content)
        if shown["footprint"] != bundle["footprint"]:
            log(f"  {code}: the passport's footprint is not the one the verifier recomputed")
            continue
        equal += 1
    f["bundle_bytes"] = statistics.median(sizes)
    f["bundle_s"] = statistics.median(times)
    f["bundles_equal"] = equal

    log("passports (API)")
    f["passport_api_p50"], f["passport_api_p99"] = latencies(
        lambda code: ok(
            clients[owners[code]].get(f"/api/v1/parts/{code}/passport/", secure=True), "passport"
        ),
        serials,
    )
    f["passport_raw_p50"], f["passport_raw_p99"] = latencies(raw_passport, serials)
    public = Client()
    log("passport pages")
    f["passport_page_p50"], f["passport_page_p99"] = latencies(
        lambda code: ok(public.get(f"/passports/{code}/", secure=True), "passport page"), serials
    )


# Raw baselines of the reads: the same rows read by plain SQL through psycopg, no Django, no
# visibility, nothing computed or formatted in Python.


def raw_recall(code: str) -> float:
    """Seconds to `COPY … TO STDOUT` the recall's rows as CSV (serial, part number, holder, every
    holder, mass, made at) of the part runs the lot's metal reached, in serial order: the walk that
    finds the runs is not timed."""
    from django.db import connection

    from ledger.models import Lot
    from ledger.recall import lot_recall
    from ledger.visibility import Viewer

    runs = list(lot_recall(lot=Lot.objects.get(code=code), viewer=Viewer(None, sees_everything=True)).runs)
    connection.ensure_connection()
    started = time.perf_counter()
    with connection.connection.cursor() as cursor:
        statement = (
            "COPY (SELECT lot.code, lot.part_number, owner.slug, owner.name,"
            " (SELECT string_agg(org.slug, ';') FROM ledger_lotholder holder"
            "   JOIN accounts_organisation org ON org.id = holder.organisation_id"
            "  WHERE holder.lot_id = lot.id),"
            " lot.mass_g, lot.occurred_at"
            " FROM ledger_lot lot JOIN accounts_organisation owner ON owner.id = lot.owner_id"
            " WHERE lot.made_by_id = ANY(%s) AND lot.kind = 'part' AND NOT lot.voided"
            ' ORDER BY lot.code COLLATE "C") TO STDOUT (FORMAT CSV)'
        )
        with cursor.copy(statement, [runs]) as copy:
            for _data in copy:
                pass
    return time.perf_counter() - started


def raw_trace(code: str) -> None:
    """The trace's own statement (ledger.trace.walk_sql, default depth, as an auditor), fetched."""
    from django.db import connection

    from ledger.models import Lot
    from ledger.trace import DEFAULT_DEPTH, MAX_NODES, UP, walk_params, walk_sql
    from ledger.visibility import Viewer

    auditor = Viewer(None, sees_everything=True)
    (lot_id,) = Lot.objects.filter(code=code).values_list("pk", flat=True)
    params = walk_params(lot_id=lot_id, depth=DEFAULT_DEPTH, row_limit=MAX_NODES + 1, viewer=auditor)
    with connection.connection.cursor() as cursor:
        cursor.execute(walk_sql(UP, auditor), params)
        cursor.fetchall()


def raw_passport(code: str) -> None:
    """The rows a passport is made of, in one statement: the lot, its current footprint version,
    the carbon state it derives from and the roll-up that anchored it."""
    from django.db import connection

    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT lot.*, footprint.*, state.*, run.* FROM ledger_lot lot"
            " JOIN passports_footprint footprint"
            "   ON footprint.lot_id = lot.id AND footprint.superseded_at IS NULL"
            " JOIN passports_carbonstate state ON state.id = footprint.state_id"
            " JOIN passports_rolluprun run ON run.id = footprint.run_id WHERE lot.code = %s",
            [code],
        )
        cursor.fetchall()


# --- report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def rows_of(big: dict, small: dict) -> list[tuple[str, ...]]:
    """(figure, value, at a tenth, ratio, raw baseline, ratio to it, target, verdict) rows."""
    t = TARGETS
    rows = []

    def row(label, key, fmt, baseline=None, base_fmt=None, target="", met=None):
        value, tenth = big[key], small[key]
        base = big[baseline] if baseline else None
        rows.append(
            (
                label,
                fmt(value),
                fmt(tenth),
                ratio(value, tenth) if isinstance(value, (int, float, Decimal)) else "",
                (base_fmt or fmt)(base) if baseline else "",
                ratio(value, base) if baseline else "",
                target,
                "" if met is None else verdict(met),
            )
        )

    def rate(value):
        return f"{value:,.0f}/s"

    def sec(value):
        return f"{value:,.2f} s"

    def ms(value):
        return f"{value:,.1f} ms"

    def count(value):
        return f"{value:,}"

    def mib(value):
        return f"{value / 2**20:,.1f} MiB"

    row(
        "load, wheels/s in batches (part runs)",
        "load_rate",
        rate,
        "copy_rate",
        rate,
        f">= {t['load']:,}/s, >= {t['load_ratio']}x COPY",
        big["load_rate"] >= t["load"] and big["load_rate"] >= t["load_ratio"] * big["copy_rate"],
    )
    row("load, all events of the month but its last day, wall", "load_wall_s", sec, "copy_s", sec)
    row("full roll-up, s", "full_s", sec, "graph_pass_s", sec)
    row(
        "full roll-up, wheels/s",
        "full_rate",
        rate,
        "graph_pass_rate",
        rate,
        f">= {t['full']:,}/s",
        big["full_rate"] >= t["full"],
    )
    per_wheel = (big["full_s"] / big["load_wheels"]) / (small["full_s"] / small["load_wheels"])
    rows.append(
        (
            "full roll-up, cost per wheel: this size / a tenth",
            f"{per_wheel:.2f}x",
            "",
            "",
            "",
            "",
            f"<= {t['per_wheel_ratio']}x",
            verdict(per_wheel <= t["per_wheel_ratio"]),
        )
    )
    row("full roll-up, footprint versions made", "full_versions", count)
    row("last day: wheels made", "day_wheels", count)
    row(
        "incremental roll-up of the last day",
        "incremental_s",
        sec,
        target=f"<= {t['incremental_s']:g} s",
        met=big["incremental_s"] <= t["incremental_s"],
    )
    row("incremental roll-up of the last day, versions made", "incremental_versions", count)
    row("full roll-up again (nothing changed), s", "full_again_s", sec)
    rows.append(
        (
            "full again: versions + states made (incremental = full)",
            f"{big['full_again_versions'] + big['full_again_states']:,}",
            f"{small['full_again_versions'] + small['full_again_states']:,}",
            "",
            "",
            "",
            "0",
            verdict(big["full_again_versions"] + big["full_again_states"] == 0),
        )
    )
    rows.append(
        (
            "conservation, |introduced - held| / introduced",
            f"{big['conservation']:.1e}",
            f"{small['conservation']:.1e}",
            "",
            "",
            "",
            f"<= {t['conservation']}",
            verdict(big["conservation"] <= t["conservation"] and small["conservation"] <= t["conservation"]),
        )
    )
    row(
        "recall of a scrap lot of three days before the last: wheels",
        "recall_wheels",
        count,
        target=f">= {t['recall_wheels']:,} (the lot's reach)",
        met=big["recall_wheels"] >= t["recall_wheels"],
    )
    row(
        "  its CSV, streamed to the last byte",
        "recall_s",
        sec,
        "recall_raw_s",
        sec,
        target=f"<= {t['recall_s']:g} s",
        met=big["recall_s"] <= t["recall_s"],
    )
    row(
        "  its CSV, peak Python memory",
        "recall_peak",
        mib,
        target="flat: <= 1.5x a tenth's",
        met=big["recall_peak"] <= 1.5 * small["recall_peak"],
    )
    row("recall of the month's first scrap lot: wheels", "recall_first_wheels", count)
    row("  its CSV, streamed to the last byte", "recall_first_s", sec)
    p99 = f"p99 <= {t['p99_ms']:g} ms"
    for label, key, raw in (
        ("wheel trace up (API, auditor)", "trace", "trace_raw"),
        ("passport (API, the automaker holding it)", "passport_api", "passport_raw"),
        ("passport page (public)", "passport_page", "passport_raw"),
    ):
        row(f"{label}, p50", f"{key}_p50", ms, f"{raw}_p50", ms)
        row(
            f"{label}, p99",
            f"{key}_p99",
            ms,
            f"{raw}_p99",
            ms,
            target=p99,
            met=big[f"{key}_p99"] <= t["p99_ms"],
        )
    row(
        "evidence bundle (API, holder), bytes (median)",
        "bundle_bytes",
        lambda v: f"{v:,.0f} B",
        target=f"<= {t['bundle_bytes']:,} B",
        met=big["bundle_bytes"] <= t["bundle_bytes"],
    )
    row("evidence bundle, time (median)", "bundle_s", sec)
    row(
        "passports equal to the offline verifier's recomputation",
        "bundles_equal",
        lambda v: f"{v} of {BUNDLES}",
        target=f"{BUNDLES} of {BUNDLES}",
        met=big["bundles_equal"] == BUNDLES and small["bundles_equal"] == BUNDLES,
    )
    row("ledger entries", "entries", count)
    row(
        "verify_ledger (chain, tree, replay), entries/s",
        "verify_rate",
        rate,
        "verify_chain_rate",
        rate,
        f">= {t['verify']:,}/s",
        big["verify_rate"] >= t["verify"],
    )
    row(
        "database, bytes per wheel (tables, indexes, TOAST)",
        "db_per_wheel",
        lambda v: f"{v:,.0f} B",
        target=f"<= {t['db_bytes_per_wheel']:,} B",
        met=big["db_per_wheel"] <= t["db_bytes_per_wheel"],
    )
    return rows


def print_table(rows: list[tuple[str, ...]], scale: float) -> None:
    header = (
        "figure",
        f"scale {scale:g}",
        f"at {scale / 10:g}",
        "ratio",
        "raw baseline",
        "/ raw",
        "target",
        "",
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row):
        return "  ".join(
            cell.ljust(widths[i]) if i in (0, 6, 7) else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()

    print(line(header))
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row))


def describe(f: dict) -> str:
    load: Load = f["plant"]
    seconds = ", ".join(f"{kind} {value:,.1f} s" for kind, value in sorted(load.seconds.items()))
    return (
        f"scale {f['scale']:g}: {f['days']} days, {load.receipts:,} scrap receipts, {load.melts:,} melts, "
        f"{load.ingot_lots:,} ingot lots, {load.runs:,} part runs, {load.wheels:,} wheels, "
        f"{load.transfers:,} custody transfers, {load.amendments:,} amendments; {load.events:,} events, "
        f"{f['entries']:,} entries; posting: {seconds}; ANALYZE after each day (not in the load's "
        f"figures) {f['load_analyze_s']:,.1f} s; database {f['db_bytes'] / 2**20:,.0f} MiB"
    )


READ_FIGURES = (
    ("recall of a recent scrap lot: wheels", "recall_wheels", "{:,}"),
    ("  its CSV, s", "recall_s", "{:,.2f}"),
    ("  raw: COPY of its rows as CSV, s", "recall_raw_s", "{:,.2f}"),
    ("  its CSV, peak Python memory, MiB", "recall_peak", "{:,.1f}"),
    *(
        (f"{label}, {p} ms", f"{key}_{p}", "{:,.1f}")
        for label, key in (
            ("wheel trace up (API, auditor)", "trace"),
            ("  raw: the trace's statement alone", "trace_raw"),
            ("passport (API, the automaker holding it)", "passport_api"),
            ("passport page (public)", "passport_page"),
            ("  raw: the passport's rows in one SELECT", "passport_raw"),
        )
        for p in ("p50", "p99")
    ),
    ("evidence bundle, bytes (median)", "bundle_bytes", "{:,.0f}"),
    ("evidence bundle, s (median)", "bundle_s", "{:,.2f}"),
    (f"passports equal to the offline verifier's (of {BUNDLES})", "bundles_equal", "{}"),
)


def main_reads(samples: int) -> None:
    """The read figures again, on a database a run with --keep left (nothing is loaded or dropped)."""
    settings_db("bench/plant.py")
    reads = Reads.load()
    f = Figures()
    measure_reads(f, reads, samples)
    f["recall_peak"] /= 2**20
    print(
        f"remelt plant-month benchmark, reads of a kept database ({reads.wheels:,} wheels), "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; load average {os.getloadavg()[0]:.2f}"
    )
    for label, key, fmt in READ_FIGURES:
        print(f"{label:<60} {fmt.format(f[key]):>14}")


def main(scale: float, quick: bool, keep: bool = False) -> None:
    from django.conf import settings

    samples = 20 if quick else SAMPLES
    if keep:
        measure(scale, samples, keep=True)
        return
    load_before = os.getloadavg()
    # The asked size first: its figures are logged as they come, the tenth's follow.
    big = measure(scale, samples)
    small = measure(scale / 10, samples)
    facts = big["server"]
    print(
        f"remelt plant-month benchmark{' (quick)' if quick else ''}, scale {scale:g}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}"
    )
    print(
        f"PostgreSQL {facts['server_version']}, fsync={facts['fsync']}, "
        f"synchronous_commit={facts['synchronous_commit']}, shared_buffers={facts['shared_buffers']}; "
        f"Python {platform.python_version()}, {machine_facts()}, DEBUG={settings.DEBUG}, "
        f"LEDGER_MAX_BATCH_ITEMS={settings.LEDGER_MAX_BATCH_ITEMS}; "
        f"load average {load_before[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end"
    )
    for figures in (big, small):
        print(describe(figures))
    print()
    print_table(rows_of(big, small), scale)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the plant-month (0.1: three days)")
    parser.add_argument("--quick", action="store_true", help="a CI smoke run: --scale 0.002, fewer samples")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="measure the scale asked only (no tenth, no table: the figures go to stderr) and keep its "
        "database for --reads",
    )
    parser.add_argument(
        "--reads",
        action="store_true",
        help="only the read figures (recall, trace, bundles, passports), on the database --keep left",
    )
    arguments = parser.parse_args()
    django.setup()
    if arguments.reads:
        main_reads(20 if arguments.quick else SAMPLES)
    else:
        main(0.002 if arguments.quick else arguments.scale, arguments.quick, arguments.keep)
