"""The demo: a month of a fictional closed loop, recorded through the same services as real data.

Three scrap suppliers (a scrap market trader, a dismantler of end-of-life vehicles selling
wheel scrap, a die-caster selling its pre-consumer scrap), a recycler that melts scrap and
sells A356.2 ingots from its registered installation (with its CBAM report), an integrated
wheel maker whose 65 t twin-chamber furnace melts ingots, wheel scrap and its own returns and
casts wheels directly, an automaker buying the wheels, a wheel foundry in the EU importing the
recycler's last ingots, and an auditor. Seeded and on a fixed calendar (November 2026), so every
load builds the same history: the lot codes and serials the README names are in every demo.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from accounts.models import Organisation, Role, User
from accounts.services import api_key_issue, organisation_create, user_create
from cbam.services import report_request
from ledger.models import Entry, Lot
from ledger.quantities import format_kg
from ledger.recall import lot_recall
from ledger.services import EventInput, events_record
from ledger.visibility import Viewer
from passports.selectors import upstream_lot_ids

PASSWORD = "remelt-demo"  # noqa: S105 - the demo's published login

ORGANISATIONS = [
    ("guangfa-scrap", "Guangfa Scrap Market Trading", [Role.SCRAP_SUPPLIER]),
    ("lianhe-elv", "Lianhe End-of-Life Vehicle Dismantling", [Role.SCRAP_SUPPLIER]),
    ("jinghua-diecast", "Jinghua Die Casting", [Role.SCRAP_SUPPLIER]),
    ("huanan-recycling", "Huanan Aluminium Recycling", [Role.RECYCLER]),
    ("zhenyuan-wheels", "Zhenyuan Alloy Wheels", [Role.WHEEL_MAKER]),
    ("northstar-motors", "Northstar Motors", [Role.OEM]),
    ("elbe-radguss", "Elbe Radguss GmbH (Hamburg)", [Role.WHEEL_MAKER]),  # imports ingots into the EU
    ("veritas-audit", "Veritas Sustainability Audits", [Role.AUDITOR]),
    ("remelt-ops", "remelt operations", [Role.OPERATOR]),
]
CONFIRMING_SUPPLIERS = ("guangfa-scrap", "lianhe-elv")
START = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # the demo month's first shift
DAYS = 30
# The recycler's site, registered before the month (its melts name these furnaces).
INSTALLATION = {
    "code": "HN-1",
    "name": "Huanan Aluminium Recycling, Nanhai remelt plant",
    "address": "8 Shishan Industrial Road, Nanhai District, Foshan, Guangdong 528225",
    "country": "CN",
    "unlocode": "CNFOS",
    "coordinates": {"latitude": "23.0801", "longitude": "113.0223"},
    "furnaces": [
        {"code": "RF-1", "name": "reverberatory 60 t"},
        {"code": "RF-2", "name": "reverberatory 60 t"},
    ],
    "casting_lines": [{"code": "CL-1", "name": "ingot casting line"}],
}


@dataclass
class Scale:
    """How much to generate; the default is the month the README describes."""

    scrap_lots: int = 120
    recycler_melts: int = 16
    ingots_per_melt: int = 5
    wheel_melts: int = 9
    wheels: int = 3000
    wheels_per_run: int = 100


# A tenth of the month, for a quick look and the tests (`load_demo --small`).
SMALL = Scale(
    scrap_lots=30, recycler_melts=5, ingots_per_melt=4, wheel_melts=3, wheels=300, wheels_per_run=50
)


def ensure_cast() -> dict[str, Organisation]:
    """The demo's organisations, users (one per organisation) and the staff superuser."""
    orgs = {}
    for slug, name, roles in ORGANISATIONS:
        orgs[slug] = Organisation.objects.filter(slug=slug).first() or organisation_create(
            slug=slug, name=name, roles=roles
        )
        username = slug.split("-")[0]
        if not User.objects.filter(username=username).exists():
            user_create(username=username, organisation=orgs[slug], password=PASSWORD, is_staff=False)
    if not User.objects.filter(username="staff").exists():
        staff = user_create(
            username="staff", organisation=orgs["remelt-ops"], password=PASSWORD, is_staff=True
        )
        staff.is_superuser = True
        staff.save(update_fields=["is_superuser"])
    return orgs


def issue_keys(orgs: dict[str, Organisation]) -> dict[str, str]:
    """One API key per organisation (tokens are shown once: the caller keeps them)."""
    return {slug: api_key_issue(organisation=org, name="demo").token for slug, org in orgs.items()}


class Month:
    """Writes the month's events in time order, a day at a time."""

    def __init__(self, orgs: dict[str, Organisation], scale: Scale, progress: Callable[[str], None]) -> None:
        self.orgs = orgs
        self.scale = scale
        self.rng = random.Random(2026)  # noqa: S311 - a seeded, repeatable demo, not secrets
        self.start = START
        self.progress = progress
        self.serial = 0
        self.numbers: dict[str, int] = {}

    def at(self, day: float) -> datetime:
        return self.start + timedelta(days=day)

    def post(self, org: str, entry_type: str, day: float, data: dict) -> list[str]:
        event = EventInput(entry_type, self.at(day), data)
        return events_record(organisation=self.orgs[org], actor="user:staff", events=[event])[0].lots

    def code(self, prefix: str, day: float) -> str:
        """The plants number their lots themselves, as their ERP does (codes the ledger generates
        are random), so the README's tour names the same lots after every load."""
        key = f"{prefix}-{self.at(day).year}"
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{key}-{self.numbers[key]:06d}"

    def kg(self, low: float, high: float) -> str:
        return format_kg(self.rng.randint(int(low * 1000), int(high * 1000)))

    def run(self) -> None:
        s = self.scale
        receipts = sorted(self.rng.uniform(0, DAYS - 3) for _ in range(s.scrap_lots))
        melts = sorted(self.rng.uniform(1, DAYS - 2) for _ in range(s.recycler_melts))
        wheel_melts = sorted(self.rng.uniform(3, DAYS - 1) for _ in range(s.wheel_melts))
        timeline = [(day, "receipt") for day in receipts] + [(day, "melt") for day in melts]
        timeline += [(day, "wheel_melt") for day in wheel_melts]
        self.post("huanan-recycling", "installation.registered", -1, INSTALLATION)
        for index, (day, what) in enumerate(sorted(timeline)):
            getattr(self, what)(day)
            if index % 10 == 0:
                self.progress(f"{index + 1}/{len(timeline)} receipts and melts, {Lot.objects.count()} lots")
        self.corrections(DAYS - 0.5)
        self.export_to_eu(DAYS - 0.4)
        # The CBAM report of each calendar year the month touches (the default reporting period).
        for year in sorted({self.at(0).year, self.at(DAYS).year}):
            start = datetime(year, 1, 1, tzinfo=UTC)
            report_request(
                organisation=self.orgs["huanan-recycling"],
                installation="HN-1",
                start=start,
                end=start.replace(year=year + 1),
            )

    def export_to_eu(self, day: float) -> None:
        """The ingot lots the recycler kept in stock go by sea to the wheel foundry in Hamburg."""
        stock = Lot.objects.filter(
            kind="ingot", owner__slug="huanan-recycling", remaining_g__gt=0, voided=False
        )
        codes = list(stock.order_by("code").values_list("code", flat=True))
        if codes:
            self.post(
                "huanan-recycling",
                "custody.transferred",
                day,
                {"lots": codes, "to": "elbe-radguss", "transport": {"distance_km": "19000", "mode": "ship"}},
            )

    def receipt(self, day: float) -> None:
        supplier = self.rng.choices(["guangfa-scrap", "lianhe-elv", "jinghua-diecast"], weights=[5, 3, 2])[0]
        grade, category, origin = {
            "guangfa-scrap": (
                self.rng.choice(["ISRI Tense", "ISRI Taint/Tabor", "cast aluminium"]),
                "post_consumer",
                "Foshan scrap market",
            ),
            "lianhe-elv": ("ISRI Troma (aluminium wheels)", "post_consumer", "Qingyuan ELV yard"),
            "jinghua-diecast": (
                "A380 die-cast runners and rejects",
                "pre_consumer",
                "Jinghua Die Casting, Ningbo",
            ),
        }[supplier]
        # The ELV wheel scrap goes straight to the wheel maker; the rest to the recycler.
        receiver = (
            "zhenyuan-wheels" if supplier == "lianhe-elv" and self.rng.random() < 0.6 else "huanan-recycling"
        )
        mode, distance = self.rng.choice([("truck", (40, 350)), ("rail", (300, 1200)), ("ship", (600, 1800))])
        [code] = self.post(
            receiver,
            "scrap.received",
            day,
            {
                "code": self.code("SCR", day),
                "supplier": supplier,
                "grade": grade,
                "category": category,
                "mass_kg": self.kg(8_000, 24_000),
                "origin": origin,
                "transport": {"distance_km": str(self.rng.randint(*distance)), "mode": mode},
                "documents": [f"WB-{self.rng.randint(100000, 999999)}"],
            },
        )
        # The trader and the dismantler confirm their deliveries, and so hold (see) those lots; the
        # die-caster has not confirmed any, so it sees none of the lots its receipts name.
        if supplier in CONFIRMING_SUPPLIERS:
            self.post(supplier, "supply.confirmed", day, {"lot": code})

    def _charge(self, org: str, kinds: tuple[str, ...], target_kg: float) -> list[dict]:
        """Take lots the organisation holds until the charge reaches its target mass."""
        inputs, total = [], 0
        lots = Lot.objects.filter(owner=self.orgs[org], kind__in=kinds, voided=False, remaining_g__gt=0)
        for lot in lots.order_by("occurred_at", "pk"):
            take = min(lot.remaining_g, int((target_kg - total) * 1000))
            if take <= 0:
                break
            inputs.append({"lot": lot.code, "mass_kg": format_kg(take)})
            total += take / 1000
        return inputs

    def melt(self, day: float) -> None:
        inputs = self._charge("huanan-recycling", ("scrap",), self.rng.uniform(40_000, 60_000))
        if len(inputs) < 2:
            return
        charged = sum(float(i["mass_kg"]) for i in inputs)
        tonnes = charged / 1000
        silicon = round(charged * self.rng.uniform(0.01, 0.03), 1)
        magnesium = round(charged * 0.003, 1)
        output = charged * self.rng.uniform(0.92, 0.96)
        melt = self.post(
            "huanan-recycling",
            "melt.recorded",
            day,
            {
                "code": self.code("MLT", day),
                "furnace": self.rng.choice(["RF-1", "RF-2"]),
                "inputs": inputs,
                "additions": [
                    {"material": "silicon", "mass_kg": f"{silicon:.3f}"},
                    {"material": "magnesium", "mass_kg": f"{magnesium:.3f}"},
                ],
                "energy": {
                    "natural_gas_m3": f"{tonnes * self.rng.uniform(70, 90):.3f}",
                    "electricity_kwh": f"{tonnes * self.rng.uniform(60, 110):.3f}",
                },
                "output_mass_kg": f"{output:.3f}",
                "dross_kg": f"{(charged - output) * 0.6:.3f}",
            },
        )[0]
        pieces = self.scale.ingots_per_melt
        each = int(output * 0.985 / pieces * 1000)
        ingots = self.post(
            "huanan-recycling",
            "ingots.cast",
            day + 0.1,
            {
                "inputs": [{"lot": melt, "mass_kg": format_kg(each * pieces)}],
                "outputs": [
                    {
                        "code": self.code("ING", day + 0.1),
                        "mass_kg": format_kg(each),
                        "alloy": "A356.2",
                        "chemistry": {
                            "Si": f"{self.rng.uniform(6.6, 7.4):.2f}",
                            "Mg": f"{self.rng.uniform(0.3, 0.4):.2f}",
                            "Fe": f"{self.rng.uniform(0.06, 0.11):.3f}",
                            "Ti": "0.12",
                        },
                    }
                    for _ in range(pieces)
                ],
                "energy": {"electricity_kwh": f"{each * pieces / 1_000_000 * 25:.3f}"},  # 25 kWh/t
            },
        )
        sold = ingots[: pieces - 1]  # one ingot lot stays in stock at the recycler
        self.post(
            "huanan-recycling",
            "custody.transferred",
            day + 0.5,
            {
                "lots": sold,
                "to": "zhenyuan-wheels",
                "transport": {"distance_km": "180", "mode": "truck"},
            },
        )

    def wheel_melt(self, day: float) -> None:
        if Lot.objects.filter(kind="part").count() >= self.scale.wheels:
            return
        inputs = self._charge("zhenyuan-wheels", ("ingot", "scrap"), self.rng.uniform(55_000, 65_000))
        if not inputs:
            return
        charged_g = sum(int(i["mass_kg"].replace(".", "")) for i in inputs)
        left_g = int(charged_g * self.rng.uniform(0.95, 0.98))
        tonnes = charged_g / 1_000_000
        heat = self.post(
            "zhenyuan-wheels",
            "melt.recorded",
            day,
            {
                "code": self.code("MLT", day),
                "furnace": "TC-65 twin-chamber 65 t",
                "inputs": inputs,
                "additions": [{"material": "primary_aluminium", "mass_kg": format_kg(charged_g * 3 // 100)}],
                "energy": {
                    "natural_gas_m3": f"{tonnes * self.rng.uniform(55, 70):.3f}",
                    "electricity_kwh": f"{tonnes * self.rng.uniform(40, 70):.3f}",
                },
                "output_mass_kg": format_kg(left_g),
            },
        )[0]
        for run in range(self.rng.randint(3, 5)):
            wheel_g = self.rng.choice([9_800, 10_400, 11_200])
            count = min(
                self.scale.wheels_per_run, self.scale.wheels - Lot.objects.filter(kind="part").count()
            )
            count = min(count, left_g * 10 // (wheel_g * 16))
            if count <= 0:
                break
            returns_g = count * wheel_g * self.rng.randint(35, 50) // 100  # gates, risers, chips, rejects
            metal_g = count * wheel_g + returns_g + self.rng.randint(1_000, 5_000)
            left_g -= metal_g
            serials = [f"ZY{self.at(day):%y%m%d}{self.serial + i:06d}" for i in range(1, count + 1)]
            self.serial += count
            self.post(
                "zhenyuan-wheels",
                "parts.produced",
                day + 0.1 + run * 0.1,
                {
                    "inputs": [{"lot": heat, "mass_kg": format_kg(metal_g)}],
                    "parts": [
                        {
                            "serial": serial,
                            "mass_kg": format_kg(wheel_g),
                            "part_number": f"ZY-17-{wheel_g // 100}",
                        }
                        for serial in serials
                    ],
                    "internal_scrap": {
                        "code": self.code("SCR", day + 0.1 + run * 0.1),
                        "mass_kg": format_kg(returns_g),
                        "grade": "A356 gates, risers and chips",
                    },
                    "energy": {
                        "electricity_kwh": f"{count * self.rng.uniform(5.5, 7.5):.3f}",
                        "natural_gas_m3": f"{count * self.rng.uniform(0.8, 1.2):.3f}",
                    },
                },
            )
            self.post(
                "zhenyuan-wheels",
                "custody.transferred",
                day + 0.15 + run * 0.1,
                {
                    "lots": serials,
                    "to": "northstar-motors",
                    "transport": {"distance_km": "420", "mode": "rail"},
                },
            )

    def corrections(self, day: float) -> None:
        """One amendment (a weighbridge mistake on a supplier's transport) and one void."""
        receipt = Lot.objects.filter(
            kind="scrap", category="post_consumer", made_by__type="scrap.received"
        ).first()
        if receipt is not None:
            process = receipt.made_by
            self.post(
                process.organisation.slug,
                "lot.amended",
                day,
                {
                    "lot": receipt.code,
                    "reason": "weighbridge ticket gave the distance from the wrong yard",
                    "transport": {**process.facts["transport"], "distance_km": "512"},
                },
            )
        mistaken = self.post(
            "huanan-recycling",
            "scrap.received",
            day + 0.1,
            {
                "code": self.code("SCR", day + 0.1),
                "supplier": "guangfa-scrap",
                "grade": "ISRI Tense",
                "category": "post_consumer",
                "mass_kg": "12000",
                "transport": {"distance_km": "60", "mode": "truck"},
                "documents": ["WB-DUPLICATE"],
            },
        )[0]
        seq = Lot.objects.get(code=mistaken).made_by_id
        self.post(
            "huanan-recycling",
            "entry.voided",
            day + 0.2,
            {
                "seq": seq,
                "reason": "the same truck was weighed in twice",
            },
        )


def demo_load(*, scale: Scale | None = None, progress: Callable[[str], None] = lambda _message: None) -> bool:
    """Load the month unless the ledger has material events already; True if it loaded.

    The month is one transaction: a load that is interrupted (Ctrl-C, a crash) leaves
    nothing behind, and the next run starts it again from the beginning.
    """
    orgs = ensure_cast()
    with transaction.atomic():
        if Entry.objects.filter(type="scrap.received").exists():
            return False
        Month(orgs, scale or Scale(), progress).run()
    return True


def recall_example(wheel: Lot | None) -> tuple[Lot, int] | None:
    """The scrap lot to show a recall with: of the receipts upstream of `wheel`, the one whose
    metal is in the most wheels, with their number."""
    if wheel is None:
        return None
    everyone = Viewer(organisation_id=None, sees_everything=True)
    receipts = Lot.objects.filter(
        pk__in=upstream_lot_ids(wheel.pk), kind="scrap", made_by__type="scrap.received"
    ).order_by("code")
    counted = [(lot, lot_recall(lot=lot, viewer=everyone).count) for lot in receipts]
    return max(counted, key=lambda counted_lot: counted_lot[1], default=None)
