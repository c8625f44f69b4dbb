"""The one declaration of each installation shape: the events' data (documented in OpenAPI,
checked by `cbam.rules`) and the installations as the API shows them."""

from rest_framework import serializers

from accounts.models import Role
from cbam.projection import installation_facts
from cbam.rules import COORDINATE, COUNTRY, INSTALLATION_AMENDED, INSTALLATION_REGISTERED, MAX_LIST, UNLOCODE
from ledger.quantities import format_kg
from ledger.shapes import DeclaredElsewhere


class CoordinatesData(serializers.Serializer):
    latitude = serializers.RegexField(
        rf"^{COORDINATE.pattern}$", help_text='Decimal degrees, at most 6 decimals, e.g. "23.0215".'
    )
    longitude = serializers.RegexField(
        rf"^{COORDINATE.pattern}$", help_text='Decimal degrees, at most 6 decimals, e.g. "113.1214".'
    )


class UnitData(serializers.Serializer):
    code = serializers.CharField(
        min_length=1, max_length=64, help_text="Unique across every installation; melts name it."
    )
    name = serializers.CharField(min_length=1, max_length=200, required=False)


class InstallationFacts(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=200)
    address = serializers.CharField(min_length=1, max_length=500)
    country = serializers.RegexField(rf"^{COUNTRY.pattern}$", help_text="ISO 3166-1 alpha-2, e.g. CN.")
    unlocode = serializers.RegexField(
        rf"^{UNLOCODE.pattern[:8]} ?{UNLOCODE.pattern[8:]}$",
        required=False,
        help_text="UN/LOCODE, e.g. CNFOS (or CN FOS).",
    )
    coordinates = CoordinatesData(required=False)
    registry_id = serializers.CharField(
        min_length=1,
        max_length=64,
        required=False,
        help_text="The operator's identifier in the Commission's CBAM registry.",
    )


class InstallationRegisteredData(InstallationFacts):
    code = serializers.CharField(
        min_length=1, max_length=32, help_text="Unique; reports and shipments name it."
    )
    furnaces = serializers.ListField(
        child=UnitData(), min_length=1, max_length=MAX_LIST, help_text="At least one."
    )
    casting_lines = serializers.ListField(child=UnitData(), required=False, max_length=MAX_LIST)


class InstallationAmendedData(InstallationFacts):
    installation = serializers.CharField(
        min_length=1, max_length=32, help_text="Its code (taken from the URL on the API)."
    )
    reason = serializers.CharField(min_length=1, max_length=500)
    furnaces = serializers.ListField(
        child=UnitData(),
        required=False,
        max_length=MAX_LIST,
        help_text="Furnaces to add; none is ever removed.",
    )
    casting_lines = serializers.ListField(
        child=UnitData(), required=False, max_length=MAX_LIST, help_text="Casting lines to add."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in InstallationFacts().fields:
            self.fields[name].required = False


class InstallationSerializer(serializers.Serializer):
    code = serializers.CharField()
    organisation = serializers.CharField(source="organisation.slug")
    facts = serializers.SerializerMethodField()
    furnaces = serializers.SerializerMethodField()
    casting_lines = serializers.SerializerMethodField()
    registered_by = serializers.IntegerField(source="registered_by_id", help_text="seq of its entry")
    amended_by = serializers.IntegerField(source="amended_by_id", allow_null=True)

    def get_facts(self, installation) -> dict:
        return installation_facts(installation)

    def get_furnaces(self, installation) -> list[str]:
        return [unit.code for unit in installation.units.all() if unit.kind == "furnace"]

    def get_casting_lines(self, installation) -> list[str]:
        return [unit.code for unit in installation.units.all() if unit.kind == "casting_line"]


class ReportRequestSerializer(serializers.Serializer):
    """A reporting period [start, end): by default the operator's calendar year, any other chosen here."""

    start = serializers.DateTimeField(help_text="Start, with its offset, e.g. 2026-01-01T00:00:00Z.")
    end = serializers.DateTimeField(help_text="End (excluded), after the start.")


class ReportPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    installation = serializers.CharField(source="installation.code")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    pending = serializers.BooleanField(help_text="true while the report task has to (re)compute it")


class CbamReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    installation = serializers.CharField(source="period.installation.code")
    period = ReportPeriodSerializer()
    version = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    digest = serializers.CharField(help_text="SHA-256 of the document's RFC 8785 bytes")
    anchored_in = serializers.IntegerField(
        source="anchor_id", help_text="seq of its cbam.report.computed entry"
    )
    factor_set = serializers.CharField(source="factor_set.version")
    ledger_seq = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    superseded_at = serializers.DateTimeField(allow_null=True)
    document = serializers.JSONField(help_text="the remelt-cbam-1 communication (see its schema)")

    def get_status(self, report) -> str:
        return "superseded" if report.superseded_at else "current"


class ShipmentLineSerializer(serializers.Serializer):
    lot = serializers.CharField(source="lot.code")
    alloy = serializers.CharField(source="lot.alloy")
    cn_code = serializers.CharField()
    net_mass_kg = serializers.SerializerMethodField()
    installation = serializers.CharField(source="installation.code", allow_null=True, default=None)
    period = serializers.SerializerMethodField()
    see_direct_t_co2e_per_t = serializers.CharField(source="see_direct", allow_null=True)
    report = serializers.IntegerField(source="report.pk", allow_null=True, default=None)
    report_version = serializers.IntegerField(source="report.version", allow_null=True, default=None)
    report_digest = serializers.CharField(source="report.digest", allow_null=True, default=None)

    def get_net_mass_kg(self, line) -> str:
        return format_kg(line.mass_g)

    def get_period(self, line) -> dict | None:
        return line.report.document["period"] if line.report else None


class ShipmentSerializer(serializers.Serializer):
    transfer = serializers.IntegerField(
        source="transfer.entry_id", help_text="seq of the custody.transferred entry"
    )
    sender = serializers.CharField(source="transfer.from_organisation.slug")
    receiver = serializers.CharField(source="transfer.to_organisation.slug")
    occurred_at = serializers.DateTimeField(source="transfer.occurred_at")
    lines = ShipmentLineSerializer(many=True)


# The installation events as the partner API's /events/ documents them (ledger.shapes hook).
INSTALLATION_EXAMPLE = {
    "code": "HN-1",
    "name": "Huanan remelt plant 1",
    "address": "8 Shishan Road, Nanhai, Foshan, Guangdong",
    "country": "CN",
    "unlocode": "CNFOS",
    "coordinates": {"latitude": "23.0215", "longitude": "113.1214"},
    "registry_id": "CN-ALU-000123",
    "furnaces": [{"code": "HN-1-RF1", "name": "reverberatory 60 t"}, {"code": "HN-1-RF2"}],
    "casting_lines": [{"code": "HN-1-CL1", "name": "ingot line"}],
}
AMENDMENT_EXAMPLE = {"installation": "HN-1", "reason": "third furnace", "furnaces": [{"code": "HN-1-RF3"}]}


# Installations are registered and corrected by the plants that melt and cast.
INSTALLATIONS_POSTED_BY = (Role.RECYCLER, Role.WHEEL_MAKER)


def events_declared() -> list[DeclaredElsewhere]:
    return [
        DeclaredElsewhere(
            INSTALLATION_REGISTERED,
            "Register an installation of the poster, with its furnaces and casting lines.",
            InstallationRegisteredData,
            INSTALLATION_EXAMPLE,
            INSTALLATIONS_POSTED_BY,
        ),
        DeclaredElsewhere(
            INSTALLATION_AMENDED,
            "Correct an installation's facts, or add furnaces and casting lines.",
            InstallationAmendedData,
            AMENDMENT_EXAMPLE,
            INSTALLATIONS_POSTED_BY,
        ),
    ]
