"""Factor sets: the default is loaded; a used set is frozen in the database; new versions publish."""

import pytest
from django.db import DatabaseError, transaction

from ledger.errors import DomainError
from passports.models import EmissionFactor, EmissionFactorSet
from passports.services import factor_set_publish, rollup_run
from tests.ledger.test_events import receive


def test_the_default_set_is_cn_2026_1_with_sources(db):
    factor_set = EmissionFactorSet.current()
    assert factor_set.version == "cn-2026.1"
    factors = {f.key: f for f in factor_set.factors.all()}
    assert str(factors["electricity_kwh"].value) == "0.530600"
    assert str(factors["primary_aluminium"].value) == "15.947000"
    assert factors["transport_rail"].is_estimate and not factors["transport_truck"].is_estimate
    assert "GLEC" in factors["transport_truck"].source
    assert factor_set.materials == {"primary_aluminium", "silicon", "magnesium"}
    assert factor_set.transport_modes == {"truck", "rail", "ship"}


def test_a_set_used_by_a_rollup_cannot_change(alurec):
    receive(alurec)
    rollup_run()
    factor = EmissionFactor.objects.get(key="electricity_kwh")
    for change in (
        lambda: EmissionFactor.objects.filter(pk=factor.pk).update(value="0.1"),
        lambda: EmissionFactor.objects.filter(pk=factor.pk).delete(),
        lambda: EmissionFactor.objects.create(
            factor_set=factor.factor_set,
            key="lithium",
            kind="material",
            value="1",
            unit="kg CO2e/kg",
            source="x",
        ),
    ):
        with pytest.raises(DatabaseError, match="publish a new version"), transaction.atomic():
            change()
    factor.refresh_from_db()
    assert str(factor.value) == "0.530600"


def test_publishing_a_new_version_and_making_it_active(db):
    base = [
        {
            "key": "electricity_kwh",
            "kind": "energy",
            "value": "0.45",
            "unit": "kg CO2/kWh",
            "source": "grid 2026",
        },
        {
            "key": "natural_gas_m3",
            "kind": "energy",
            "value": "2.1622",
            "unit": "kg CO2/m3",
            "source": "guideline",
        },
        {
            "key": "primary_aluminium",
            "kind": "material",
            "value": "15.1",
            "unit": "kg CO2e/kg",
            "source": "IAI",
        },
        {
            "key": "transport_truck",
            "kind": "transport",
            "value": "0.09",
            "unit": "kg CO2e/t·km",
            "source": "GLEC",
        },
    ]
    factor_set = factor_set_publish(
        version="cn-2027.1", description="grid update", factors=base, activate=True
    )
    assert EmissionFactorSet.current() == factor_set
    assert EmissionFactorSet.objects.get(version="cn-2026.1").active is False
    with pytest.raises(DomainError) as caught:
        factor_set_publish(version="cn-2027.1", description="", factors=base, activate=False)
    assert caught.value.code == "duplicate"
    with pytest.raises(DomainError) as caught:
        factor_set_publish(version="x", description="", factors=base[1:], activate=False)
    assert caught.value.errors == {"factors": ["a factor set needs electricity_kwh (energy)"]}
    with pytest.raises(DomainError) as caught:
        factor_set_publish(
            version="y", description="", factors=[*base, {**base[0], "key": "transport_x"}], activate=False
        )
    assert "factors[4].kind" in caught.value.errors
