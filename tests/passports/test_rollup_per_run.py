"""Roll-ups per production run equal a recomputation part by part, on random histories.

The roll-up computes one carbon state per making entry and derives every part's footprint
from its run's state, its own mass and its own custody transports. The offline verifier's
recomputation (`passports.evidence.footprint_recompute`) instead replays the entries with
every part as a lot of its own. On random histories — runs of parts of different masses,
transfers of some parts of a run, amendments, voids, roll-ups at random moments — every
footprint version must be exactly what the per-part recomputation gives at its ledger seq,
and every current one what it gives now.
"""

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from remelt_verify.bundle import footprint_recompute

from ledger.errors import DomainError
from ledger.models import Entry, LedgerHead, Lot
from ledger.quantities import format_kg
from ledger.services import EventInput, events_record
from passports.models import EmissionFactorSet, Footprint
from passports.services import rollup_run
from tests.ledger.test_events import TRUCK_200
from tests.ledger.test_mass_balance import _step

SHIP = {"distance_km": "900", "mode": "ship"}


def _record(org, entry_type, data) -> bool:
    try:
        events_record(
            organisation=org, actor="user:prop", events=[EventInput(entry_type, timezone.now(), data)]
        )
    except DomainError as exc:
        event(f"{entry_type} refused: {exc.code}")
        return False
    event(f"{entry_type} recorded")
    return True


def _part_run(draw, org) -> None:
    """A run of parts of different masses from one of the organisation's melts or ingot lots."""
    lots = list(
        Lot.objects.filter(owner=org, kind__in=["melt", "ingot"], voided=False, remaining_g__gt=10_000)
    )
    if not lots:
        return
    source = draw(st.sampled_from(lots), label="run input")
    taken = draw(st.integers(10_000, source.remaining_g), label="taken g")
    masses = draw(st.lists(st.integers(1_000, 4_000), min_size=2, max_size=6), label="part masses")
    if sum(masses) > taken:
        return
    serial = Entry.objects.count()
    data = {
        "inputs": [{"lot": source.code, "mass_kg": format_kg(taken)}],
        "parts": [
            {"serial": f"R{serial}-{i}", "mass_kg": format_kg(grams), "part_number": "AW"}
            for i, grams in enumerate(masses)
        ],
        "energy": {"electricity_kwh": str(draw(st.integers(1, 500), label="kWh"))},
    }
    if draw(st.booleans(), label="internal scrap") and taken - sum(masses) > 2:
        data["internal_scrap"] = {"mass_kg": format_kg((taken - sum(masses)) // 2)}
    _record(org, "parts.produced", data)


def _transfer_some_parts(draw, org, to) -> None:
    """Some of the parts of one run (not all of them) change hands."""
    runs = list(
        Lot.objects.filter(owner=org, kind="part", voided=False)
        .values_list("made_by_id", flat=True)
        .distinct()
    )
    if not runs:
        return
    run = draw(st.sampled_from(sorted(runs)), label="run")
    parts = list(Lot.objects.filter(owner=org, made_by_id=run, voided=False).order_by("code"))
    chosen = draw(
        st.lists(st.sampled_from(parts), min_size=1, max_size=len(parts), unique=True), label="moved"
    )
    transport = draw(st.sampled_from([TRUCK_200, SHIP]), label="transport")
    moved = _record(
        org, "custody.transferred", {"lots": [p.code for p in chosen], "to": to.slug, "transport": transport}
    )
    if moved and draw(st.booleans(), label="some come back"):
        back = draw(
            st.lists(st.sampled_from(chosen), min_size=1, max_size=len(chosen), unique=True), label="back"
        )
        _record(
            to, "custody.transferred", {"lots": [p.code for p in back], "to": org.slug, "transport": SHIP}
        )


def _melt_shop(draw, org) -> None:
    """Two scrap receipts melted together: metal for the part runs to draw on."""
    codes = []
    for index in range(2):
        code = f"S-{org.slug}-{Entry.objects.count()}-{index}"
        category = draw(st.sampled_from(["post_consumer", "pre_consumer"]), label="category")
        kg = draw(st.integers(500, 20_000), label="scrap kg")
        data = {"code": code, "supplier": "scrapco", "grade": "wheels", "category": category}
        _record(org, "scrap.received", {**data, "mass_kg": str(kg), "transport": TRUCK_200})
        codes.append((code, kg))
    charged = sum(kg for _code, kg in codes)
    _record(
        org,
        "melt.recorded",
        {
            "furnace": "F",
            "inputs": [{"lot": code, "mass_kg": str(kg)} for code, kg in codes],
            "additions": [{"material": "silicon", "mass_kg": "30"}],
            "energy": {"natural_gas_m3": str(draw(st.integers(0, 900), label="gas"))},
            "output_mass_kg": str(draw(st.integers(charged // 2 + 15, charged), label="melt kg")),
        },
    )


def _entries() -> list[tuple[int, str, dict]]:
    return [(entry.seq, entry.type, entry.data) for entry in Entry.objects.order_by("seq")]


def _numbers(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in ("version", "ledger_seq")}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_footprints_per_run_equal_a_recomputation_part_by_part(cast, data):
    draw = data.draw
    alurec, wheelworks = cast["alurec"], cast["wheelworks"]
    with transaction.atomic():
        _melt_shop(draw, alurec)
        _melt_shop(draw, wheelworks)
        for _ in range(draw(st.integers(3, 25), label="steps")):
            action = draw(st.sampled_from(["any", "run", "run", "move", "move"]), label="action")
            if action == "run":
                _part_run(draw, draw(st.sampled_from([alurec, wheelworks]), label="maker"))
            elif action == "move":
                giver = draw(st.sampled_from([alurec, wheelworks]), label="giver")
                _transfer_some_parts(draw, giver, wheelworks if giver == alurec else alurec)
            else:
                _step(draw, cast)
            if draw(st.booleans(), label="roll up now"):
                rollup_run()
        rollup_run()

        factors = EmissionFactorSet.current().carbon_factors()
        entries = _entries()
        head = LedgerHead.objects.get(pk=1).seq
        versions = Footprint.objects.select_related("lot", "state", "run__factor_set")
        for footprint in versions:
            document = footprint.document
            at_its_seq = footprint_recompute(
                entries=entries, code=footprint.lot.code, ledger_seq=footprint.ledger_seq, factors=factors
            )
            assert _numbers(document) == at_its_seq, footprint
            if footprint.is_current:
                now = footprint_recompute(
                    entries=entries, code=footprint.lot.code, ledger_seq=head, factors=factors
                )
                assert _numbers(document) == now, footprint
        live = Lot.objects.filter(kind__in=["part", "ingot"], voided=False)
        assert set(versions.filter(superseded_at__isnull=True).values_list("lot_id", flat=True)) == set(
            live.values_list("pk", flat=True)
        )
        transaction.set_rollback(True)
