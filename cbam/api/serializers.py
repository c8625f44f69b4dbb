"""The installations, reports and shipments as the API shows them, and a report's period as it
takes it. The installation events' payloads are declared in `cbam.shapes`."""

from rest_framework import serializers

from cbam.projection import installation_facts
from ledger.quantities import format_kg


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
