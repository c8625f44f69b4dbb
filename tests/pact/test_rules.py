"""remelt's own check of PACT's data model (used on imported footprints, where the WBCSD files
may not ship) agrees with the official OpenAPI schema: both accept the spec's examples and
both reject each broken variant; where remelt is stricter (formats the schema only annotates)
the test says so."""

import copy
import json

import pytest
from remelt_verify.carbon import cited_per_kg

from pact.rules import product_footprint_problems
from tests.pact.conftest import PRODUCT_FOOTPRINT, TESTDATA

EXAMPLES = TESTDATA / "pact" / "examples"


def spec_examples() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.json")):
        document = json.loads(path.read_text())
        data = document.get("data", document)
        if isinstance(data, dict) and "pfs" in data:
            data = data["pfs"]
        for index, item in enumerate(data if isinstance(data, list) else [data]):
            if "pcf" in item:
                found.append((f"{path.name}[{index}]", item))
    return found


@pytest.mark.parametrize(("name", "document"), spec_examples(), ids=[n for n, _ in spec_examples()])
def test_both_accept_the_spec_examples(name, document):
    assert list(PRODUCT_FOOTPRINT.iter_errors(document)) == []
    assert product_footprint_problems(document) == {}


def car_part() -> dict:
    return json.loads((EXAMPLES / "example-3.json").read_text())


BROKEN = {
    "no id": lambda d: d.pop("id"),
    "no pcf": lambda d: d.pop("pcf"),
    "null productNameCompany": lambda d: d.update(productNameCompany=None),
    "null optional comment": lambda d: d.update(comment=None),
    "empty companyName": lambda d: d.update(companyName=""),
    "companyIds empty": lambda d: d.update(companyIds=[]),
    "productIds not URNs": lambda d: d.update(productIds=["gtin:5268596541023"]),
    "productIds repeated": lambda d: d.update(productIds=["urn:a:b", "urn:a:b"]),
    "status unknown": lambda d: d.update(status="Current"),
    "specVersion short": lambda d: d.update(specVersion="3.0"),
    "precedingPfIds empty": lambda d: d.update(precedingPfIds=[]),
    "pcf without declared unit": lambda d: d["pcf"].pop("declaredUnitOfMeasurement"),
    "declared unit unknown": lambda d: d["pcf"].update(declaredUnitOfMeasurement="pieces"),
    "declared amount zero": lambda d: d["pcf"].update(declaredUnitAmount="0"),
    "number, not a decimal string": lambda d: d["pcf"].update(pcfExcludingBiogenicUptake=77.0),
    "decimal with a comma": lambda d: d["pcf"].update(pcfIncludingBiogenicUptake="77,0"),
    "negative fossil emissions": lambda d: d["pcf"].update(fossilGhgEmissions="-1"),
    "positive uptake": lambda d: d["pcf"].update(biogenicCO2Uptake="1.5"),
    "two geographies": lambda d: d["pcf"].update(geographyCountry="DE"),
    "country lower case": lambda d: (
        d["pcf"].pop("geographyCountrySubdivision"),
        d["pcf"].update(geographyCountry="de"),
    ),
    "region unknown": lambda d: (
        d["pcf"].pop("geographyCountrySubdivision"),
        d["pcf"].update(geographyRegionOrSubregion="Mars"),
    ),
    "ipcc factor malformed": lambda d: d["pcf"].update(ipccCharacterizationFactors=["AR"]),
    "standards empty": lambda d: d["pcf"].update(crossSectoralStandards=[]),
    "rule operator unknown": lambda d: d["pcf"]["productOrSectorSpecificRules"][0].update(operator="ISO"),
    "source without version": lambda d: d["pcf"]["secondaryEmissionFactorSources"][0].pop("version"),
    "dqi incomplete": lambda d: d["pcf"]["dqi"].pop("temporalDQR"),
    "verification coverage unknown": lambda d: d["pcf"]["verification"].update(coverage="all of it"),
    "packaging flag a string": lambda d: d["pcf"].update(packagingEmissionsIncluded="false"),
    "extension without schema": lambda d: d.update(extensions=[{"specVersion": "2.0.0", "data": {}}]),
    "extension data a list": lambda d: d.update(
        extensions=[{"specVersion": "2.0.0", "dataSchema": "https://x", "data": []}]
    ),
    "not an object": lambda d: d.clear() or d.update(x=1),
}


@pytest.mark.parametrize("what", list(BROKEN))
def test_both_reject_each_broken_variant(what):
    document = car_part()
    BROKEN[what](document)
    assert list(PRODUCT_FOOTPRINT.iter_errors(document)), f"the official schema accepts {what}"
    assert product_footprint_problems(document), f"remelt's check accepts {what}"


STRICTER = {
    "id not a UUID": lambda d: d.update(id="8b26f3b8"),
    "created not a date-time": lambda d: d.update(created="last spring"),
    "a reference period end that is no date": lambda d: d["pcf"].update(
        referencePeriodEnd="2024-13-45T00:00:00Z"
    ),
    "a positive decimal with trailing text": lambda d: d["pcf"].update(declaredUnitAmount="1 piece"),
}


@pytest.mark.parametrize("what", list(STRICTER))
def test_where_remelt_is_stricter_than_the_schema(what):
    document = car_part()
    STRICTER[what](document)
    assert list(PRODUCT_FOOTPRINT.iter_errors(document)) == []  # formats are annotations there
    assert product_footprint_problems(document)


def test_every_problem_is_reported_by_its_path():
    document = car_part()
    document.pop("companyName")
    document["pcf"]["fossilGhgEmissions"] = 77
    document["productIds"] = ["not-a-urn"]
    problems = product_footprint_problems(document)
    assert {"companyName", "pcf.fossilGhgEmissions", "productIds[0]"} <= set(problems)


def test_per_kg_value_of_a_cited_footprint():
    document = car_part()  # 77.0 + 4 outbound per piece of 25 kg
    assert str(cited_per_kg(document)) == "3.240000000000"
    per_kilogram = copy.deepcopy(document)
    per_kilogram["pcf"].update(
        declaredUnitOfMeasurement="kilogram", declaredUnitAmount="1", productMassPerDeclaredUnit="1"
    )
    per_kilogram["pcf"].pop("outboundLogisticsGhgEmissions")
    assert cited_per_kg(per_kilogram) == 77
    energy = copy.deepcopy(document)
    energy["pcf"].update(declaredUnitOfMeasurement="kilowatt hour", productMassPerDeclaredUnit="0")
    assert cited_per_kg(energy) is None
