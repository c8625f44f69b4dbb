"""Installations are ledger entries with the rules of every event; melts name their furnaces."""

import pytest

from cbam.models import Installation, InstallationUnit
from ledger.errors import DomainError
from ledger.models import Entry, Lot, Process
from ledger.projection import projection_drift, replay
from tests.cbam.conftest import HN1, register
from tests.ledger.test_events import melt, receive, record, refused, snapshot


def cast_ingots(org, melt_code, grams="9000"):
    data = {
        "inputs": [{"lot": melt_code, "mass_kg": grams}],
        "outputs": [{"mass_kg": grams, "alloy": "A356.2"}],
    }
    return record(org, "ingots.cast", data)


def test_registering_writes_an_entry_and_the_installation(alurec, hn1):
    entry = Entry.objects.get(type="installation.registered")
    installation = Installation.objects.get(code="HN-1")
    assert installation.organisation == alurec and installation.registered_by_id == entry.seq
    assert (installation.country, installation.unlocode, str(installation.latitude)) == (
        "CN",
        "CNFOS",
        "23.021500",
    )
    assert sorted(InstallationUnit.objects.values_list("code", "kind")) == [
        ("HN-1-CL1", "casting_line"),
        ("HN-1-RF1", "furnace"),
        ("HN-1-RF2", "furnace"),
    ]
    assert entry.data["coordinates"] == {"latitude": "23.021500", "longitude": "113.121400"}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"country": None}, "invalid", "data.country"),
        ({"country": "cn"}, "invalid", "data.country"),
        ({"unlocode": "DEHAM"}, "unlocode_not_in_country", "data.unlocode"),
        ({"unlocode": "CNF0S"}, "invalid", "data.unlocode"),
        ({"coordinates": {"latitude": "91", "longitude": "0"}}, "invalid", "data.coordinates.latitude"),
        ({"coordinates": {"latitude": "0", "longitude": "180.5"}}, "invalid", "data.coordinates.longitude"),
        ({"code": "HN 1"}, "invalid", "data.code"),
        ({"code": "H" * 33}, "invalid", "data.code"),
        ({"furnaces": [{"code": "RF/1"}]}, "invalid", "data.furnaces[0].code"),
        ({"casting_lines": [{"code": "-CL"}]}, "invalid", "data.casting_lines[0].code"),
        ({"furnaces": [{"code": "F" * 65}]}, "invalid", "data.furnaces[0].code"),
        ({"furnaces": []}, "invalid", "data.furnaces"),
        ({"furnaces": [{"code": "X"}, {"code": "X"}]}, "duplicate_code", "data.furnaces[1].code"),
        ({"casting_lines": [{"code": "HN-1-RF1"}]}, "duplicate_code", "data.casting_lines[0].code"),
        ({"colour": "red"}, "invalid", "data.colour"),
    ],
)
def test_a_bad_registration_is_a_field_error_and_writes_nothing(alurec, changes, code, field):
    data = {key: value for key, value in {**HN1, **changes}.items() if value is not None}
    refused(alurec, "installation.registered", data, code, field)
    assert not Installation.objects.exists()


def test_every_field_error_of_a_registration_comes_at_once_and_null_is_refused(alurec):
    data = {
        **HN1,
        "code": "HN/1",
        "country": "cn",
        "registry_id": None,
        "casting_lines": None,
        "furnaces": [{"code": "RF 1", "colour": "red"}],
        "colour": "red",
    }
    with pytest.raises(DomainError) as caught:
        record(alurec, "installation.registered", data)
    assert caught.value.code == "invalid"
    assert set(caught.value.errors) == {
        "data.code",
        "data.country",
        "data.registry_id",
        "data.casting_lines",
        "data.furnaces[0].code",
        "data.furnaces[0].colour",
        "data.colour",
    }
    assert "capitals" in caught.value.errors["data.country"][0]
    assert "1 to 32" in caught.value.errors["data.code"][0]
    assert "1 to 64" in caught.value.errors["data.furnaces[0].code"][0]
    assert caught.value.errors["data.registry_id"] == ["This field may not be null."]
    assert not Installation.objects.exists()


def test_codes_are_unique_across_organisations(alurec, wheelworks, hn1):
    refused(
        wheelworks,
        "installation.registered",
        {**HN1, "furnaces": [{"code": "W-1"}]},
        "duplicate_code",
        "data.code",
    )
    other = {**HN1, "code": "WW-1", "furnaces": [{"code": "HN-1-RF2"}], "casting_lines": []}
    refused(wheelworks, "installation.registered", other, "duplicate_code", "data.furnaces[0].code")


def test_only_the_owner_amends_and_furnaces_are_only_added(alurec, wheelworks, hn1):
    amend = {"installation": "HN-1", "reason": "new furnace", "furnaces": [{"code": "HN-1-RF3"}]}
    refused(wheelworks, "installation.amended", amend, "unknown_installation", "data.installation")
    nothing = {"installation": "HN-1", "reason": "x"}
    refused(alurec, "installation.amended", nothing, "nothing_to_amend", "data")
    refused(alurec, "installation.amended", {**nothing, "furnaces": []}, "nothing_to_amend", "data")
    elsewhere = {**amend, "country": "DE"}  # its UN/LOCODE CNFOS stays, in CN
    refused(alurec, "installation.amended", elsewhere, "unlocode_not_in_country", "data.unlocode")
    record(alurec, "installation.amended", {**amend, "name": "Huanan plant 1"})
    installation = Installation.objects.get(code="HN-1")
    assert installation.name == "Huanan plant 1"
    assert installation.amended_by_id == Entry.objects.get(type="installation.amended").seq
    assert installation.units.filter(code="HN-1-RF3", kind="furnace").exists()
    assert installation.country == "CN"


def test_a_melt_names_a_furnace_of_its_posters_installations(alurec, wheelworks, hn1):
    scrap = receive(alurec)
    before = Process.objects.count()
    refused(alurec, "melt.recorded", melt_data(scrap, "TC-65"), "unknown_furnace", "data.furnace")
    refused(alurec, "melt.recorded", melt_data(scrap, "HN-1-CL1"), "unknown_furnace", "data.furnace")
    assert Process.objects.count() == before
    melt(alurec, [(scrap, "9000")], "8800", furnace="HN-1-RF1")
    # Another organisation's furnace is refused like an unknown one, installations or not.
    wheel_scrap = receive(wheelworks)
    refused(
        wheelworks, "melt.recorded", melt_data(wheel_scrap, "HN-1-RF1"), "unknown_furnace", "data.furnace"
    )
    melt(wheelworks, [(wheel_scrap, "9000")], "8800", furnace="TC-65")


def melt_data(scrap, furnace):
    return {
        "furnace": furnace,
        "inputs": [{"lot": scrap, "mass_kg": "9000"}],
        "energy": {"natural_gas_m3": "1200", "electricity_kwh": "1500"},
        "output_mass_kg": "8800",
    }


def test_melts_from_before_the_installation_keep_working(alurec):
    scrap = receive(alurec, mass="20000")
    old = melt(alurec, [(scrap, "9000")], "8800", furnace="HN-1-RF1")
    register(alurec)
    new = melt(alurec, [(scrap, "9000")], "8800", furnace="HN-1-RF1")
    state = replay()
    sites = state.sites()
    old_seq, new_seq = (Lot.objects.get(code=code).made_by_id for code in (old, new))
    assert sites.site_of("alurec", "HN-1-RF1", old_seq) is None  # "no installation", not guessed
    assert sites.site_of("alurec", "HN-1-RF1", new_seq) == "HN-1"
    # Their casts may not be mixed: casting happens at the installation of the melts it takes.
    before = snapshot()
    data = {
        "inputs": [{"lot": old, "mass_kg": "8800"}, {"lot": new, "mass_kg": "8800"}],
        "outputs": [{"mass_kg": "17000", "alloy": "A356.2"}],
    }
    with pytest.raises(Exception) as caught:
        record(alurec, "ingots.cast", data)
    assert caught.value.code == "mixed_installations" and "data.inputs" in caught.value.errors
    assert snapshot() == before
    cast_ingots(alurec, old, "8800")
    cast_ingots(alurec, new, "8800")
    assert projection_drift() is None


def test_installation_events_replay_with_the_ledger(alurec, hn1):
    scrap = receive(alurec)
    melt(alurec, [(scrap, "9000")], "8800", furnace="HN-1-RF2")
    record(alurec, "installation.amended", {"installation": "HN-1", "reason": "r", "registry_id": "CN-ALU-9"})
    state = replay()
    installation = state.sites().installations()["HN-1"]
    assert installation.facts["registry_id"] == "CN-ALU-9"
    assert installation.units == ["HN-1-RF1", "HN-1-RF2", "HN-1-CL1"]
