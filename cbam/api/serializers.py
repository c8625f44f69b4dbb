"""The one declaration of each installation shape: the events' data (documented in OpenAPI,
checked by `cbam.rules`) and the installations as the API shows them."""

from rest_framework import serializers

from cbam.projection import installation_facts


class CoordinatesData(serializers.Serializer):
    latitude = serializers.CharField(help_text='Decimal degrees, at most 6 decimals, e.g. "23.0215".')
    longitude = serializers.CharField(help_text='Decimal degrees, at most 6 decimals, e.g. "113.1214".')


class UnitData(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="Unique across every installation; melts name it.")
    name = serializers.CharField(max_length=200, required=False)


class InstallationFacts(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField(max_length=500)
    country = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. CN.")
    unlocode = serializers.CharField(max_length=6, required=False, help_text="UN/LOCODE, e.g. CNFOS.")
    coordinates = CoordinatesData(required=False)
    registry_id = serializers.CharField(
        max_length=64,
        required=False,
        help_text="The operator's identifier in the Commission's CBAM registry.",
    )


class InstallationRegisteredData(InstallationFacts):
    code = serializers.CharField(max_length=32, help_text="Unique; reports and shipments name it.")
    furnaces = UnitData(many=True, help_text="At least one.")
    casting_lines = UnitData(many=True, required=False)


class InstallationAmendedData(InstallationFacts):
    installation = serializers.CharField(max_length=32, help_text="Its code (taken from the URL on the API).")
    reason = serializers.CharField(max_length=500)
    furnaces = UnitData(many=True, required=False, help_text="Furnaces to add; none is ever removed.")
    casting_lines = UnitData(many=True, required=False, help_text="Casting lines to add.")

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
