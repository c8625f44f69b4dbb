"""The documents remelt publishes, built from the facts of a footprint: the PACT v3
ProductFootprint with remelt's DataModelExtension, and the Catena-X PCF 9.0.0 and secondary
material content 1.0.0 aspects. Pure functions: no database, no Django.

How each field is filled is written down in the README ("PACT v3: the mapping").
"""

import calendar
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import quote

from pact.geography import region_chain
from pact.rules import SPEC_VERSION, format_time

STAGES = ("scrap_transport", "alloying", "melting", "casting", "part_production", "transport")
EXTENSION_VERSION = "1.0.0"
EXTENSION_PATH = f"/pact/extensions/remelt-passport/{EXTENSION_VERSION}/schema.json"
# HS headings (WCO): unwrought aluminium alloys, and road wheels and parts thereof.
HS_CODES = {"ingot": "7601.20", "run": "8708.70"}
# Factor keys by the stages they price (for the data-quality rule).
STAGE_FACTOR_KIND = {
    "scrap_transport": "transport",
    "alloying": "material",
    "melting": "energy",
    "casting": "energy",
    "part_production": "energy",
    "transport": "transport",
}
# Data-quality ratings (1 best … 5 worst) of a stage whose factors are all sourced, or not.
DQR_SOURCED, DQR_ESTIMATED = Decimal(2), Decimal(3)
ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)


@dataclass(frozen=True)
class FootprintFacts:
    """What a ProductFootprint says, per kg at the maker's gate and per declared unit.

    `subject` is `run` (a production run's parts that share `outbound_per_kg`) or `ingot`.
    Intensities are kg CO2e per kg of product; `generic_per_kg` is the part of them computed
    from generic factors (alloying additions priced with the factor set), the rest being
    activity data measured in the chain and supplier-specific footprints.
    """

    subject: str
    owner_slug: str
    owner_name: str
    run_seq: int | None
    run_hash: str | None
    lot_code: str | None
    part_number: str
    alloy: str
    mass_per_unit_kg: Decimal  # a part's (mean) mass; 1 for an ingot lot's kilogram
    gate_per_kg: dict[str, Decimal]
    generic_per_kg: Decimal
    outbound_per_kg: Decimal | None
    post_share: Decimal
    pre_share: Decimal
    method: str
    factor_set: str
    factor_estimates: dict[str, bool]  # kind (material, energy, transport) -> any factor estimated
    ledger_seq: int
    reference_start: datetime
    reference_end: datetime
    country: str
    # The ledger anchor of one footprint version this ProductFootprint was made from.
    anchor_lot: str
    anchor_kind: str
    anchor_version: int
    anchor_digest: str
    anchor_seq: int
    anchor_hash: str
    checkpoint_size: int | None


def decimal_string(value: Decimal, places: int) -> str:
    """A decimal string as PACT writes them: fixed point, no exponent, no negative zero."""
    step = Decimal(1).scaleb(-places)
    value = value.quantize(step, rounding=ROUND_HALF_EVEN)
    if value == 0:
        value = abs(value)
    return format(value, "f")


def _plus_years(moment: datetime, years: int) -> datetime:
    year = moment.year + years
    day = min(moment.day, calendar.monthrange(year, moment.month)[1])
    return moment.replace(year=year, day=day)


def validity(reference_end: datetime) -> tuple[datetime, datetime]:
    """PACT's default validity: three years from the end of the reference period."""
    return reference_end, _plus_years(reference_end, 3)


def _urn_part(text: str) -> str:
    # RFC 8141 NSS characters pass; anything else (spaces, #, ?, %) is percent-encoded.
    return quote(text, safe="-._~!$&'()*+,;=:@/")


def product_ids(facts: FootprintFacts, domain: str) -> list[str]:
    """The product URNs (README: "identifiers"): part number and run, or the ingot lot."""
    if facts.subject == "run":
        return [
            f"urn:pact:{domain}:supplier-id:{_urn_part(facts.owner_slug)}:{_urn_part(facts.part_number)}",
            f"urn:pact:{domain}:production-run:{facts.run_seq}",
        ]
    return [f"urn:pact:{domain}:lot:{_urn_part(facts.lot_code)}"]


def company_ids(facts: FootprintFacts, domain: str) -> list[str]:
    return [f"urn:pact:{domain}:company:{_urn_part(facts.owner_slug)}"]


def classifications(facts: FootprintFacts) -> list[str]:
    found = [f"urn:pact:wcoomd.org:hs-code:{HS_CODES[facts.subject]}"]
    if facts.alloy:
        found.append(f"urn:pact:aluminum.org:alloy:{_urn_part(facts.alloy)}")
    return found


def geographies(facts: FootprintFacts, region: str) -> list[str]:
    """What a `geography` filter matches: the country and the regions it is in."""
    return [facts.country, *region_chain(region)]


def _gate_total(facts: FootprintFacts) -> Decimal:
    return sum((facts.gate_per_kg[stage] for stage in STAGES), ZERO)


def primary_data_share(facts: FootprintFacts) -> Decimal:
    """Percent of the gate footprint not computed from generic factors (README: quality rule)."""
    total = _gate_total(facts)
    if total == 0:
        return HUNDRED
    return HUNDRED * (total - facts.generic_per_kg) / total


def data_quality(facts: FootprintFacts) -> Decimal:
    """Mean of the stages' ratings weighted by their emissions: 2 where every factor of the
    kind a stage uses is sourced, 3 where the factor set marks one of them an estimate."""
    total = _gate_total(facts)
    if total == 0:
        return DQR_SOURCED
    weighted = ZERO
    for stage in STAGES:
        rating = DQR_ESTIMATED if facts.factor_estimates.get(STAGE_FACTOR_KIND[stage]) else DQR_SOURCED
        weighted += rating * facts.gate_per_kg[stage]
    return weighted / total


def extension_data(facts: FootprintFacts, base_url: str) -> dict:
    """The data of remelt's DataModelExtension (schema: `pact.extension.SCHEMA`)."""
    mass = facts.mass_per_unit_kg
    kind = "parts" if facts.anchor_kind == "part" else "lots"
    data = {
        "method": facts.method,
        "factorSet": facts.factor_set,
        "ledgerSeq": facts.ledger_seq,
        "perKgCO2eAtGate": decimal_string(_gate_total(facts), 9),
        "stages": {stage: decimal_string(mass * facts.gate_per_kg[stage], 6) for stage in STAGES},
        "recycledContent": {
            "postConsumer": decimal_string(facts.post_share, 6),
            "preConsumer": decimal_string(facts.pre_share, 6),
            "standard": "ISO 14021",
        },
        "anchor": {
            "lot": facts.anchor_lot,
            "footprintVersion": facts.anchor_version,
            "footprintDigest": facts.anchor_digest,
            "anchorSeq": facts.anchor_seq,
            "anchorHash": facts.anchor_hash,
            "checkpointSize": facts.checkpoint_size,
        },
        "passportUrl": f"{base_url}/passports/{quote(facts.anchor_lot, safe='')}/",
        "evidenceUrl": f"{base_url}/api/v1/{kind}/{quote(facts.anchor_lot, safe='')}/evidence/",
    }
    if facts.subject == "run":
        data["productionRun"] = {"seq": facts.run_seq, "entryHash": facts.run_hash}
    else:
        data["lot"] = facts.lot_code
    if facts.outbound_per_kg is not None:
        data["outboundPerKgCO2e"] = decimal_string(facts.outbound_per_kg, 9)
    return data


def product_footprint(facts: FootprintFacts, *, domain: str, base_url: str, region: str) -> dict:
    """The ProductFootprint without its identity (`id`, `created`, `status`, `precedingPfIds`),
    which the caller adds; what is left is what the numbers depend on."""
    mass = facts.mass_per_unit_kg
    gate = mass * _gate_total(facts)
    start, end = validity(facts.reference_end)
    if facts.subject == "run":
        unit = {
            "declaredUnitOfMeasurement": "piece",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": decimal_string(mass, 3),
        }
        name = f"Wheel hub {facts.part_number}"
        description = (
            f"Cast aluminium wheel hub, part number {facts.part_number}, from production run "
            f"{facts.run_seq} of {facts.owner_name} (remelt ledger entry {facts.run_seq}); made of "
            "remelted scrap with alloying additions. Unpackaged."
        )
    else:
        unit = {
            "declaredUnitOfMeasurement": "kilogram",
            "declaredUnitAmount": "1",
            "productMassPerDeclaredUnit": "1",
        }
        name = f"{facts.alloy} ingots, lot {facts.lot_code}"
        description = (
            f"Aluminium alloy {facts.alloy} ingots, lot {facts.lot_code}, cast by {facts.owner_name} "
            "from remelted scrap with alloying additions. Per kilogram, unpackaged."
        )
    pcf = {
        **unit,
        "referencePeriodStart": format_time(facts.reference_start),
        "referencePeriodEnd": format_time(facts.reference_end),
        "geographyCountry": facts.country,
        "boundaryProcessesDescription": (
            "Cradle to the maker's gate: transport of scrap to the recycler (scrap carries no burden "
            "of its first life, cut-off), alloying additions, melting (natural gas and electricity), "
            "casting, part production (casting, heat treatment, machining) and the custody "
            "transports upstream; transport to the holder is reported as outbound logistics."
        ),
        "pcfExcludingBiogenicUptake": decimal_string(gate, 6),
        "pcfIncludingBiogenicUptake": decimal_string(gate, 6),
        "fossilGhgEmissions": decimal_string(gate, 6),
        "fossilCarbonContent": "0",
        "biogenicCarbonContent": "0",
        "recycledCarbonContent": "0",
        "packagingEmissionsIncluded": False,
        "ccsTechnologicalCO2CaptureIncluded": False,
        "ipccCharacterizationFactors": ["AR5"],
        "crossSectoralStandards": ["ISO14067"],
        "exemptedEmissionsPercent": "0",
        "exemptedEmissionsDescription": "",
        "allocationRulesDescription": (
            "Mass balance over the lot graph (remelt carbon method "
            f"{facts.method}): a melt's burden goes to its metal (melt loss carries none); casting and "
            "part runs share the metal's burden among all outputs by mass, internal scrap included, "
            "and their process energy among the main products only."
        ),
        "secondaryEmissionFactorSources": [
            {"name": "remelt emission factor set", "version": facts.factor_set}
        ],
        "primaryDataShare": decimal_string(primary_data_share(facts), 2),
        "dqi": {
            "technologicalDQR": decimal_string(data_quality(facts), 1),
            "geographicalDQR": decimal_string(data_quality(facts), 1),
            "temporalDQR": decimal_string(data_quality(facts), 1),
        },
    }
    if facts.outbound_per_kg is not None:
        pcf["outboundLogisticsGhgEmissions"] = decimal_string(mass * facts.outbound_per_kg, 6)
    return {
        "specVersion": SPEC_VERSION,
        "validityPeriodStart": format_time(start),
        "validityPeriodEnd": format_time(end),
        "companyName": facts.owner_name,
        "companyIds": company_ids(facts, domain),
        "productDescription": description,
        "productIds": product_ids(facts, domain),
        "productClassifications": classifications(facts),
        "productNameCompany": name,
        "comment": (
            f"Computed by remelt with carbon method {facts.method} and factor set {facts.factor_set} "
            f"at ledger seq {facts.ledger_seq}; the extension names the footprint version and the "
            "ledger entries that anchor it, which anyone can verify offline."
        ),
        "pcf": pcf,
        "extensions": [
            {
                "specVersion": "2.0.0",
                "dataSchema": base_url + EXTENSION_PATH,
                "data": extension_data(facts, base_url),
            }
        ],
    }


# ---------------------------------------------------------------------------------------------
# Catena-X


def _number(value: str) -> float:
    # Catena-X aspects carry JSON numbers where PACT has decimal strings.
    return float(Decimal(value))


def catenax_pcf(document: dict, *, version: int, region: str) -> dict:
    """The ProductFootprint as the Catena-X PCF aspect `urn:samm:io.catenax.pcf:9.0.0#Pcf`.

    `version` is the footprint's position in its line of versions (1 for the first)."""
    pcf = document["pcf"]
    outbound = pcf.get("outboundLogisticsGhgEmissions")
    distribution = {"distributionStageIncluded": outbound is not None}
    if outbound is not None:
        distribution.update(
            distributionStagePcfExcludingBiogenicUptake=_number(outbound),
            distributionStagePcfIncludingBiogenicUptake=_number(outbound),
            distributionStageFossilGhgEmissions=_number(outbound),
        )
    id_and_version = {
        "id": document["id"],
        "version": version,
        "status": document["status"],
        "retroOrProspectivePcfType": "Retrospective PCF",
    }
    if document.get("precedingPfIds"):
        id_and_version["precedingPfIds"] = [{"id": pf_id} for pf_id in document["precedingPfIds"]]
    return {
        "scopeOfPcfForm": [
            {"specVersion": "urn:io.catenax.pcf:datamodel:version:9.0.0", "partialFullPcf": "Cradle-to-gate"}
        ],
        "companyAndProductInformation": [
            {
                "companyInformation": [
                    {"companyName": document["companyName"], "companyIds": document["companyIds"]}
                ],
                "productInformation": [
                    {
                        "productNameCompany": document["productNameCompany"],
                        "productIds": document["productIds"],
                        "declaredUnitOfMeasurement": pcf["declaredUnitOfMeasurement"],
                        "declaredUnitAmount": _number(pcf["declaredUnitAmount"]),
                        "productMassPerDeclaredUnit": _number(pcf["productMassPerDeclaredUnit"]),
                        "productClassifications": document["productClassifications"],
                        "productDescription": document["productDescription"],
                    }
                ],
            }
        ],
        "pcfAssessmentAndMethodology": [
            {
                "dataSourcesAndQuality": [
                    {
                        "primaryDataShare": _number(pcf["primaryDataShare"]),
                        "secondaryEmissionFactorSources": [
                            f"{source['name']} {source['version']}"
                            for source in pcf["secondaryEmissionFactorSources"]
                        ],
                        "technologicalDQR": _number(pcf["dqi"]["technologicalDQR"]),
                        "temporalDQR": _number(pcf["dqi"]["temporalDQR"]),
                        "geographicalDQR": _number(pcf["dqi"]["geographicalDQR"]),
                    }
                ],
                "pcfAssessmentInformation": [
                    {
                        "technology": [
                            {
                                "ccsTechnologicalCO2CaptureIncluded": False,
                                "boundaryProcessesDescription": pcf["boundaryProcessesDescription"],
                            }
                        ],
                        "idAndVersion": [id_and_version],
                        "boundarySpecifications": [
                            {
                                "exemptedEmissionsPercent": _number(pcf["exemptedEmissionsPercent"]),
                                "exemptedEmissionsDescription": pcf["exemptedEmissionsDescription"],
                            }
                        ],
                        "geography": [
                            {
                                "geographyRegionOrSubregion": region,
                                "geographyCountry": pcf["geographyCountry"],
                            }
                        ],
                        "time": [
                            {
                                "referencePeriodStart": pcf["referencePeriodStart"],
                                "referencePeriodEnd": pcf["referencePeriodEnd"],
                                "created": document["created"],
                                "validityPeriodStart": document["validityPeriodStart"],
                                "validityPeriodEnd": document["validityPeriodEnd"],
                            }
                        ],
                    }
                ],
                "pcfMethodology": [
                    {
                        "massBalancingInformation": [
                            {
                                "massBalancingUsed": False,
                                "freeAttributionInMassBalancing": "not applicable",
                                "massBalancingCertificateScheme": "none: shares follow the metal physically",
                            }
                        ],
                        "standards": [
                            {
                                "crossSectoralStandards": pcf["crossSectoralStandards"],
                                "productOrSectorSpecificRules": [],
                            }
                        ],
                        "gwpCharacterizationFactorDetails": [
                            {"ipccCharacterizationFactors": pcf["ipccCharacterizationFactors"][0]}
                        ],
                        "allocationInForeground": [
                            {
                                "allocationWasteIncineration": "cut-off",
                                "allocationRulesDescription": pcf["allocationRulesDescription"],
                                "allocationRecycledCarbon": "cut-off",
                            }
                        ],
                    }
                ],
            }
        ],
        "general": [{"comment": document["comment"]}],
        "carbonContent": [
            {
                "carbonContentTotal": 0.0,
                "fossilCarbonContent": 0.0,
                "biogenicCarbonContent": 0.0,
                "recycledCarbonContent": 0.0,
            }
        ],
        "productLifeCycleStagesAndEmissions": [
            {
                "productionStage": [
                    {
                        "pcfExcludingBiogenicUptake": _number(pcf["pcfExcludingBiogenicUptake"]),
                        "pcfIncludingBiogenicUptake": _number(pcf["pcfIncludingBiogenicUptake"]),
                        "fossilGhgEmissions": _number(pcf["fossilGhgEmissions"]),
                    }
                ],
                "distributionStage": [distribution],
                "packagingStage": [{"packagingEmissionsIncluded": False}],
            }
        ],
    }


def catenax_secondary_material(
    *, order_number: str, alloy: str, mass_kg: Decimal, post_share: Decimal, pre_share: Decimal
) -> dict:
    """The recycled content of a part or ingot lot as the Catena-X aspect
    `urn:samm:io.catenax.secondary_material_content_verifiable:1.0.0`.

    Shares follow the metal through every melt in proportion to mass (CARBON.md), which is
    not certificate-based mass balancing: `isMassBalanced` is false. remelt does not record
    whether post-consumer scrap came from vehicles, so the automotive share is reported as 0."""
    post = decimal_string(HUNDRED * post_share, 4)
    pre = decimal_string(HUNDRED * pre_share, 4)
    primary = decimal_string(HUNDRED * (ONE - post_share - pre_share), 4)

    def recycling(percent: str) -> dict:
        return {"percentageOfMaterialWeight": _number(percent), "isMassBalanced": False}

    return {
        "orderNumber": order_number,
        "secondaryMaterialContent": [
            {
                "materialClass": "Aluminium and aluminium alloys",
                "materialNameStandardized": {
                    "referencedStandard": "EN",
                    "referencedStandardID": "EN 1706",
                    "materialNameStandardizedValue": alloy or "aluminium alloy",
                },
                "unitOfMeasure": {
                    "unitOfMeasureKey": "unit:kilogram",
                    "materialNetMass": _number(decimal_string(mass_kg, 3)),
                    "grossMaterialInputMass": _number(decimal_string(mass_kg, 3)),
                },
                "bioBased": {
                    "bioBasedClass": "gen1",
                    "secondaryBioBased": {"isMassBalanced": False, "percentageOfMaterialWeight": 0.0},
                    "primaryBioBased": {"percentageOfMaterialWeight": 0.0},
                },
                "inorganic": {
                    "secondaryInorganic": {
                        "preConsumer": {"mechanicalRecycling": recycling(pre)},
                        "postConsumer": {
                            "mechanicalRecycling": recycling(post),
                            "chemicalRecycling": recycling("0"),
                        },
                        "postConsumerAutomotive": {
                            "chemicalRecycling": recycling("0"),
                            "mechanicalRecycling": recycling("0"),
                        },
                    },
                    "primaryInorganic": {"percentageOfMaterialWeight": _number(primary)},
                },
                "additionalInformation": (
                    "Recycled content by mass per ISO 14021, traced through the remelt ledger; home "
                    "(internal) scrap is not counted as recycled. Whether post-consumer scrap came "
                    "from vehicles is not recorded, so the automotive share is 0."
                ),
            }
        ],
    }
