"""CBAM.md's worked example gives its printed figures, with the factor set the migration loads."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from remelt_verify.cbam import compute, figures

from cbam.models import CbamFactorSet
from tests.cbam.worked import Q4, worked_processes


@pytest.fixture
def factors(db):
    return CbamFactorSet.current().factors()


def test_worked_example_figures(factors):
    result = compute(installation="HN-1", t0=Q4[0], t1=Q4[1], processes=worked_processes(), factors=factors)
    assert result.direct_kg == Decimal("16432.72")
    assert result.precursor_t == Decimal("3.36")
    assert result.activity_t == Decimal("97.35")
    published = figures(result)
    (good,) = published["goods"]
    assert good["cn_code"] == "7601 20"
    assert good["see_direct_t_co2e_per_t"] == "0.2033"
    assert good["electricity_mwh_per_t"] == "0.1900"
    assert good["see_indirect_t_co2e_per_t"] == "0.1008"
    assert good["qualifying_parameters"]["scrap_t_per_t"] == "1.0272"
    assert good["qualifying_parameters"]["pre_consumer_scrap_percent"] == "12.00"
    assert good["qualifying_parameters"]["alloying_additions_kg_per_t"] == {"silicon": "4.3143"}
    assert good["data_quality"] == {"direct_emissions": "actual", "precursors": "default"}
    assert published["totals"]["embedded_emissions_kg_co2e"] == "19792.720"
    assert published["precursors"] == [
        {
            "material": "primary_aluminium",
            "mass_t": "2.100",
            "see_direct_t_co2e_per_t": "1.6",
            "source": "default",
            "emissions_kg_co2e": "3360.000",
        }
    ]


def test_a_declared_supplier_value_replaces_the_default(factors):
    processes = worked_processes()
    melt_b = processes[2]
    declared = {"material": "primary_aluminium", "mass_kg": "600.000", "see_direct": "8.5"}
    processes[2] = type(melt_b)(**{**melt_b.__dict__, "additions": (declared,)})
    result = compute(installation="HN-1", t0=Q4[0], t1=Q4[1], processes=processes, factors=factors)
    published = figures(result)
    assert [(p["source"], p["emissions_kg_co2e"]) for p in published["precursors"]] == [
        ("default", "2400.000"),
        ("actual", "5100.000"),
    ]
    assert published["goods"][0]["data_quality"]["precursors"] == "mixed"
    # (16,432.72 + 2,400 + 5,100) / 97,350 = 0.24584…
    assert published["goods"][0]["see_direct_t_co2e_per_t"] == "0.2458"


def test_the_factor_set_names_sources_and_estimates(factors):
    document = CbamFactorSet.current().document
    assert document["version"] == factors.version == "cbam-2026.1"
    for factor in document["factors"].values():
        assert factor["source"] and factor["unit"] and isinstance(factor["estimate"], bool)
    assert document["factors"]["see_default_primary_aluminium"]["estimate"] is True


def test_the_factor_set_cannot_change_once_stored(factors):
    factor_set = CbamFactorSet.current()
    factor_set.document = {**factor_set.document, "version": "other"}
    with pytest.raises(IntegrityError), transaction.atomic():
        factor_set.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        CbamFactorSet.objects.filter(pk=factor_set.pk).delete()
