"""The admin's forms for installations: the ledger's event forms, posting installation events."""

from django import forms

from cbam.rules import INSTALLATION_AMENDED, INSTALLATION_REGISTERED
from cbam.shapes import AMENDED, LATITUDE, LONGITUDE, REGISTERED, UNIT
from ledger.forms import EventForm, Rows, _put


def _longest(shape, key: str) -> int:
    """A field's length as its declaration (cbam.shapes) allows it."""
    return shape.fields[key].max_length


class UnitRow(forms.Form):
    """A furnace or casting line: its code (unique across installations) and a name."""

    code = forms.CharField(max_length=_longest(UNIT, "code"), widget=forms.TextInput(attrs={"size": 20}))
    name = forms.CharField(
        max_length=_longest(UNIT, "name"), required=False, widget=forms.TextInput(attrs={"size": 30})
    )

    def item(self) -> dict:
        item = {"code": self.cleaned_data.get("code")}
        _put(item, "name", self.cleaned_data.get("name"))
        return item


class _InstallationForm(EventForm):
    rows = {
        "furnaces": Rows(UnitRow, 2, "Add a furnace"),
        "casting_lines": Rows(UnitRow, 1, "Add a casting line"),
    }
    error_fields = {
        "coordinates": "latitude",
        "coordinates.latitude": "latitude",
        "coordinates.longitude": "longitude",
    }

    name = forms.CharField(max_length=_longest(REGISTERED, "name"))
    address = forms.CharField(
        max_length=_longest(REGISTERED, "address"), widget=forms.Textarea(attrs={"rows": 2, "cols": 50})
    )
    country = forms.CharField(
        max_length=_longest(REGISTERED, "country"), help_text="ISO 3166-1 alpha-2, e.g. CN."
    )
    unlocode = forms.CharField(
        label="UN/LOCODE", max_length=_longest(REGISTERED, "unlocode"), required=False, help_text="e.g. CNFOS"
    )
    latitude = forms.CharField(
        max_length=LATITUDE.max_length, required=False, help_text="Decimal degrees, e.g. 23.0215"
    )
    longitude = forms.CharField(
        max_length=LONGITUDE.max_length, required=False, help_text="Decimal degrees, e.g. 113.1214"
    )
    registry_id = forms.CharField(
        label="Registry identifier",
        max_length=_longest(REGISTERED, "registry_id"),
        required=False,
        help_text="In the Commission's CBAM registry.",
    )

    def facts(self) -> dict:
        cleaned = self.cleaned_data
        payload: dict = {}
        for name in ("name", "address", "country", "unlocode", "registry_id"):
            _put(payload, name, cleaned.get(name))
        if cleaned.get("latitude") or cleaned.get("longitude"):
            payload["coordinates"] = {
                "latitude": cleaned.get("latitude"),
                "longitude": cleaned.get("longitude"),
            }
        return payload

    def lot_to_show(self, recorded) -> str | None:
        return None


class InstallationRegisterForm(_InstallationForm):
    """installation.registered: a site of the organisation, with its furnaces and casting lines."""

    event_type = INSTALLATION_REGISTERED
    title = "Register an installation"
    layout = [
        (
            "Installation",
            ["code", "name", "address", "country", "unlocode", "latitude", "longitude", "registry_id"],
        ),
        ("Furnaces (melts name them)", "rows:furnaces"),
        ("Casting lines", "rows:casting_lines"),
    ]

    code = forms.CharField(max_length=_longest(REGISTERED, "code"), help_text="Unique, e.g. HN-1.")

    def payload(self) -> dict:
        payload = {"code": self.cleaned_data.get("code"), **self.facts(), "furnaces": self.items("furnaces")}
        casting_lines = self.items("casting_lines")
        if casting_lines:
            payload["casting_lines"] = casting_lines
        return payload


class InstallationAmendForm(_InstallationForm):
    """installation.amended: correct facts, add furnaces or casting lines (none is removed)."""

    event_type = INSTALLATION_AMENDED
    title = "Amend an installation"
    layout = [
        ("Installation", ["installation", "reason"]),
        (
            "Facts to correct (leave blank what stays)",
            ["name", "address", "country", "unlocode", "latitude", "longitude", "registry_id"],
        ),
        ("Furnaces to add", "rows:furnaces"),
        ("Casting lines to add", "rows:casting_lines"),
    ]

    installation = forms.CharField(max_length=_longest(AMENDED, "installation"), help_text="Its code.")
    reason = forms.CharField(
        max_length=_longest(AMENDED, "reason"), widget=forms.Textarea(attrs={"rows": 2, "cols": 50})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "address", "country"):
            self.fields[name].required = False

    def payload(self) -> dict:
        payload = {
            "installation": self.cleaned_data.get("installation"),
            "reason": self.cleaned_data.get("reason"),
        }
        payload.update(self.facts())
        for key in self.rows:
            items = self.items(key)
            if items:
                payload[key] = items
        return payload


INSTALLATION_FORMS = {"register": InstallationRegisterForm, "amend": InstallationAmendForm}
