"""Catena-X documents at the partner API: the footprint as io.catenax.pcf 9.0.0 and the
recycled content as io.catenax.secondary_material_content_verifiable 1.0.0, each validated
against its schema, unchanged; the passports' visibility."""

import copy
from decimal import Decimal

import jsonschema
import pytest

from passports.models import Footprint
from tests.api.support import assert_problem
from tests.pact.conftest import CATENAX_PCF, CATENAX_SECONDARY

PATHS = [
    "/api/v1/parts/W-0001/catenax/pcf/",
    "/api/v1/lots/ING-1/catenax/pcf/",
    "/api/v1/parts/W-0001/catenax/secondary-material-content/",
    "/api/v1/lots/ING-1/catenax/secondary-material-content/",
]


@pytest.mark.parametrize("path", PATHS)
def test_documents_validate_and_follow_visibility(published, client_for, path):
    validator = CATENAX_PCF if path.endswith("/pcf/") else CATENAX_SECONDARY
    for slug in ("autofab", "wheelworks", "certa"):
        response = client_for(slug).get(path)
        assert response.status_code == 200, response.content
        validator.validate(response.json())
    assert_problem(client_for("outsider").get(path), 404)
    if "W-0001" in path:
        assert_problem(client_for("alurec").get(path), 404)  # never held the wheel


def test_the_pcf_carries_the_pact_numbers(published, client_for, pact_for):
    document = client_for("autofab").get(PATHS[0]).json()
    pact = pact_for("autofab").get("/pact/3/footprints?productId=urn:pact:remelt.example:production-run:6")
    (pf,) = pact.json()["data"]
    assessment = document["pcfAssessmentAndMethodology"][0]["pcfAssessmentInformation"][0]
    assert assessment["idAndVersion"][0] == {
        "id": pf["id"],
        "version": 1,
        "status": "Active",
        "retroOrProspectivePcfType": "Retrospective PCF",
    }
    production = document["productLifeCycleStagesAndEmissions"][0]["productionStage"][0]
    distribution = document["productLifeCycleStagesAndEmissions"][0]["distributionStage"][0]
    assert Decimal(str(production["pcfExcludingBiogenicUptake"])) == Decimal(
        pf["pcf"]["pcfExcludingBiogenicUptake"]
    )
    assert distribution["distributionStageIncluded"] is True
    assert Decimal(str(distribution["distributionStagePcfExcludingBiogenicUptake"])) == Decimal(
        pf["pcf"]["outboundLogisticsGhgEmissions"]
    )
    assert assessment["geography"][0] == {
        "geographyRegionOrSubregion": "Eastern Asia",
        "geographyCountry": "CN",
    }


def test_the_recycled_content_is_the_passports(published, client_for):
    document = client_for("autofab").get(PATHS[2]).json()
    passport = Footprint.objects.get(lot__code="W-0001", superseded_at__isnull=True).document
    inorganic = document["secondaryMaterialContent"][0]["inorganic"]["secondaryInorganic"]
    post = inorganic["postConsumer"]["mechanicalRecycling"]
    pre = inorganic["preConsumer"]["mechanicalRecycling"]
    assert post["percentageOfMaterialWeight"] == pytest.approx(
        float(passport["recycled_content"]["post_consumer"]) * 100
    )
    assert pre["percentageOfMaterialWeight"] == pytest.approx(
        float(passport["recycled_content"]["pre_consumer"]) * 100
    )
    assert post["isMassBalanced"] is False
    material = document["secondaryMaterialContent"][0]
    assert material["materialNameStandardized"]["materialNameStandardizedValue"] == "A356.2"
    assert material["unitOfMeasure"]["materialNetMass"] == 20.0


def test_before_the_roll_up_there_is_nothing_to_show(loop, client_for):
    assert_problem(client_for("autofab").get(PATHS[0]), 409, "no_footprint")
    assert client_for("autofab").get(PATHS[2]).status_code == 409


@pytest.mark.parametrize(
    ("validator", "path", "breakage"),
    [
        (CATENAX_PCF, PATHS[0], lambda d: d.pop("companyAndProductInformation")),
        (
            CATENAX_PCF,
            PATHS[0],
            lambda d: d["productLifeCycleStagesAndEmissions"][0]["productionStage"][0].update(
                pcfExcludingBiogenicUptake="2.4"
            ),
        ),
        (CATENAX_SECONDARY, PATHS[2], lambda d: d.pop("orderNumber")),
        (
            CATENAX_SECONDARY,
            PATHS[2],
            lambda d: d["secondaryMaterialContent"][0]["unitOfMeasure"].update(unitOfMeasureKey="kg"),
        ),
    ],
)
def test_the_schema_checks_can_fail(published, client_for, validator, path, breakage):
    document = copy.deepcopy(client_for("autofab").get(path).json())
    breakage(document)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)
