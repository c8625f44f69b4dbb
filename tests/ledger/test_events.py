"""Every material-flow event: the happy path, and each rule refused with its code and field,
with nothing written."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from ledger.errors import DomainError
from ledger.models import Consumption, Entry, LedgerHead, Lot, LotHolder, Process, Transfer
from ledger.projection import projection_drift
from ledger.services import EventInput, events_record

TRUCK_200 = {"distance_km": "200", "mode": "truck"}


def record(org, entry_type, data, *, occurred_at=None, actor="user:test"):
    """Record one event; returns the codes of the lots it made."""
    event = EventInput(entry_type, occurred_at or timezone.now(), data)
    return events_record(organisation=org, actor=actor, events=[event])[0].lots


def receive(org, mass="10000", category="post_consumer", **extra):
    data = {
        "supplier": "scrapco",
        "grade": "wheels",
        "category": category,
        "mass_kg": mass,
        "transport": TRUCK_200,
    }
    return record(org, "scrap.received", {**data, **extra})[0]


def melt(org, inputs, output, additions=(), **extra):
    data = {
        "furnace": "TC-65",
        "inputs": [{"lot": code, "mass_kg": mass} for code, mass in inputs],
        "additions": [{"material": material, "mass_kg": mass} for material, mass in additions],
        "energy": {"natural_gas_m3": "1200", "electricity_kwh": "1500"},
        "output_mass_kg": output,
        **extra,
    }
    return record(org, "melt.recorded", data)[0]


def snapshot():
    """Everything a refused event must leave untouched."""
    return (
        Entry.objects.count(),
        LedgerHead.objects.get().hash,
        Lot.objects.count(),
        Lot.objects.aggregate(Sum("remaining_g"))["remaining_g__sum"],
        sorted(Lot.objects.values_list("code", "owner__slug", "grade", "category", "voided")),
        Consumption.objects.count(),
        Transfer.objects.count(),
        LotHolder.objects.count(),
    )


def refused(org, entry_type, data, code, field, *, occurred_at=None):
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        record(org, entry_type, data, occurred_at=occurred_at)
    assert caught.value.code == code, caught.value
    assert field in caught.value.errors, caught.value.errors
    assert snapshot() == before
    return caught.value


# -- the happy paths ---------------------------------------------------------------------


def test_scrap_received_makes_a_lot_owned_by_the_poster(alurec, scrapco):
    code = receive(alurec, mass="1250.5", origin="Foshan", documents=["WB-7781"])
    lot = Lot.objects.get(code=code)
    assert code.startswith(f"SCR-{timezone.now().year}-")
    assert (lot.kind, lot.owner, lot.mass_g, lot.remaining_g) == ("scrap", alurec, 1_250_500, 1_250_500)
    assert (lot.category, lot.grade, lot.supplier, lot.origin) == (
        "post_consumer",
        "wheels",
        "scrapco",
        "Foshan",
    )
    entry = Entry.objects.get()
    assert entry.type == "scrap.received" and entry.organisation == alurec
    assert entry.data["mass_kg"] == "1250.500" and entry.data["code"] == code
    assert lot.made_by.facts["transport"] == {"distance_km": "200.000", "mode": "truck"}
    # the supplier is on the platform, but holds (sees) the lot only once it confirms the receipt
    assert set(LotHolder.objects.filter(lot=lot).values_list("organisation__slug", flat=True)) == {"alurec"}
    record(scrapco, "supply.confirmed", {"lot": code})
    assert set(LotHolder.objects.filter(lot=lot).values_list("organisation__slug", flat=True)) == {
        "alurec",
        "scrapco",
    }
    assert Lot.objects.get(code=code).supplier_confirmed and projection_drift() is None


def test_melt_consumes_its_inputs_exactly(alurec):
    s1 = receive(alurec, mass="10000")
    s2 = receive(alurec, mass="5000", category="pre_consumer")
    m1 = melt(
        alurec, [(s1, "8000"), (s2, "5000")], "14000", [("primary_aluminium", "1500"), ("silicon", "100")]
    )
    assert Lot.objects.get(code=s1).remaining_g == 2_000_000
    assert Lot.objects.get(code=s2).remaining_g == 0
    lot = Lot.objects.get(code=m1)
    assert (lot.kind, lot.mass_g, lot.remaining_g) == ("melt", 14_000_000, 14_000_000)
    assert lot.made_by.facts["additions"] == [
        {"material": "primary_aluminium", "mass_kg": "1500.000"},
        {"material": "silicon", "mass_kg": "100.000"},
    ]
    assert set(lot.made_by.inputs.values_list("lot__code", "mass_g")) == {(s1, 8_000_000), (s2, 5_000_000)}


def test_ingots_cast_and_parts_produced_with_internal_scrap(alurec, wheelworks):
    m1 = melt(alurec, [(receive(alurec), "9000")], "8500")
    ingots = record(
        alurec,
        "ingots.cast",
        {
            "inputs": [{"lot": m1, "mass_kg": "8400"}],
            "outputs": [
                {
                    "code": "ING-A",
                    "mass_kg": "4000",
                    "alloy": "A356.2",
                    "chemistry": {"Si": "7.05", "Mg": "0.35"},
                },
                {"code": "ING-B", "mass_kg": "4300", "alloy": "A356.2"},
            ],
            "energy": {"electricity_kwh": "300"},
        },
    )
    assert ingots == ["ING-A", "ING-B"]
    assert Lot.objects.get(code="ING-A").chemistry == {"Si": "7.0500", "Mg": "0.3500"}
    assert Lot.objects.get(code=m1).remaining_g == 100_000
    record(alurec, "custody.transferred", {"lots": ["ING-A"], "to": "wheelworks", "transport": TRUCK_200})
    made = record(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": "ING-A", "mass_kg": "1000"}],
            "parts": [{"serial": f"WH-{i:03d}", "mass_kg": "10", "part_number": "AW-17"} for i in range(90)],
            "internal_scrap": {"mass_kg": "80"},
            "energy": {"electricity_kwh": "600"},
        },
    )
    assert len(made) == 91 and made[0] == "WH-000"
    internal = Lot.objects.get(code=made[-1])
    assert (internal.kind, internal.category, internal.owner, internal.mass_g) == (
        "scrap",
        "internal",
        wheelworks,
        80_000,
    )
    assert Lot.objects.filter(kind="part", owner=wheelworks).count() == 90
    assert Lot.objects.get(code="ING-A").remaining_g == 3_000_000


def test_custody_transfer_moves_the_lots_and_records_who_held_them(alurec, wheelworks, autofab):
    s1 = receive(alurec)
    record(alurec, "custody.transferred", {"lots": [s1], "to": "wheelworks", "transport": TRUCK_200})
    lot = Lot.objects.get(code=s1)
    assert lot.owner == wheelworks
    transfer = Transfer.objects.get()
    assert (transfer.from_organisation, transfer.to_organisation) == (alurec, wheelworks)
    assert list(transfer.items.values_list("lot__code", "mass_g")) == [(s1, 10_000_000)]
    holders = set(LotHolder.objects.filter(lot=lot).values_list("organisation__slug", flat=True))
    assert holders == {"alurec", "wheelworks"}  # scrapco, named as supplier, has not confirmed


def test_amendment_corrects_facts_and_keeps_the_history_in_the_ledger(alurec):
    s1 = receive(alurec)
    record(
        alurec,
        "lot.amended",
        {
            "lot": s1,
            "reason": "weighbridge ticket typo",
            "grade": "ISRI Tense",
            "transport": {"distance_km": "210", "mode": "rail"},
        },
    )
    lot = Lot.objects.get(code=s1)
    assert lot.grade == "ISRI Tense"
    assert lot.made_by.facts["transport"] == {"distance_km": "210.000", "mode": "rail"}
    assert Entry.objects.get(seq=1).data["grade"] == "wheels"  # the original entry stands as it was
    assert Entry.objects.get(seq=2).data["reason"] == "weighbridge ticket typo"


def test_void_withdraws_an_unused_melt_and_gives_its_metal_back(alurec):
    s1 = receive(alurec)
    m1 = melt(alurec, [(s1, "8000")], "7600")
    melt_seq = Entry.objects.get(type="melt.recorded").seq
    record(alurec, "entry.voided", {"seq": melt_seq, "reason": "recorded on the wrong furnace"})
    assert Lot.objects.get(code=s1).remaining_g == 10_000_000
    assert Lot.objects.get(code=m1).voided
    assert Process.objects.get(pk=melt_seq).voided
    assert projection_drift() is None


def test_void_of_a_transfer_gives_the_lots_back(alurec, wheelworks):
    s1 = receive(alurec)
    record(alurec, "custody.transferred", {"lots": [s1], "to": "wheelworks", "transport": TRUCK_200})
    record(alurec, "entry.voided", {"seq": 2, "reason": "truck never left"})
    assert Lot.objects.get(code=s1).owner == alurec
    assert not LotHolder.objects.filter(lot__code=s1, organisation=wheelworks).exists()
    assert projection_drift() is None


def test_a_batch_can_use_lots_made_earlier_in_the_same_batch(alurec):
    now = timezone.now()
    recorded = events_record(
        organisation=alurec,
        actor="user:test",
        events=[
            EventInput(
                "scrap.received",
                now,
                {
                    "code": "S-1",
                    "supplier_name": "x",
                    "grade": "g",
                    "category": "post_consumer",
                    "mass_kg": "100",
                    "transport": TRUCK_200,
                },
            ),
            EventInput(
                "melt.recorded",
                now,
                {"furnace": "F", "inputs": [{"lot": "S-1", "mass_kg": "100"}], "output_mass_kg": "95"},
            ),
        ],
    )
    assert [r.entry.seq for r in recorded] == [1, 2]
    assert Lot.objects.get(code="S-1").remaining_g == 0


# -- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"category": "internal"}, "invalid", "data.category"),
        ({"mass_kg": "0"}, "invalid", "data.mass_kg"),
        ({"mass_kg": "-5"}, "invalid", "data.mass_kg"),
        ({"mass_kg": "1.2345"}, "invalid", "data.mass_kg"),
        ({"mass_kg": 12.5}, "invalid", "data.mass_kg"),
        ({"mass_kg": "ten"}, "invalid", "data.mass_kg"),
        ({"transport": {"distance_km": "10", "mode": "zeppelin"}}, "unknown_mode", "data.transport.mode"),
        ({"transport": {"distance_km": "-1", "mode": "truck"}}, "invalid", "data.transport.distance_km"),
        ({"supplier": None}, "invalid", "data.supplier"),
        ({"colour": "grey"}, "invalid", "data.colour"),
        ({"code": "TAKEN"}, "duplicate_code", "data.code"),
    ],
)
def test_scrap_received_rules(alurec, change, code, field):
    receive(alurec, code="TAKEN")
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport": TRUCK_200,
    }
    refused(alurec, "scrap.received", {**data, **change}, code, field)


def test_future_occurred_at_is_refused(alurec):
    data = {
        "supplier_name": "x",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport": TRUCK_200,
    }
    refused(
        alurec,
        "scrap.received",
        data,
        "future",
        "occurred_at",
        occurred_at=timezone.now() + timedelta(days=1),
    )


def test_unknown_event_type_is_refused(alurec):
    refused(alurec, "scrap.stolen", {}, "invalid", "type")


@pytest.fixture
def yard(alurec, wheelworks, outsider):
    """alurec holds S-A (10 t); wheelworks holds S-W (its own); outsider holds S-O (never seen by alurec);
    S-T was alurec's and went to wheelworks (alurec may see it, not use it)."""
    receive(alurec, code="S-A")
    receive(wheelworks, code="S-W")
    receive(outsider, code="S-O")
    receive(alurec, code="S-T")
    record(alurec, "custody.transferred", {"lots": ["S-T"], "to": "wheelworks", "transport": TRUCK_200})
    record(
        wheelworks,
        "parts.produced",
        {
            "inputs": [{"lot": melt(wheelworks, [("S-W", "1000")], "900"), "mass_kg": "100"}],
            "parts": [{"serial": "WH-1", "mass_kg": "10", "part_number": "P"}],
        },
    )


def _melt_data(inputs, output="500", additions=()):
    return {
        "furnace": "F1",
        "inputs": [{"lot": code, "mass_kg": mass} for code, mass in inputs],
        "additions": list(additions),
        "output_mass_kg": output,
    }


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (_melt_data([("S-NONE", "100")]), "unknown_lot", "data.inputs[0].lot"),
        (_melt_data([("S-O", "100")]), "unknown_lot", "data.inputs[0].lot"),  # never held: no leak
        (_melt_data([("S-T", "100")]), "not_owner", "data.inputs[0].lot"),  # held before, not now
        (_melt_data([("S-A", "10000.001")], "6000"), "overdrawn", "data.inputs[0].mass_kg"),
        (_melt_data([("S-A", "1000")], "1000.001"), "mass_balance", "data.output_mass_kg"),
        (_melt_data([("S-A", "1000")], "499.999"), "low_yield", "data.output_mass_kg"),
        (
            _melt_data([("S-A", "1000")], "600", [{"material": "unobtainium", "mass_kg": "1"}]),
            "unknown_material",
            "data.additions[0].material",
        ),
        (
            _melt_data([("S-A", "1000")], "600", [{"material": "silicon", "mass_kg": "0"}]),
            "invalid",
            "data.additions[0].mass_kg",
        ),
        (_melt_data([("S-A", "100"), ("S-A", "100")]), "invalid", "data.inputs[1].lot"),
        ({**_melt_data([("S-A", "1000")]), "dross_kg": "600"}, "mass_balance", "data.dross_kg"),
        (
            {**_melt_data([("S-A", "1000")]), "energy": {"electricity_kwh": "-3"}},
            "invalid",
            "data.energy.electricity_kwh",
        ),
        ({**_melt_data([("S-A", "1000")]), "furnace": ""}, "invalid", "data.furnace"),
        ({**_melt_data([("S-A", "1000")]), "inputs": []}, "invalid", "data.inputs"),
    ],
)
def test_melt_rules(yard, alurec, data, code, field):
    refused(alurec, "melt.recorded", data, code, field)


def test_a_part_cannot_be_melted(yard, wheelworks):
    refused(
        wheelworks, "melt.recorded", _melt_data([("WH-1", "10")], "9"), "wrong_kind", "data.inputs[0].lot"
    )


def test_cast_rules(yard, alurec):
    m = melt(alurec, [("S-A", "1000")], "950")
    out = [{"mass_kg": "951", "alloy": "A356.2"}]
    refused(
        alurec,
        "ingots.cast",
        {"inputs": [{"lot": m, "mass_kg": "950"}], "outputs": out},
        "mass_balance",
        "data.outputs",
    )
    out = [{"mass_kg": "100", "alloy": "A356.2"}]
    refused(
        alurec,
        "ingots.cast",
        {"inputs": [{"lot": "S-A", "mass_kg": "100"}], "outputs": out},
        "wrong_kind",
        "data.inputs[0].lot",
    )
    out = [{"mass_kg": "100", "alloy": "A356.2", "chemistry": {"Si": "101"}}]
    refused(
        alurec,
        "ingots.cast",
        {"inputs": [{"lot": m, "mass_kg": "100"}], "outputs": out},
        "invalid",
        "data.outputs[0].chemistry.Si",
    )


def test_part_run_rules(yard, wheelworks):
    m = Lot.objects.filter(kind="melt", owner=wheelworks).get().code
    parts = [
        {"serial": "WH-2", "mass_kg": "10", "part_number": "P"},
        {"serial": "WH-2", "mass_kg": "10", "part_number": "P"},
    ]
    refused(
        wheelworks,
        "parts.produced",
        {"inputs": [{"lot": m, "mass_kg": "20"}], "parts": parts},
        "duplicate_code",
        "data.parts[1].serial",
    )
    parts = [{"serial": "WH-1", "mass_kg": "10", "part_number": "P"}]
    refused(
        wheelworks,
        "parts.produced",
        {"inputs": [{"lot": m, "mass_kg": "20"}], "parts": parts},
        "duplicate_code",
        "data.parts[0].serial",
    )
    parts = [{"serial": "WH-3", "mass_kg": "10", "part_number": "P"}]
    refused(
        wheelworks,
        "parts.produced",
        {"inputs": [{"lot": m, "mass_kg": "10"}], "parts": parts, "internal_scrap": {"mass_kg": "0.001"}},
        "mass_balance",
        "data.parts",
    )


def test_transfer_rules(yard, alurec):
    body = {"lots": ["S-A"], "to": "nobody", "transport": TRUCK_200}
    refused(alurec, "custody.transferred", body, "unknown_organisation", "data.to")
    refused(alurec, "custody.transferred", {**body, "to": "alurec"}, "invalid", "data.to")
    refused(
        alurec, "custody.transferred", {**body, "to": "autofab", "lots": ["S-T"]}, "not_owner", "data.lots[0]"
    )
    refused(
        alurec,
        "custody.transferred",
        {**body, "to": "autofab", "lots": ["S-A", "S-A"]},
        "invalid",
        "data.lots[1]",
    )
    melt(alurec, [("S-A", "10000")], "9000")
    refused(alurec, "custody.transferred", {**body, "to": "autofab"}, "empty", "data.lots[0]")


def test_amendment_rules(yard, alurec, wheelworks):
    # Which facts may be corrected depends on the lot's entry, which no schema states: a rule's code
    refused(alurec, "lot.amended", {"lot": "S-A", "reason": "r"}, "not_amendable", "data.lot")
    energy = {"natural_gas_m3": "1", "electricity_kwh": "1"}
    refused(
        alurec, "lot.amended", {"lot": "S-A", "reason": "r", "energy": energy}, "not_amendable", "data.energy"
    )
    refused(alurec, "lot.amended", {"lot": "S-A", "reason": "r", "mass_kg": "5"}, "invalid", "data.mass_kg")
    refused(alurec, "lot.amended", {"lot": "S-A", "grade": "x"}, "invalid", "data.reason")
    refused(wheelworks, "lot.amended", {"lot": "S-T", "reason": "r", "grade": "x"}, "not_maker", "data.lot")
    m = melt(alurec, [("S-A", "1000")], "950", [("silicon", "10")])
    refused(
        alurec,
        "lot.amended",
        {"lot": m, "reason": "r", "additions": [{"material": "magnesium", "mass_kg": "11"}]},
        "structural",
        "data.additions",
    )
    record(
        alurec,
        "lot.amended",
        {"lot": m, "reason": "r", "additions": [{"material": "magnesium", "mass_kg": "10"}]},
    )
    assert Lot.objects.get(code=m).made_by.facts["additions"] == [
        {"material": "magnesium", "mass_kg": "10.000"}
    ]


def test_void_rules(yard, alurec, wheelworks):
    melt_seq = Entry.objects.filter(type="melt.recorded", organisation=wheelworks).get().seq
    error = refused(wheelworks, "entry.voided", {"seq": melt_seq, "reason": "r"}, "consumed", "data.seq")
    assert "WH-1" in error.message  # names the downstream lots
    refused(wheelworks, "entry.voided", {"seq": 9999, "reason": "r"}, "unknown_entry", "data.seq")
    refused(
        alurec, "entry.voided", {"seq": melt_seq, "reason": "r"}, "unknown_entry", "data.seq"
    )  # not theirs
    moved_away = Lot.objects.get(code="S-T").made_by_id
    error = refused(alurec, "entry.voided", {"seq": moved_away, "reason": "r"}, "consumed", "data.seq")
    assert "S-T (transferred in entry" in error.message
    record(alurec, "lot.amended", {"lot": "S-A", "reason": "typo", "grade": "x"})
    amend_seq = Entry.objects.filter(type="lot.amended").get().seq
    refused(alurec, "entry.voided", {"seq": amend_seq, "reason": "r"}, "not_voidable", "data.seq")


def test_a_batch_with_one_bad_event_writes_nothing_and_names_it(alurec):
    good = {
        "supplier_name": "x",
        "grade": "g",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport": TRUCK_200,
    }
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        events_record(
            organisation=alurec,
            actor="user:test",
            events=[
                EventInput("scrap.received", timezone.now(), good),
                EventInput("scrap.received", timezone.now(), {**good, "mass_kg": "0"}),
            ],
        )
    assert list(caught.value.errors) == ["[1].data.mass_kg"]
    assert snapshot() == before
