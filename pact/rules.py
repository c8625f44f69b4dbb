"""PACT's rules as pure functions: list criteria, CloudEvents, and the ProductFootprint data
model (for documents remelt imports). Each raises DomainError naming the field.

The ProductFootprint check implements the constraints of the PACT v3 data model (types,
required properties, decimal strings, enumerations, identifiers) in code; the tests check that
it accepts what the official OpenAPI schema accepts among the spec's examples and rejects what
the schema rejects. Where it is stricter it says so: decimals must match their pattern as a
whole, and `uuid` and `date-time` formats are checked.
"""

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from ledger.errors import DomainError
from pact.geography import COUNTRY, REGIONS, SUBDIVISION

SPEC_VERSION = "3.0.3"
EVENT_PREFIX = "org.wbcsd.pact.ProductFootprint."
REQUEST_CREATED = EVENT_PREFIX + "RequestCreatedEvent.3"
REQUEST_FULFILLED = EVENT_PREFIX + "RequestFulfilledEvent.3"
REQUEST_REJECTED = EVENT_PREFIX + "RequestRejectedEvent.3"
PUBLISHED = EVENT_PREFIX + "PublishedEvent.3"
EVENT_TYPES = (REQUEST_CREATED, REQUEST_FULFILLED, REQUEST_REJECTED, PUBLISHED)
CLOUDEVENTS_JSON = "application/cloudevents+json"

# The error codes of PACT's Error object and their HTTP statuses (OpenAPI `Error.code`).
ERROR_STATUS = {
    "BadRequest": 400,
    "TokenExpired": 401,
    "AccessDenied": 403,
    "NotFound": 404,
    "InternalError": 500,
    "NotImplemented": 501,
}

# ---------------------------------------------------------------------------------------------
# Date-times


def parse_time(value: object, where: str) -> datetime:
    """An ISO 8601 date-time (a date alone means its midnight; no zone means UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise DomainError("BadRequest", f"{where}: must be an ISO 8601 date-time", field=where)
    # A '+' of an offset arrives as a space when a client forgot to percent-encode it.
    text = value.strip().replace(" ", "+")
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise DomainError(
                "BadRequest", f"{where}: {value!r} is not an ISO 8601 date-time", field=where
            ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    """A UTC date-time as PACT documents write it: 2026-11-02T07:30:00Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# List criteria (ListFootprints and RequestCreatedEvent share them)

LIST_CRITERIA = ("productId", "companyId", "geography", "classification")
SINGLE_CRITERIA = ("validOn", "validAfter", "validBefore", "status")
HOST_PARAMETER = "x-remelt-after"  # PACT: a host's own parameters are named x-<identifier>-…


@dataclass(frozen=True)
class Criteria:
    """What a data recipient asks for: within a criterion values are ORed, criteria are ANDed.
    Values are lower-cased (PACT's matches are case-insensitive); no `statuses` means any, and
    a status PACT does not know matches nothing."""

    product_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    geographies: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    valid_on: datetime | None = None
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    statuses: tuple[str, ...] = ()

    def keys(self) -> dict[str, tuple[str, ...]]:
        """The list criteria by FootprintKey kind."""
        return {
            "product": self.product_ids,
            "company": self.company_ids,
            "geography": self.geographies,
            "classification": self.classifications,
        }


@dataclass(frozen=True)
class ListQuery:
    criteria: Criteria
    limit: int
    after: int


def _status(value: str) -> tuple[str, ...]:
    known = {"active": "Active", "deprecated": "Deprecated"}
    found = known.get(value.strip().lower())
    # PACT's conformance tests ask for a status that does not exist and expect an empty list.
    return (found,) if found else ("",)


def _criteria(lists: Mapping[str, list[str]], singles: Mapping[str, str], where: str) -> Criteria:
    def lowered(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value.strip().lower() for value in lists.get(name, ())))

    def time(name: str) -> datetime | None:
        return parse_time(singles[name], f"{where}{name}") if name in singles else None

    status = singles.get("status")
    return Criteria(
        product_ids=lowered("productId"),
        company_ids=lowered("companyId"),
        geographies=lowered("geography"),
        classifications=lowered("classification"),
        valid_on=time("validOn"),
        valid_after=time("validAfter"),
        valid_before=time("validBefore"),
        statuses=_status(status) if status is not None else (),
    )


def list_query(params: Iterable[tuple[str, str]], *, default_limit: int, max_limit: int) -> ListQuery:
    """The criteria, `limit` and cursor of a ListFootprints query string.

    Parameter names are matched ignoring case (PACT's own example writes `productid`);
    repeating a list criterion ORs its values, a single-valued one may appear once; any other
    parameter is refused, naming it.
    """
    canonical = {name.lower(): name for name in (*LIST_CRITERIA, *SINGLE_CRITERIA, "limit", HOST_PARAMETER)}
    lists: dict[str, list[str]] = {}
    singles: dict[str, str] = {}
    for raw_name, value in params:
        name = canonical.get(raw_name.lower())
        if name is None:
            raise DomainError(
                "BadRequest",
                f"unknown parameter {raw_name!r}; filters are {', '.join((*LIST_CRITERIA, *SINGLE_CRITERIA))}"
                " and limit",
                field=raw_name,
            )
        if name in LIST_CRITERIA:
            lists.setdefault(name, []).append(value)
        elif name in singles:
            raise DomainError("BadRequest", f"{name}: give it once", field=name)
        else:
            singles[name] = value
    limit = default_limit
    if "limit" in singles:
        text = singles.pop("limit").strip()
        if not text.isdigit() or int(text) < 1:
            raise DomainError("BadRequest", "limit: must be a positive integer", field="limit")
        limit = min(int(text), max_limit)
    after = 0
    if HOST_PARAMETER in singles:
        text = singles.pop(HOST_PARAMETER).strip()
        if not text.isdigit():
            raise DomainError(
                "BadRequest", f"{HOST_PARAMETER}: not a position of this list", field=HOST_PARAMETER
            )
        after = int(text)
    return ListQuery(_criteria(lists, singles, ""), limit, after)


def request_criteria(data: object) -> Criteria:
    """The criteria of a RequestCreatedEvent's `data` (the same as ListFootprints')."""
    if not isinstance(data, dict):
        raise DomainError("BadRequest", "data: must be an object", field="data")
    lists: dict[str, list[str]] = {}
    singles: dict[str, str] = {}
    for name, value in data.items():
        where = f"data.{name}"
        if name in LIST_CRITERIA:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise DomainError("BadRequest", f"{where}: must be a non-empty list of strings", field=where)
            lists[name] = value
        elif name in SINGLE_CRITERIA:
            if not isinstance(value, str):
                raise DomainError("BadRequest", f"{where}: must be a string", field=where)
            singles[name] = value
        elif name == "comment":
            if not isinstance(value, str):
                raise DomainError("BadRequest", f"{where}: must be a string", field=where)
        elif not name.startswith("x-"):
            raise DomainError("BadRequest", f"{where}: not a criterion of PACT", field=where)
    return _criteria(lists, singles, "data.")


# ---------------------------------------------------------------------------------------------
# CloudEvents


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    # uuid.UUID also takes braces, "urn:uuid:" and missing dashes; PACT means the plain form.
    return re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value) is not None


def content_type_check(content_type: str) -> None:
    """Events come in CloudEvents' structured mode, as application/cloudevents+json."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != CLOUDEVENTS_JSON:
        raise DomainError(
            "BadRequest",
            f"Content-Type must be {CLOUDEVENTS_JSON} (CloudEvents structured mode), "
            f"not {media_type or 'none'}",
            field="Content-Type",
        )


def cloud_event_check(body: object) -> dict:
    """A PACT event as CloudEvents 1.0: the context attributes PACT requires (specversion, id,
    source, type, time) and data, and the data its type needs."""
    if not isinstance(body, dict):
        raise DomainError("BadRequest", "the event must be a JSON object", field="")
    for name in ("specversion", "id", "source", "type", "time"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise DomainError(
                "BadRequest", f"{name}: a CloudEvent needs it, as a non-empty string", field=name
            )
    if body["specversion"] != "1.0":
        raise DomainError("BadRequest", "specversion: must be 1.0", field="specversion")
    if body["type"] not in EVENT_TYPES:
        raise DomainError(
            "BadRequest", f"type: {body['type']!r} is not one of {', '.join(EVENT_TYPES)}", field="type"
        )
    parse_time(body["time"], "time")
    data = body.get("data")
    if not isinstance(data, dict):
        raise DomainError("BadRequest", "data: must be an object", field="data")
    if body["type"] == PUBLISHED:
        ids = data.get("pfIds")
        if not isinstance(ids, list) or not ids:
            raise DomainError("BadRequest", "data.pfIds: must be a non-empty list of ids", field="data.pfIds")
        for index, value in enumerate(ids):
            if not _is_uuid(value):
                where = f"data.pfIds[{index}]"
                raise DomainError("BadRequest", f"{where}: {value!r} is not a UUID", field=where)
    elif body["type"] == REQUEST_CREATED:
        request_criteria(data)
    elif body["type"] == REQUEST_FULFILLED:
        if not isinstance(data.get("requestEventId"), str):
            raise DomainError(
                "BadRequest", "data.requestEventId: must be a string", field="data.requestEventId"
            )
        pfs = data.get("pfs")
        if not isinstance(pfs, list) or not pfs:
            raise DomainError("BadRequest", "data.pfs: must be a non-empty list", field="data.pfs")
        for index, document in enumerate(pfs):
            product_footprint_check(document, path=f"data.pfs[{index}]")
    else:
        if not isinstance(data.get("requestEventId"), str):
            raise DomainError(
                "BadRequest", "data.requestEventId: must be a string", field="data.requestEventId"
            )
        error = data.get("error")
        if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("code", "message")):
            raise DomainError("BadRequest", "data.error: must be {code, message}", field="data.error")
    return body


# ---------------------------------------------------------------------------------------------
# The ProductFootprint data model

DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")
POSITIVE_OR_ZERO = re.compile(r"[+]?\d+(\.\d+)?")
NEGATIVE_OR_ZERO = re.compile(r"-\d+(\.\d+)?|0+(\.0+)?")
SPEC_VERSION_PATTERN = re.compile(r"\d+\.\d+\.\d+(-\d{8})?")
URN = re.compile(r"[uU][rR][nN]:.*", re.DOTALL)
AR = re.compile(r"AR\d+")
DECLARED_UNITS = (
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
    "piece",
    "hour",
    "megabit second",
)
PF_REQUIRED = (
    "id",
    "specVersion",
    "created",
    "status",
    "companyName",
    "companyIds",
    "productDescription",
    "productIds",
    "productNameCompany",
    "pcf",
)
PCF_REQUIRED = (
    "declaredUnitOfMeasurement",
    "declaredUnitAmount",
    "productMassPerDeclaredUnit",
    "referencePeriodStart",
    "referencePeriodEnd",
    "pcfExcludingBiogenicUptake",
    "pcfIncludingBiogenicUptake",
    "fossilGhgEmissions",
    "fossilCarbonContent",
    "ipccCharacterizationFactors",
    "crossSectoralStandards",
    "exemptedEmissionsPercent",
)
PCF_DECIMALS = {
    "declaredUnitAmount": "positive",
    "productMassPerDeclaredUnit": "decimal",
    "pcfExcludingBiogenicUptake": "decimal",
    "pcfIncludingBiogenicUptake": "decimal",
    "exemptedEmissionsPercent": "decimal",
    "primaryDataShare": "decimal",
    "fossilCarbonContent": "positive_or_zero",
    "biogenicCarbonContent": "positive_or_zero",
    "recycledCarbonContent": "positive_or_zero",
    "fossilGhgEmissions": "positive_or_zero",
    "landUseChangeGhgEmissions": "positive_or_zero",
    "landCarbonLeakage": "positive_or_zero",
    "landManagementFossilGhgEmissions": "positive_or_zero",
    "landManagementBiogenicCO2Emissions": "positive_or_zero",
    "biogenicNonCO2Emissions": "positive_or_zero",
    "landAreaOccupation": "positive_or_zero",
    "aircraftGhgEmissions": "positive_or_zero",
    "packagingGhgEmissions": "positive_or_zero",
    "packagingBiogenicCarbonContent": "positive_or_zero",
    "outboundLogisticsGhgEmissions": "positive_or_zero",
    "ccuCarbonContent": "positive_or_zero",
    "landManagementBiogenicCO2Removals": "negative_or_zero",
    "biogenicCO2Uptake": "negative_or_zero",
    "ccsTechnologicalCO2Capture": "negative_or_zero",
    "technologicalCO2Removals": "negative_or_zero",
}
PCF_STRINGS = (
    "boundaryProcessesDescription",
    "exemptedEmissionsDescription",
    "allocationRulesDescription",
    "technologicalCO2CaptureOrigin",
)
PCF_TIMES = ("referencePeriodStart", "referencePeriodEnd")
PCF_BOOLEANS = ("packagingEmissionsIncluded", "ccsTechnologicalCO2CaptureIncluded")
GEOGRAPHY = ("geographyRegionOrSubregion", "geographyCountry", "geographyCountrySubdivision")
VERIFICATION_COVERAGE = ("PCF calculation model", "PCF program", "product level")
RULE_OPERATORS = ("PEF", "EPD International", "Other")


class _Errors:
    """Collects every problem of a document, by field path."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def raise_if_any(self, what: str) -> None:
        if self.errors:
            where, messages = next(iter(self.errors.items()))
            more = len(self.errors) - 1
            summary = f"{what}: {where}: {messages[0]}" + (f" (and {more} more)" if more else "")
            raise DomainError("BadRequest", summary, errors=self.errors)


def _present(document: Mapping, key: str) -> bool:
    # PACT's prose calls a property set to null undefined, but its OpenAPI schema (normative)
    # types them: a null where a string is due is refused, as the schema does.
    return key in document


def _check_decimal(errors: _Errors, value: object, where: str, kind: str) -> None:
    pattern = {
        "decimal": DECIMAL,
        "positive": DECIMAL,
        "positive_or_zero": POSITIVE_OR_ZERO,
        "negative_or_zero": NEGATIVE_OR_ZERO,
    }[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        errors.add(where, f'must be a decimal string ({kind.replace("_", " ")}), e.g. "12.5"')
    elif kind == "positive" and not any(ch in "123456789" for ch in value):
        errors.add(where, "must be greater than 0")


def _check_time(errors: _Errors, value: object, where: str) -> None:
    try:
        valid = isinstance(value, str) and parse_datetime(value) is not None
    except ValueError:  # well formed, but no such date
        valid = False
    if not valid:
        errors.add(where, "must be an ISO 8601 date-time")


def _check_urns(errors: _Errors, value: object, where: str) -> None:
    if not isinstance(value, list) or not value:
        errors.add(where, "must be a non-empty list of URNs")
        return
    if len(set(map(str, value))) != len(value):
        errors.add(where, "must not repeat a value")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not URN.fullmatch(item):
            errors.add(f"{where}[{index}]", "must be a URN (urn:…)")


def _check_string(errors: _Errors, value: object, where: str, *, non_empty: bool = False) -> None:
    if not isinstance(value, str) or (non_empty and not value):
        errors.add(where, "must be a non-empty string" if non_empty else "must be a string")


def _check_pcf(errors: _Errors, pcf: object, where: str) -> None:
    if not isinstance(pcf, dict):
        errors.add(where, "must be an object (CarbonFootprint)")
        return
    for key in PCF_REQUIRED:
        if not _present(pcf, key):
            errors.add(f"{where}.{key}", "is required")
    if _present(pcf, "declaredUnitOfMeasurement") and pcf["declaredUnitOfMeasurement"] not in DECLARED_UNITS:
        errors.add(f"{where}.declaredUnitOfMeasurement", f"must be one of {', '.join(DECLARED_UNITS)}")
    for key, kind in PCF_DECIMALS.items():
        if _present(pcf, key):
            _check_decimal(errors, pcf[key], f"{where}.{key}", kind)
    for key in PCF_TIMES:
        if _present(pcf, key):
            _check_time(errors, pcf[key], f"{where}.{key}")
    for key in PCF_STRINGS:
        if _present(pcf, key):
            _check_string(errors, pcf[key], f"{where}.{key}")
    for key in PCF_BOOLEANS:
        if _present(pcf, key) and not isinstance(pcf[key], bool):
            errors.add(f"{where}.{key}", "must be true or false")
    geographies = [key for key in GEOGRAPHY if _present(pcf, key)]
    if len(geographies) > 1:
        errors.add(f"{where}.{geographies[1]}", f"at most one of {', '.join(GEOGRAPHY)} may be given")
    if _present(pcf, "geographyRegionOrSubregion") and pcf["geographyRegionOrSubregion"] not in REGIONS:
        errors.add(f"{where}.geographyRegionOrSubregion", "must be a UN region or sub-region")
    if _present(pcf, "geographyCountry") and not (
        isinstance(pcf["geographyCountry"], str) and COUNTRY.fullmatch(pcf["geographyCountry"])
    ):
        errors.add(f"{where}.geographyCountry", "must be an ISO 3166-1 alpha-2 code")
    if _present(pcf, "geographyCountrySubdivision") and not (
        isinstance(pcf["geographyCountrySubdivision"], str)
        and SUBDIVISION.fullmatch(pcf["geographyCountrySubdivision"])
    ):
        errors.add(f"{where}.geographyCountrySubdivision", "must be an ISO 3166-2 code")
    if _present(pcf, "ipccCharacterizationFactors"):
        factors = pcf["ipccCharacterizationFactors"]
        if not isinstance(factors, list) or not factors or len(set(map(str, factors))) != len(factors):
            errors.add(f"{where}.ipccCharacterizationFactors", "must be a non-empty list without repeats")
        else:
            for index, item in enumerate(factors):
                if not isinstance(item, str) or not AR.fullmatch(item):
                    errors.add(
                        f"{where}.ipccCharacterizationFactors[{index}]", "must be AR<number>, e.g. AR6"
                    )
    if _present(pcf, "crossSectoralStandards"):
        standards = pcf["crossSectoralStandards"]
        if (
            not isinstance(standards, list)
            or not standards
            or not all(isinstance(item, str) for item in standards)
            or len(set(standards)) != len(standards)
        ):
            errors.add(
                f"{where}.crossSectoralStandards", "must be a non-empty list of strings without repeats"
            )
    if _present(pcf, "ccuCalculationApproach") and pcf["ccuCalculationApproach"] not in ("Cut-off", "Credit"):
        errors.add(f"{where}.ccuCalculationApproach", "must be Cut-off or Credit")
    if _present(pcf, "ccuCreditCertification"):
        _check_string(errors, pcf["ccuCreditCertification"], f"{where}.ccuCreditCertification")
    _check_rules(errors, pcf, where)
    _check_sources(errors, pcf, where)
    if _present(pcf, "dqi"):
        dqi = pcf["dqi"]
        if not isinstance(dqi, dict):
            errors.add(f"{where}.dqi", "must be an object")
        else:
            for key in ("technologicalDQR", "geographicalDQR", "temporalDQR"):
                if not _present(dqi, key):
                    errors.add(f"{where}.dqi.{key}", "is required")
                else:
                    _check_decimal(errors, dqi[key], f"{where}.dqi.{key}", "decimal")
    if _present(pcf, "verification"):
        verification = pcf["verification"]
        if not isinstance(verification, dict):
            errors.add(f"{where}.verification", "must be an object")
        else:
            if _present(verification, "coverage") and verification["coverage"] not in VERIFICATION_COVERAGE:
                errors.add(
                    f"{where}.verification.coverage", f"must be one of {', '.join(VERIFICATION_COVERAGE)}"
                )
            for key in ("providerName", "standardName", "comments"):
                if _present(verification, key):
                    _check_string(errors, verification[key], f"{where}.verification.{key}")
            if _present(verification, "completedAt"):
                _check_time(errors, verification["completedAt"], f"{where}.verification.completedAt")


def _check_rules(errors: _Errors, pcf: Mapping, where: str) -> None:
    if not _present(pcf, "productOrSectorSpecificRules"):
        return
    rules = pcf["productOrSectorSpecificRules"]
    here = f"{where}.productOrSectorSpecificRules"
    if not isinstance(rules, list) or not rules:
        errors.add(here, "must be a non-empty list")
        return
    for index, rule in enumerate(rules):
        at = f"{here}[{index}]"
        if not isinstance(rule, dict):
            errors.add(at, "must be an object")
            continue
        if rule.get("operator") not in RULE_OPERATORS:
            errors.add(f"{at}.operator", f"must be one of {', '.join(RULE_OPERATORS)}")
        names = rule.get("ruleNames")
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n for n in names)
            or len(set(names)) != len(names)
        ):
            errors.add(f"{at}.ruleNames", "must be a non-empty list of distinct non-empty strings")
        if _present(rule, "otherOperatorName"):
            _check_string(errors, rule["otherOperatorName"], f"{at}.otherOperatorName", non_empty=True)


def _check_sources(errors: _Errors, pcf: Mapping, where: str) -> None:
    if not _present(pcf, "secondaryEmissionFactorSources"):
        return
    sources = pcf["secondaryEmissionFactorSources"]
    here = f"{where}.secondaryEmissionFactorSources"
    if not isinstance(sources, list) or not sources:
        errors.add(here, "must be a non-empty list")
        return
    for index, source in enumerate(sources):
        if not isinstance(source, dict):
            errors.add(f"{here}[{index}]", "must be an object")
            continue
        for key in ("name", "version"):
            if not _present(source, key):
                errors.add(f"{here}[{index}].{key}", "is required")
            else:
                _check_string(errors, source[key], f"{here}[{index}].{key}", non_empty=True)


def product_footprint_problems(document: object, *, path: str = "") -> dict[str, list[str]]:
    """Every problem of a ProductFootprint by field path (empty if it conforms)."""
    errors = _Errors()
    prefix = f"{path}." if path else ""
    if not isinstance(document, dict):
        errors.add(path or "document", "must be a JSON object (ProductFootprint)")
        return errors.errors
    for key in PF_REQUIRED:
        if not _present(document, key):
            errors.add(prefix + key, "is required")
    if _present(document, "id") and not _is_uuid(document["id"]):
        errors.add(prefix + "id", "must be a UUID")
    if _present(document, "specVersion") and not (
        isinstance(document["specVersion"], str) and SPEC_VERSION_PATTERN.fullmatch(document["specVersion"])
    ):
        errors.add(prefix + "specVersion", "must be major.minor.patch, e.g. 3.0.0")
    if _present(document, "precedingPfIds"):
        ids = document["precedingPfIds"]
        if not isinstance(ids, list) or not ids or len(set(map(str, ids))) != len(ids):
            errors.add(prefix + "precedingPfIds", "must be a non-empty list of distinct UUIDs")
        else:
            for index, item in enumerate(ids):
                if not _is_uuid(item):
                    errors.add(f"{prefix}precedingPfIds[{index}]", "must be a UUID")
    for key in ("created", "validityPeriodStart", "validityPeriodEnd"):
        if _present(document, key):
            _check_time(errors, document[key], prefix + key)
    if _present(document, "status") and document["status"] not in ("Active", "Deprecated"):
        errors.add(prefix + "status", "must be Active or Deprecated")
    for key in ("companyName", "productNameCompany"):
        if _present(document, key):
            _check_string(errors, document[key], prefix + key, non_empty=True)
    for key in ("productDescription", "comment"):
        if _present(document, key):
            _check_string(errors, document[key], prefix + key)
    for key in ("companyIds", "productIds", "productClassifications"):
        if _present(document, key):
            _check_urns(errors, document[key], prefix + key)
    if _present(document, "pcf"):
        _check_pcf(errors, document["pcf"], prefix + "pcf")
    if _present(document, "extensions"):
        extensions = document["extensions"]
        if not isinstance(extensions, list):
            errors.add(prefix + "extensions", "must be a list")
        else:
            for index, extension in enumerate(extensions):
                at = f"{prefix}extensions[{index}]"
                if not isinstance(extension, dict):
                    errors.add(at, "must be an object (DataModelExtension)")
                    continue
                for key in ("specVersion", "dataSchema"):
                    if not _present(extension, key):
                        errors.add(f"{at}.{key}", "is required")
                    else:
                        _check_string(errors, extension[key], f"{at}.{key}")
                if not isinstance(extension.get("data"), dict):
                    errors.add(f"{at}.data", "is required, as an object")
                if _present(extension, "documentation"):
                    _check_string(errors, extension["documentation"], f"{at}.documentation")
    return errors.errors


def product_footprint_check(document: object, *, path: str = "") -> dict:
    """The document if it is a conforming ProductFootprint; else DomainError listing every problem."""
    problems = product_footprint_problems(document, path=path)
    if problems:
        errors = _Errors()
        errors.errors = problems
        errors.raise_if_any("not a PACT v3 ProductFootprint")
    return document
