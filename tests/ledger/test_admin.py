"""The admin: staff record every event type through forms that call events_record, see a
broken rule next to the field it names, read lots and entries but never edit them, and
re-verify the ledger with a button."""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_create
from ledger import events
from ledger.models import Entry, Lot
from ledger.services import EventInput, events_record
from passports.models import EmissionFactorSet


@pytest.fixture
def ops(cast):
    """The operator's superuser, who records for any organisation."""
    user = user_create(username="ops", organisation=cast["remelt-ops"], password="ops-runs-it", is_staff=True)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


@pytest.fixture
def staff(client, ops):
    client.force_login(ops)
    return client


def record(org, event_type, data):
    [recorded] = events_record(
        organisation=org, actor="user:ops", events=[EventInput(event_type, timezone.now(), data)]
    )
    return recorded


def receive(org, code, mass_kg, grade="ISRI Tense"):
    return record(
        org,
        events.SCRAP_RECEIVED,
        {
            "code": code,
            "supplier": "scrapco",
            "grade": grade,
            "category": "post_consumer",
            "mass_kg": mass_kg,
            "transport": {"distance_km": "120", "mode": "truck"},
        },
    )


def melt(org, code, inputs, output_kg):
    return record(
        org,
        events.MELT_RECORDED,
        {
            "code": code,
            "furnace": "F1",
            "inputs": [{"lot": lot, "mass_kg": kg} for lot, kg in inputs],
            "output_mass_kg": output_kg,
        },
    )


def record_url(kind):
    return reverse("admin:ledger_lot_record", args=[kind])


def now_text(delta=timedelta(minutes=-1)):
    return (timezone.now() + delta).strftime("%Y-%m-%dT%H:%M:%S")


def form_data(org, rows=None, **fields):
    """POST data of a record form; `rows` maps a formset prefix to its rows ({} is a blank row)."""
    data = {"organisation": org.pk, "occurred_at": now_text(), **fields}
    for prefix, items in (rows or {}).items():
        data[f"{prefix}-TOTAL_FORMS"] = len(items)
        data[f"{prefix}-INITIAL_FORMS"] = 0
        for index, item in enumerate(items):
            for name, value in item.items():
                data[f"{prefix}-{index}-{name}"] = value
    return data


def error_next_to(response, name) -> str:
    """The error shown for form control `name`, checking that the control itself comes next."""
    html = response.content.decode()
    shown = re.search(rf'<ul class="errorlist" id="id_{re.escape(name)}_error">(.*?)</ul>', html, re.S)
    assert shown, f"no error shown for {name}"
    next_control = re.search(r'name="([^"]+)"', html[shown.end() :])
    assert next_control[1] == name
    return unescape(re.sub(r"<[^>]+>", " ", shown[1])).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------------------------------
# Recording a melt, and what a broken rule looks like


def test_staff_record_a_melt_with_inputs_and_additions(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    receive(alurec, "SCR-B", "500.000")
    data = form_data(
        alurec,
        rows={
            "inputs": [{"lot": "SCR-A", "mass_kg": "600.000"}, {"lot": "SCR-B", "mass_kg": "500"}, {}],
            "additions": [{"material": "silicon", "mass_kg": "20.5"}, {}],
        },
        code="MLT-1",
        furnace="F1",
        output_mass_kg="1050.250",
        dross_kg="40",
        electricity_kwh="1200",
    )

    response = staff.post(record_url("melt"), data)

    melt_lot = Lot.objects.get(code="MLT-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ledger_lot_change", args=[melt_lot.pk])
    entry = Entry.objects.order_by("-seq").first()
    assert (entry.type, entry.organisation, entry.actor) == (events.MELT_RECORDED, alurec, "user:ops")
    assert entry.data["inputs"] == [
        {"lot": "SCR-A", "mass_kg": "600.000"},
        {"lot": "SCR-B", "mass_kg": "500.000"},
    ]
    assert entry.data["additions"] == [{"material": "silicon", "mass_kg": "20.500"}]
    assert entry.data["energy"] == {"electricity_kwh": "1200.000", "natural_gas_m3": "0.000"}
    assert (melt_lot.kind, melt_lot.owner, melt_lot.mass_g, melt_lot.remaining_g) == (
        "melt",
        alurec,
        1050250,
        1050250,
    )
    assert Lot.objects.get(code="SCR-A").remaining_g == 400000
    assert Lot.objects.get(code="SCR-B").remaining_g == 0
    assert messages_of(response) == [f"Recorded entry #{entry.seq} (melt.recorded) for Alurec: MLT-1."]


def test_an_overdrawn_input_writes_nothing_and_is_shown_on_its_row(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    receive(alurec, "SCR-B", "500.000")
    entries = Entry.objects.count()
    data = form_data(
        alurec,
        rows={
            "inputs": [{"lot": "SCR-A", "mass_kg": "100"}, {"lot": "SCR-B", "mass_kg": "600"}],
            "additions": [],
        },
        furnace="F1",
        output_mass_kg="650",
    )

    response = staff.post(record_url("melt"), data)

    assert response.status_code == 200
    assert Entry.objects.count() == entries
    assert Lot.objects.filter(kind="melt").count() == 0
    assert Lot.objects.get(code="SCR-A").remaining_g == 1000000
    assert "500.000 kg left, 600.000 kg asked" in error_next_to(response, "inputs-1-mass_kg")
    assert "Nothing was recorded" in response.content.decode()


def test_an_error_goes_to_the_row_the_item_came_from_when_blank_rows_are_skipped(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    receive(alurec, "SCR-B", "500.000")
    data = form_data(
        alurec,
        rows={
            "inputs": [{}, {"lot": "SCR-A", "mass_kg": "100"}, {}, {"lot": "SCR-B", "mass_kg": "600"}],
            "additions": [],
        },
        furnace="F1",
        output_mass_kg="650",
    )

    response = staff.post(record_url("melt"), data)

    # The payload's inputs[1] is the fourth row of the form.
    assert "600.000 kg asked" in error_next_to(response, "inputs-3-mass_kg")
    assert 'id="id_inputs-1-mass_kg_error"' not in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"inputs-0-lot": "SCR-NOPE"}, "inputs-0-lot", "no lot 'SCR-NOPE'"),
        ({"inputs-0-mass_kg": "1.2345"}, "inputs-0-mass_kg", "more than 3 decimals"),
        ({"additions-0-material": "unobtainium"}, "additions-0-material", "Select a valid choice"),
        ({"output_mass_kg": "2000"}, "output_mass_kg", "exceeds inputs plus additions"),
        ({"output_mass_kg": "10"}, "output_mass_kg", "below 50 %"),
        ({"electricity_kwh": "-3"}, "electricity_kwh", "must not be negative"),
        ({"occurred_at": now_text(timedelta(days=2))}, "occurred_at", "is in the future"),
    ],
)
def test_a_broken_rule_is_shown_next_to_the_field_and_nothing_is_written(
    staff, alurec, change, field, message
):
    receive(alurec, "SCR-A", "1000.000")
    entries = Entry.objects.count()
    data = form_data(
        alurec,
        rows={
            "inputs": [{"lot": "SCR-A", "mass_kg": "100"}],
            "additions": [{"material": "silicon", "mass_kg": "1"}],
        },
        furnace="F1",
        output_mass_kg="95",
    )
    data.update(change)

    response = staff.post(record_url("melt"), data)

    assert response.status_code == 200
    assert message in error_next_to(response, field)
    assert Entry.objects.count() == entries
    assert Lot.objects.get(code="SCR-A").remaining_g == 1000000


def test_a_melt_without_inputs_is_refused_above_the_input_rows(staff, alurec):
    data = form_data(alurec, rows={"inputs": [{}], "additions": []}, furnace="F1", output_mass_kg="95")

    response = staff.post(record_url("melt"), data)

    html = response.content.decode()
    section = html[html.index('id="rows-inputs"') : html.index('id="rows-additions"')]
    assert "Ensure this list has at least 1 item(s)." in section
    assert Entry.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# The other event forms


def test_staff_record_a_scrap_receipt_with_a_generated_code(staff, alurec):
    data = form_data(
        alurec,
        supplier="scrapco",
        grade="wheels",
        category="pre_consumer",
        mass_kg="2500.5",
        origin="Ningbo",
        documents="WB-1\n\nDN-7\n",
        transport_distance_km="80",
        transport_mode="rail",
    )

    response = staff.post(record_url("scrap"), data)

    lot = Lot.objects.get()
    assert response.status_code == 302
    assert re.fullmatch(rf"SCR-{timezone.now().year}-[0-9A-HJKMNP-TV-Z]{{10}}", lot.code)
    assert (lot.kind, lot.category, lot.grade, lot.mass_g, lot.supplier) == (
        "scrap",
        "pre_consumer",
        "wheels",
        2500500,
        "scrapco",
    )
    entry = Entry.objects.get()
    assert entry.data["documents"] == ["WB-1", "DN-7"]
    assert entry.data["transport"] == {"distance_km": "80.000", "mode": "rail"}


def test_a_receipts_supplier_is_chosen_among_the_organisations_or_named(staff, alurec):
    receipt = {
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "100",
        "transport_distance_km": "80",
        "transport_mode": "truck",
    }
    page = staff.get(record_url("scrap"))
    assert [value for value, _label in page.context["form"].fields["supplier"].choices] == ["", "scrapco"]
    typo = staff.post(record_url("scrap"), form_data(alurec, supplier="scrapc0", **receipt))
    assert "Select a valid choice" in error_next_to(typo, "supplier")
    neither = staff.post(record_url("scrap"), form_data(alurec, **receipt))
    assert "Choose the supplier, or name one that is not on the platform." in error_next_to(
        neither, "supplier"
    )
    both = staff.post(
        record_url("scrap"), form_data(alurec, supplier="scrapco", supplier_name="Hebei", **receipt)
    )
    assert "not both" in error_next_to(both, "supplier_name")
    assert not Entry.objects.exists()

    named = staff.post(record_url("scrap"), form_data(alurec, supplier_name="Hebei Scrap Trading", **receipt))
    assert named.status_code == 302
    lot = Lot.objects.get()
    assert (lot.supplier, lot.supplier_name) == ("", "Hebei Scrap Trading")
    assert Entry.objects.get().data["supplier_name"] == "Hebei Scrap Trading"


def test_staff_record_an_ingot_cast(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    melt(alurec, "MLT-1", [("SCR-A", "1000")], "950")
    data = form_data(
        alurec,
        rows={
            "inputs": [{"lot": "MLT-1", "mass_kg": "900"}],
            "outputs": [
                {"code": "ING-1", "mass_kg": "450", "alloy": "A356.2", "chemistry": "Si=7.0, mg=0.35"},
                {"mass_kg": "440", "alloy": "A356.2"},
            ],
        },
    )

    response = staff.post(record_url("ingots"), data)

    entry = Entry.objects.order_by("-seq").first()
    assert response["Location"] == reverse("admin:ledger_entry_change", args=[entry.seq])
    ingots = Lot.objects.filter(kind="ingot").order_by("pk")
    assert [(lot.mass_g, lot.alloy) for lot in ingots] == [(450000, "A356.2"), (440000, "A356.2")]
    assert ingots[0].chemistry == {"Si": "7.0000", "Mg": "0.3500"}
    assert Lot.objects.get(code="MLT-1").remaining_g == 50000


def test_a_chemistry_that_is_not_element_equals_share_is_refused_on_its_row(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    melt(alurec, "MLT-1", [("SCR-A", "1000")], "950")
    data = form_data(
        alurec,
        rows={
            "inputs": [{"lot": "MLT-1", "mass_kg": "900"}],
            "outputs": [{"mass_kg": "450", "alloy": "A356.2", "chemistry": "silicon seven"}],
        },
    )

    response = staff.post(record_url("ingots"), data)

    assert "is not ELEMENT=share" in error_next_to(response, "outputs-0-chemistry")
    assert not Lot.objects.filter(kind="ingot").exists()


def test_a_part_run_by_count_and_prefix_makes_that_many_parts(staff, wheelworks):
    receive(wheelworks, "SCR-W", "1000.000")
    melt(wheelworks, "MLT-W", [("SCR-W", "1000")], "950")
    data = form_data(
        wheelworks,
        rows={"inputs": [{"lot": "MLT-W", "mass_kg": "50"}, {}]},
        part_count="3",
        serial_prefix="WH-2026-",
        first_number="7",
        part_mass_kg="12.5",
        part_number="HUB-17",
        internal_scrap_mass_kg="5",
    )

    response = staff.post(record_url("parts"), data)

    assert response.status_code == 302
    parts = Lot.objects.filter(kind="part").order_by("code")
    assert [(p.code, p.mass_g, p.part_number, p.owner) for p in parts] == [
        (f"WH-2026-00000{n}", 12500, "HUB-17", wheelworks) for n in (7, 8, 9)
    ]
    internal = Lot.objects.get(kind="scrap", category="internal")
    assert internal.mass_g == 5000
    assert Lot.objects.get(code="MLT-W").remaining_g == 900000
    assert Entry.objects.order_by("-seq").first().type == events.PARTS_PRODUCED


def test_a_part_run_by_serials_names_the_line_of_a_taken_serial(staff, wheelworks):
    receive(wheelworks, "SCR-W", "1000.000")
    melt(wheelworks, "MLT-W", [("SCR-W", "1000")], "950")
    entries = Entry.objects.count()
    data = form_data(
        wheelworks,
        rows={"inputs": [{"lot": "MLT-W", "mass_kg": "50"}]},
        serials="WH-1\nSCR-W\nWH-3",
        part_mass_kg="12.5",
        part_number="HUB-17",
    )

    response = staff.post(record_url("parts"), data)

    assert "line 2: serial 'SCR-W' is taken" in error_next_to(response, "serials")
    assert Entry.objects.count() == entries

    data["serials"] = "WH-1\nWH-2"
    response = staff.post(record_url("parts"), data)
    assert response.status_code == 302
    assert set(Lot.objects.filter(kind="part").values_list("code", flat=True)) == {"WH-1", "WH-2"}


def test_a_part_run_needs_serials_or_a_count_with_a_prefix_not_both(staff, wheelworks):
    data = form_data(
        wheelworks,
        rows={"inputs": [{"lot": "MLT-W", "mass_kg": "50"}]},
        serials="WH-1",
        part_count="2",
        serial_prefix="WH-",
        part_mass_kg="12.5",
        part_number="HUB-17",
    )

    response = staff.post(record_url("parts"), data)

    assert "not both" in response.content.decode()
    del data["serials"]
    del data["serial_prefix"]
    response = staff.post(record_url("parts"), data)
    assert "Give the serial prefix" in error_next_to(response, "serial_prefix")
    assert Entry.objects.count() == 0


def test_staff_record_a_custody_transfer(staff, alurec, wheelworks):
    receive(alurec, "SCR-A", "1000.000")
    receive(alurec, "SCR-B", "500.000")
    data = form_data(alurec, lots="SCR-A\nSCR-B", to="wheelworks", transport_distance_km="300")
    data["transport_mode"] = "truck"

    response = staff.post(record_url("transfer"), data)

    assert response.status_code == 302
    assert set(Lot.objects.values_list("owner__slug", flat=True)) == {"wheelworks"}
    assert Entry.objects.order_by("-seq").first().data["to"] == "wheelworks"


def test_a_custody_transfer_names_the_line_of_an_unknown_lot(staff, alurec, wheelworks):
    receive(alurec, "SCR-A", "1000.000")
    data = form_data(
        alurec, lots="SCR-A\nSCR-NOPE", to="wheelworks", transport_distance_km="300", transport_mode="truck"
    )

    response = staff.post(record_url("transfer"), data)

    assert error_next_to(response, "lots") == "line 2: no lot 'SCR-NOPE'"
    assert Lot.objects.get(code="SCR-A").owner == alurec


def test_staff_amend_a_lot_and_a_fact_its_entry_does_not_have_is_refused(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")

    response = staff.get(record_url("amend"), {"lot": "SCR-A"})
    amendable = response.context["amendable"]
    assert amendable.facts == ("grade", "category", "transport", "origin")
    assert amendable.current["grade"] == "ISRI Tense"
    assert amendable.current["transport"] == {"distance_km": "120.000", "mode": "truck"}
    assert "Its amendable facts are: grade, category, transport, origin" in response.content.decode()

    data = form_data(alurec, {"additions": []}, lot="SCR-A", reason="ticket misread", alloy="A356.2")
    response = staff.post(record_url("amend"), data)
    assert "Not a fact of this lot's entry; its amendable facts are: grade, category, transport, origin." in (
        error_next_to(response, "alloy")
    )
    assert Entry.objects.count() == 1

    data = form_data(
        alurec, {"additions": []}, lot="SCR-A", reason="ticket misread", grade="ISRI Taint/Tabor"
    )
    response = staff.post(record_url("amend"), data)
    lot = Lot.objects.get(code="SCR-A")
    assert response["Location"] == reverse("admin:ledger_lot_change", args=[lot.pk])
    assert lot.grade == "ISRI Taint/Tabor"
    entry = Entry.objects.order_by("-seq").first()
    assert entry.type == events.LOT_AMENDED
    assert entry.data == {"lot": "SCR-A", "reason": "ticket misread", "grade": "ISRI Taint/Tabor"}


def test_staff_void_an_entry_and_a_consumed_one_is_refused(staff, alurec):
    first = receive(alurec, "SCR-A", "1000.000").entry
    second = receive(alurec, "SCR-B", "500.000").entry
    melt(alurec, "MLT-1", [("SCR-B", "500")], "480")

    response = staff.post(record_url("void"), form_data(alurec, seq=second.seq, reason="double entry"))
    assert "its lots were used since: MLT-1" in error_next_to(response, "seq")
    assert not Lot.objects.get(code="SCR-B").voided

    response = staff.post(record_url("void"), form_data(alurec, seq=first.seq, reason="double entry"))
    assert response.status_code == 302
    assert Lot.objects.get(code="SCR-A").voided
    assert Entry.objects.order_by("-seq").first().data == {"seq": first.seq, "reason": "double entry"}


# ---------------------------------------------------------------------------------------------
# Who may record, for whom


def test_staff_without_the_record_permission_cannot_open_the_forms(client, alice):
    client.force_login(alice)
    assert client.get(record_url("melt")).status_code == 403


def test_staff_of_a_member_record_only_for_their_own_organisation(client, alice, alurec, scrapco):
    alice.user_permissions.add(Permission.objects.get(codename="add_entry", content_type__app_label="ledger"))
    client.force_login(alice)

    response = client.get(record_url("scrap"))
    assert list(response.context["form"].fields["organisation"].queryset) == [alurec]

    data = form_data(
        scrapco,
        supplier="scrapco",
        grade="wheels",
        category="pre_consumer",
        mass_kg="1",
        transport_distance_km="1",
        transport_mode="truck",
    )
    response = client.post(record_url("scrap"), data)
    assert "Select a valid choice" in error_next_to(response, "organisation")
    data["organisation"] = alurec.pk
    assert client.post(record_url("scrap"), data).status_code == 302
    assert Entry.objects.get().actor == "user:alice"


def test_an_unknown_event_form_is_not_found(staff):
    assert staff.get(record_url("smelt")).status_code == 404


def test_the_lot_list_links_every_record_form(staff):
    html = staff.get(reverse("admin:ledger_lot_changelist")).content.decode()
    for kind, title in [("melt", "Record a melt"), ("parts", "Record a part run"), ("void", "Void an entry")]:
        assert f'<a href="{record_url(kind)}">{title}</a>' in html


def test_every_form_renders_with_now_as_the_default_time(staff, alurec):
    for kind in ("scrap", "melt", "ingots", "parts", "transfer", "amend", "void"):
        response = staff.get(record_url(kind))
        assert response.status_code == 200
        shown = timezone.make_aware(response.context["form"]["occurred_at"].value())
        assert timezone.now() - timedelta(minutes=1) < shown <= timezone.now()


# ---------------------------------------------------------------------------------------------
# Nothing recorded is edited in the admin


@pytest.mark.parametrize("model", ["lot", "entry"])
def test_recorded_rows_cannot_be_added_changed_or_deleted(staff, alurec, model):
    receive(alurec, "SCR-A", "1000.000")
    pk = Lot.objects.get().pk if model == "lot" else Entry.objects.get().seq
    change = reverse(f"admin:ledger_{model}_change", args=[pk])
    delete = reverse(f"admin:ledger_{model}_delete", args=[pk])

    assert staff.get(reverse(f"admin:ledger_{model}_add")).status_code == 403
    assert staff.post(change, {"code": "SCR-X", "type": "forged"}).status_code == 403
    assert staff.get(delete).status_code == 403
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    view = staff.get(change)
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    changelist = staff.get(reverse(f"admin:ledger_{model}_changelist")).content.decode()
    assert reverse(f"admin:ledger_{model}_add") not in changelist
    assert Lot.objects.get().code == "SCR-A"
    assert Entry.objects.get().type == events.SCRAP_RECEIVED


def test_factor_sets_are_read_only_with_their_factors(staff):
    factor_set = EmissionFactorSet.current()
    change = reverse("admin:passports_emissionfactorset_change", args=[factor_set.pk])

    assert staff.get(reverse("admin:passports_emissionfactorset_add")).status_code == 403
    assert staff.post(change, {"version": "forged"}).status_code == 403
    assert (
        staff.get(reverse("admin:passports_emissionfactorset_delete", args=[factor_set.pk])).status_code
        == 403
    )
    html = staff.get(change).content.decode()
    assert "primary_aluminium" in html and "15.947" in html
    assert 'name="_save"' not in html


# ---------------------------------------------------------------------------------------------
# Reading: the lot page, the lists, and verification


def test_the_lot_page_shows_inputs_outputs_remaining_mass_and_entries(staff, alurec):
    scrap_entry = receive(alurec, "SCR-A", "1000.000").entry
    melt_entry = melt(alurec, "MLT-1", [("SCR-A", "600")], "580").entry
    amend_entry = record(
        alurec, events.LOT_AMENDED, {"lot": "SCR-A", "reason": "typo", "grade": "Taint"}
    ).entry
    scrap, melt_lot = Lot.objects.get(code="SCR-A"), Lot.objects.get(code="MLT-1")

    response = staff.get(reverse("admin:ledger_lot_change", args=[scrap.pk]))
    assert response.status_code == 200
    assert response.context["lot_outputs"][0]["lots"] == [melt_lot]
    assert response.context["lot_outputs"][0]["mass_kg"] == "600.000"
    assert [(row["entry"].seq, row["roles"]) for row in response.context["lot_entries"]] == [
        (scrap_entry.seq, ["made it"]),
        (melt_entry.seq, ["took 600.000 kg"]),
        (amend_entry.seq, ["amended it: typo"]),
    ]
    html = response.content.decode()
    assert "400.000" in html  # remaining kg
    assert scrap_entry.hash[:12] in html and amend_entry.hash[:12] in html

    response = staff.get(reverse("admin:ledger_lot_change", args=[melt_lot.pk]))
    assert [(row["lot"], row["mass_kg"]) for row in response.context["lot_inputs"]] == [(scrap, "600.000")]
    assert reverse("admin:ledger_lot_change", args=[scrap.pk]) in response.content.decode()


def test_the_lot_page_lists_a_void_of_its_entry(staff, alurec):
    scrap_entry = receive(alurec, "SCR-A", "1000.000").entry
    void_entry = record(alurec, events.ENTRY_VOIDED, {"seq": scrap_entry.seq, "reason": "twice"}).entry

    response = staff.get(reverse("admin:ledger_lot_change", args=[Lot.objects.get().pk]))

    assert [(row["entry"].seq, row["roles"]) for row in response.context["lot_entries"]] == [
        (scrap_entry.seq, ["made it (voided)"]),
        (void_entry.seq, [f"voided entry #{scrap_entry.seq}: twice"]),
    ]


def test_lot_list_search_and_filters(staff, alurec, wheelworks):
    receive(alurec, "SCR-A", "1000.000", grade="ISRI Tense")
    receive(wheelworks, "SCR-W", "200.000", grade="wheels")
    url = reverse("admin:ledger_lot_changelist")
    year = timezone.now().year

    def codes(params):
        response = staff.get(url, params)
        assert response.status_code == 200
        return {lot.code for lot in response.context["cl"].result_list}

    assert codes({}) == {"SCR-A", "SCR-W"}
    assert codes({"q": "tense"}) == {"SCR-A"}
    assert codes({"q": "scrapco"}) == {"SCR-A", "SCR-W"}  # supplier
    assert codes({"owner__id__exact": wheelworks.pk}) == {"SCR-W"}
    assert codes({"kind__exact": "melt"}) == set()
    assert codes({"category__exact": "post_consumer", "voided__exact": "0"}) == {"SCR-A", "SCR-W"}
    assert codes({"alloy": ""}) == {"SCR-A", "SCR-W"}
    assert codes({"occurred_at__year": year}) == {"SCR-A", "SCR-W"}
    assert codes({"occurred_at__year": year - 1}) == set()
    html = staff.get(url).content.decode()
    assert "1,000.000" in html and "200.000" in html


def test_entry_list_and_page(staff, alurec):
    entry = receive(alurec, "SCR-A", "1000.000").entry
    url = reverse("admin:ledger_entry_changelist")

    response = staff.get(url, {"type__exact": events.SCRAP_RECEIVED})
    assert list(response.context["cl"].result_list) == [entry]
    assert f"{entry.hash[:12]}…" in response.content.decode()
    assert list(staff.get(url, {"type__exact": events.MELT_RECORDED}).context["cl"].result_list) == []
    assert list(staff.get(url, {"q": entry.hash[:10]}).context["cl"].result_list) == [entry]

    html = staff.get(reverse("admin:ledger_entry_change", args=[entry.seq])).content.decode()
    assert entry.hash in html and "SCR-A" in html and "ISRI Tense" in html
    assert record_url("void") + f"?seq={entry.seq}" in html


def test_verify_shows_ok_and_then_the_drift_of_a_changed_lot(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    melt(alurec, "MLT-1", [("SCR-A", "600")], "580")
    verify = reverse("admin:ledger_entry_verify")

    assert staff.get(verify).status_code == 405
    response = staff.post(verify)
    assert response["Location"] == reverse("admin:ledger_entry_changelist")
    [message] = messages_of(response)
    assert message.startswith("Ledger OK: 2 entries, head ")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_lot SET remaining_g = remaining_g + 1000 WHERE code = 'SCR-A'")
    message = messages_of(staff.post(verify))[-1]  # the OK one above was never shown, so is still queued
    assert "NOT OK" in message
    assert "projection drift" in message and "lot SCR-A remaining_g is 401000 in the table" in message


def test_the_entry_list_has_the_verify_button(staff):
    html = staff.get(reverse("admin:ledger_entry_changelist")).content.decode()
    assert f'action="{reverse("admin:ledger_entry_verify")}"' in html
    assert "Verify the ledger" in html


# ---------------------------------------------------------------------------------------------
# Recording as staff would (issue #19, item 2)


def test_the_organisation_is_chosen_not_defaulted_to_the_operators(staff, alurec):
    form = staff.get(record_url("melt")).context["form"]
    assert form["organisation"].value() is None
    assert 'value="" selected>Choose the organisation' in str(form["organisation"])


def test_a_member_who_records_for_their_own_organisation_alone_gets_it_filled_in(client, alice, alurec):
    alice.user_permissions.add(Permission.objects.get(codename="add_entry", content_type__app_label="ledger"))
    client.force_login(alice)
    assert client.get(record_url("melt")).context["form"]["organisation"].value() == alurec.pk


def pick(client, **params):
    response = client.get(reverse("admin:ledger_lot_pick"), params)
    assert response.status_code == 200, response.content
    return [(item["id"], item["text"]) for item in response.json()["results"]]


def test_the_lot_picker_finds_the_organisations_lots_with_mass_left_with_holder_and_kg(
    staff, alurec, wheelworks
):
    receive(alurec, "SCR-A", "12500.5")
    receive(alurec, "SCR-B", "500.000", grade="wheels")
    receive(wheelworks, "SCR-W", "200.000")
    melt(alurec, "MLT-1", [("SCR-B", "500")], "480")  # SCR-B is used up
    voided = receive(alurec, "SCR-V", "10.000").entry
    record(alurec, events.ENTRY_VOIDED, {"seq": voided.seq, "reason": "twice"})

    assert pick(staff, organisation=alurec.pk, kinds="scrap,melt,ingot") == [
        ("SCR-A", "SCR-A — Alurec, 12,500.500 kg left"),
        ("MLT-1", "MLT-1 — Alurec, 480.000 kg left"),
    ]
    assert pick(staff, organisation=alurec.pk, kinds="melt") == [("MLT-1", "MLT-1 — Alurec, 480.000 kg left")]
    assert pick(staff, organisation=wheelworks.pk, kinds="scrap") == [
        ("SCR-W", "SCR-W — Wheelworks, 200.000 kg left")
    ]
    assert pick(staff, organisation=alurec.pk, term="scr") == [
        ("SCR-A", "SCR-A — Alurec, 12,500.500 kg left")
    ]
    assert [code for code, _label in pick(staff)] == ["SCR-A", "SCR-W", "MLT-1"]  # no organisation yet


def test_the_lot_picker_shows_a_member_only_its_own_organisations_lots(client, alice, alurec, wheelworks):
    receive(alurec, "SCR-A", "100")
    receive(wheelworks, "SCR-W", "200")
    client.force_login(alice)
    assert client.get(reverse("admin:ledger_lot_pick")).status_code == 403  # may not record
    alice.user_permissions.add(Permission.objects.get(codename="add_entry", content_type__app_label="ledger"))
    assert [code for code, _ in pick(client, organisation=wheelworks.pk)] == ["SCR-A"]


def test_a_picked_lot_is_shown_with_its_holder_and_kg_left_when_the_form_comes_back(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    data = form_data(
        alurec, rows={"inputs": [{"lot": "SCR-A", "mass_kg": "100"}], "additions": []}, output_mass_kg="95"
    )
    html = staff.post(record_url("melt"), data).content.decode()  # no furnace: comes back
    assert '<option value="SCR-A" selected>SCR-A — Alurec, 1,000.000 kg left</option>' in html


def test_every_error_of_a_submit_is_shown_at_once_and_nothing_is_written(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    data = form_data(
        alurec,
        rows={"inputs": [{"lot": "SCR-A", "mass_kg": "1200"}], "additions": []},
        furnace="F1",
        output_mass_kg="950",
        dross_kg="1.2345",  # a typo the form reads with the rules' own parser
        electricity_kwh="-3",  # and another
    )

    response = staff.post(record_url("melt"), data)

    assert "more than 3 decimals" in error_next_to(response, "dross_kg")
    assert "must not be negative" in error_next_to(response, "electricity_kwh")
    # The rules still ran on the rest, in a transaction that was rolled back.
    assert "1000.000 kg left, 1200.000 kg asked" in error_next_to(response, "inputs-0-mass_kg")
    assert Entry.objects.count() == 1
    assert Lot.objects.get(code="SCR-A").remaining_g == 1_000_000


def test_a_field_the_form_already_faults_keeps_only_its_own_error(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    data = form_data(
        alurec, rows={"inputs": [{"lot": "SCR-A", "mass_kg": "100"}], "additions": []}, output_mass_kg="95"
    )
    response = staff.post(record_url("melt"), data)
    assert error_next_to(response, "furnace") == "This field is required."
    assert Entry.objects.count() == 1


def test_rows_are_added_in_the_page_by_the_admins_inline_script(staff):
    html = staff.get(record_url("melt")).content.decode()
    assert 'id="inputs-group"' in html and 'data-inline-type="tabular"' in html
    assert "&quot;addText&quot;: &quot;Add an input lot&quot;" in html
    assert 'id="inputs-empty"' in html and 'name="inputs-__prefix__-lot"' in html
    assert "admin/js/inlines.js" in html and "ledger/record.js" in html
    assert "More blank rows" not in html


def furnace_picker(html) -> dict:
    """The melt form's furnace control: its options as served, and the choices it holds for
    each organisation on the form (data-choices, which ledger/record.js offers)."""
    select = re.search(r'<select name="furnace"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no furnace picker"
    choices = re.search(r'data-choices="([^"]*)"', select[0])
    options = re.findall(r'<option value="([^"]*)"', select[1])
    return {"options": options, "choices": json.loads(unescape(choices[1]))}


def test_until_it_registers_an_installation_an_organisation_is_offered_the_furnaces_it_used(
    staff, alurec, wheelworks
):
    receive(alurec, "SCR-A", "1000.000")
    receive(wheelworks, "SCR-W", "1000.000")
    for org, furnace, scrap in (
        (alurec, "RF-2", "SCR-A"),
        (alurec, "RF-1", "SCR-A"),
        (wheelworks, "TC-65", "SCR-W"),
    ):
        record(
            org,
            events.MELT_RECORDED,
            {"furnace": furnace, "inputs": [{"lot": scrap, "mass_kg": "10"}], "output_mass_kg": "9"},
        )

    picker = furnace_picker(staff.get(record_url("melt")).content.decode())
    assert picker["choices"][str(alurec.pk)] == {
        "registered": False,
        "furnaces": [["RF-1", "RF-1"], ["RF-2", "RF-2"]],
    }
    assert picker["choices"][str(wheelworks.pk)] == {"registered": False, "furnaces": [["TC-65", "TC-65"]]}
    assert picker["options"] == [""]  # no organisation chosen yet: the page offers none
    chosen = furnace_picker(staff.get(record_url("melt") + f"?organisation={alurec.pk}").content.decode())
    assert chosen["options"] == ["", "RF-1", "RF-2"]

    # A new name is still a furnace: the organisation has no installation to name one of.
    data = form_data(
        alurec,
        rows={"inputs": [{"lot": "SCR-A", "mass_kg": "10"}], "additions": []},
        furnace="RF-3 new",
        output_mass_kg="9",
    )
    staff.post(record_url("melt"), data)
    assert Entry.objects.filter(type=events.MELT_RECORDED).latest("seq").data["furnace"] == "RF-3 new"


def test_a_submitted_furnace_stays_chosen_when_the_form_comes_back(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    data = form_data(
        alurec,
        rows={"inputs": [{"lot": "SCR-A", "mass_kg": "10"}], "additions": []},
        furnace="RF-9 typed",
        output_mass_kg="-9",
    )
    response = staff.post(record_url("melt"), data)
    assert error_next_to(response, "output_mass_kg")
    picker = furnace_picker(response.content.decode())
    assert picker["options"] == ["", "RF-9 typed"]
    assert '<option value="RF-9 typed" selected>' in response.content.decode()


def test_a_melts_page_shows_its_furnace_energy_and_additions_not_scrap_fields(staff, alurec):
    receive(alurec, "SCR-A", "1000.000")
    record(
        alurec,
        events.MELT_RECORDED,
        {
            "code": "MLT-1",
            "furnace": "RF-1 reverberatory",
            "inputs": [{"lot": "SCR-A", "mass_kg": "1000"}],
            "additions": [{"material": "silicon", "mass_kg": "1200.5"}],
            "energy": {"electricity_kwh": "80", "natural_gas_m3": "75.5"},
            "output_mass_kg": "2100",
            "dross_kg": "40",
        },
    )
    html = staff.get(
        reverse("admin:ledger_lot_change", args=[Lot.objects.get(code="MLT-1").pk])
    ).content.decode()
    assert "RF-1 reverberatory" in html
    assert "silicon 1,200.500 kg" in html
    assert "80.000 kWh electricity, 75.500 m³ natural gas" in html
    assert "40.000" in html
    for scrap_field in ("Supplier:", "Grade:", "Category:"):
        assert scrap_field not in html


def test_the_admin_is_remelts_and_view_site_goes_home(staff):
    html = staff.get(reverse("admin:index")).content.decode()
    assert "remelt administration" in html and "Django administration" not in html
    assert '<a href="/">View site</a>' in html


def test_the_pickers_speak_the_pages_language(staff):
    english = staff.get(record_url("melt"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "select2/i18n/en.js" in english
    chinese = staff.get(record_url("melt"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "admin/js/vendor/select2/i18n/zh-CN.js" in chinese  # "未找到结果" and the like
    assert re.search(r'<select name="furnace"[^>]* lang="zh-CN"', chinese)
    assert re.search(r'<select name="inputs-0-lot"[^>]* lang="zh-CN"', chinese)
    # select2's translation registers on the jQuery that select2 came with, before noConflict.
    scripts = re.findall(r'<script src="/static/(admin/js/[^"]+)"', chinese)
    assert (
        scripts.index("admin/js/vendor/select2/select2.full.min.js")
        < scripts.index("admin/js/vendor/select2/i18n/zh-CN.js")
        < scripts.index("admin/js/jquery.init.js")
    )
