"""Admin forms that record material-flow events through `events_record`, one form per event type.

The forms only shape what staff type into an event payload (masses stay the decimal strings
they typed); every rule is checked by the event handlers. A DomainError comes back with field
paths such as `data.inputs[1].mass_kg`, which `EventForm.show_domain_error` puts next to the
form field or formset row the path names.
"""

import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone

from accounts.models import Organisation
from ledger import events
from ledger.errors import DomainError
from ledger.models import Lot, ScrapCategory
from ledger.services import EventInput, Recorded, events_record
from ledger.vocabulary import current_keys

MAX_ROWS = 200  # blank rows a page may ask for with ?rows=N; a bigger batch belongs on the API
_ROW_PATH = re.compile(r"^(?P<key>\w+)\[(?P<index>\d+)\](?:\.(?P<field>\w+))?")
_INDEX = re.compile(r"\[(\d+)\]")
_CHEMISTRY_ITEM = re.compile(r"^(?P<element>[A-Za-z]{1,3})\s*[=:]\s*(?P<share>\S+)$")


def _material_choices() -> list[tuple[str, str]]:
    materials = sorted(current_keys()[0])
    return [("", "---------"), *((key, key) for key in materials)]


def _mode_choices() -> list[tuple[str, str]]:
    modes = sorted(current_keys()[1])
    return [("", "---------"), *((mode, mode) for mode in modes)]


def mass_field(label: str = "Mass kg", *, required: bool = True, help_text: str = "") -> forms.CharField:
    """A mass in kg, kept as the typed decimal string (the event rules parse it exactly)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.000", "size": 12}),
    )


def amount_field(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    """A non-negative decimal (energy, distance), kept as the typed string."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ChemistryField(forms.CharField):
    """Mass shares in %, typed as `Si=7.0, Mg=0.35` (commas or new lines between elements)."""

    widget = forms.TextInput(attrs={"placeholder": "Si=7.0, Mg=0.35", "size": 24})

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        chemistry = {}
        for part in re.split(r"[,;\n]", text):
            if not part.strip():
                continue
            match = _CHEMISTRY_ITEM.match(part.strip())
            if not match:
                raise forms.ValidationError(f"{part.strip()!r} is not ELEMENT=share, e.g. Si=7.0")
            chemistry[match["element"].capitalize()] = match["share"]
        return chemistry


# ---------------------------------------------------------------------------------------------
# Rows of a list in the payload, one formset per list


class InputRow(forms.Form):
    """A lot going into the step and the mass it gives."""

    lot = forms.CharField(label="Lot code", max_length=64, widget=forms.TextInput(attrs={"size": 20}))
    mass_kg = mass_field()

    def item(self) -> dict:
        return {"lot": self.cleaned_data["lot"], "mass_kg": self.cleaned_data["mass_kg"]}


class AdditionRow(forms.Form):
    """An alloying addition from the active emission-factor set's materials."""

    material = forms.ChoiceField(choices=_material_choices)
    mass_kg = mass_field()

    def item(self) -> dict:
        return {"material": self.cleaned_data["material"], "mass_kg": self.cleaned_data["mass_kg"]}


class IngotOutputRow(forms.Form):
    """An ingot lot cast from the melt(s)."""

    code = forms.CharField(
        label="Code", max_length=64, required=False, widget=forms.TextInput(attrs={"size": 20})
    )
    mass_kg = mass_field()
    alloy = forms.CharField(
        max_length=40, widget=forms.TextInput(attrs={"size": 10, "placeholder": "A356.2"})
    )
    chemistry = ChemistryField(label="Chemistry %", required=False, max_length=500)

    def item(self) -> dict:
        item = {"mass_kg": self.cleaned_data["mass_kg"], "alloy": self.cleaned_data["alloy"]}
        if self.cleaned_data["code"]:
            item["code"] = self.cleaned_data["code"]
        if self.cleaned_data["chemistry"]:
            item["chemistry"] = self.cleaned_data["chemistry"]
        return item


@dataclass(frozen=True)
class Rows:
    """A list of the payload entered as formset rows: its row form and the blank rows shown."""

    form: type[forms.Form]
    extra: int = 4


@dataclass(frozen=True)
class Section:
    """A part of the page: a titled group of fields, or a formset (with errors about the list)."""

    title: str
    fields: list
    formset: BaseFormSet | None = None
    errors: list | None = None


# ---------------------------------------------------------------------------------------------
# The event forms


class EventForm(forms.Form):
    """Who records the event, and when it happened; subclasses add the event's data.

    Subclasses set `event_type`, `title`, `rows` (payload list key → Rows), `layout` (titled
    groups of field names, or `"rows:<key>"` for a formset), `error_fields` (payload path →
    form field, for paths whose last part is not a field name; `[]` matches any index) and
    `listed_fields` (text areas holding one list item per line), and write `payload()`.
    """

    event_type: str = ""
    title: str = ""
    rows: dict[str, Rows] = {}
    layout: list[tuple[str, list[str] | str]] = []
    error_fields: dict[str, str] = {}
    listed_fields: tuple[str, ...] = ()

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), help_text="The organisation this event is recorded for."
    )
    occurred_at = forms.DateTimeField(
        label="Occurred at",
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
        help_text=f"When it happened (business time, {settings.TIME_ZONE}).",
    )

    def __init__(self, data=None, *, organisations, initial=None, extra_rows: int = 0) -> None:
        super().__init__(data, initial=initial)
        self.fields["organisation"].queryset = organisations
        self.formsets: dict[str, BaseFormSet] = {}
        self.list_errors: dict[str, list[str]] = {}
        for key, rows in self.rows.items():
            formset_class = formset_factory(rows.form, extra=min(max(rows.extra, extra_rows), MAX_ROWS))
            self.formsets[key] = formset_class(data, prefix=key)
            self.list_errors[key] = []
        self._row_forms: dict[str, list[int]] = {key: [] for key in self.rows}

    # -- validating and recording ----------------------------------------------------------

    def is_valid(self) -> bool:
        valid = [super().is_valid(), *(formset.is_valid() for formset in self.formsets.values())]
        return all(valid)

    def has_errors(self) -> bool:
        return bool(
            self.errors
            or any(formset.total_error_count() for formset in self.formsets.values())
            or any(self.list_errors.values())
        )

    def items(self, key: str) -> list[dict]:
        """The filled-in rows of formset `key` as payload items; blank rows are skipped."""
        items, used = [], []
        for index, row in enumerate(self.formsets[key].forms):
            if row.cleaned_data:
                items.append(row.item())
                used.append(index)
        # Item i of the payload came from form used[i]; errors about item i go there.
        self._row_forms[key] = used
        return items

    def payload(self) -> dict:
        """The event's data; every event form defines its own."""
        raise NotImplementedError(f"{type(self).__name__} must build its payload")

    def record(self, *, actor: str) -> Recorded | None:
        """Record the event; on a broken rule show the error on the form and return None."""
        event = EventInput(self.event_type, self.cleaned_data["occurred_at"], self.payload())
        try:
            [recorded] = events_record(
                organisation=self.cleaned_data["organisation"], actor=actor, events=[event]
            )
        except DomainError as error:
            self.show_domain_error(error)
            return None
        return recorded

    def lot_to_show(self, recorded: Recorded) -> str | None:
        """The lot page to go to after recording, if the event is about one lot."""
        return recorded.lots[0] if len(recorded.lots) == 1 else None

    # -- putting domain errors next to their fields ----------------------------------------

    def show_domain_error(self, error: DomainError) -> None:
        if not error.errors:
            self.add_error(None, error.message)
        for path, messages in error.errors.items():
            for message in messages:
                self._place(path, message)

    def _place(self, path: str, message: str) -> None:
        if path == "occurred_at":
            self.add_error("occurred_at", message)
            return
        if path != "data" and not path.startswith("data."):
            self.add_error(None, message)
            return
        inner = path.removeprefix("data").removeprefix(".")
        row = _ROW_PATH.match(inner)
        if row and row["key"] in self.formsets:
            self._place_in_row(row["key"], int(row["index"]), row["field"], message)
            return
        if inner in self.formsets:
            self.list_errors[inner].append(message)
            return
        field = self.field_for(inner)
        if field is None:
            self.add_error(None, message)
            return
        index = _INDEX.search(inner)
        if index and field in self.listed_fields:
            message = f"line {int(index[1]) + 1}: {message}"
        self.add_error(field, message)

    def _place_in_row(self, key: str, index: int, field: str | None, message: str) -> None:
        used = self._row_forms[key]
        if index >= len(used):
            self.list_errors[key].append(f"row {index + 1}: {message}")
            return
        row = self.formsets[key].forms[used[index]]
        row.add_error(field if field in row.fields else None, message)

    def error_map(self) -> dict[str, str]:
        return self.error_fields

    def field_for(self, path: str) -> str | None:
        """The form field for a payload path (without `data.`), or None for a form-wide error."""
        error_map = self.error_map()
        generic = _INDEX.sub("[]", path)
        parts = generic.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in error_map:
                return error_map[prefix]
        top = parts[0].removesuffix("[]")
        return top if top in self.fields else None

    # -- the page --------------------------------------------------------------------------

    def sections(self) -> list[Section]:
        sections = [Section("Recorded for", [self["organisation"], self["occurred_at"]])]
        for title, names in self.layout:
            if isinstance(names, str):
                key = names.removeprefix("rows:")
                sections.append(Section(title, [], self.formsets[key], self.list_errors[key]))
            else:
                sections.append(Section(title, [self[name] for name in names]))
        return sections


TRANSPORT_ERRORS = {
    "transport": "transport_mode",
    "transport.distance_km": "transport_distance_km",
    "transport.mode": "transport_mode",
}
ENERGY_ERRORS = {
    "energy": "electricity_kwh",
    "energy.electricity_kwh": "electricity_kwh",
    "energy.natural_gas_m3": "natural_gas_m3",
}


def _energy(cleaned: dict) -> dict | None:
    energy = {key: cleaned[key] for key in ("electricity_kwh", "natural_gas_m3") if cleaned.get(key)}
    return energy or None


def _transport(cleaned: dict) -> dict | None:
    transport = {}
    if cleaned.get("transport_distance_km"):
        transport["distance_km"] = cleaned["transport_distance_km"]
    if cleaned.get("transport_mode"):
        transport["mode"] = cleaned["transport_mode"]
    return transport or None


def _put(payload: dict, key: str, value) -> None:
    """Add an optional member only when it was given, so the event rules see it as absent."""
    if value not in (None, "", [], {}):
        payload[key] = value


def _code_field(example: str, label: str = "Code") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=64,
        required=False,
        help_text=f"Leave blank to get the next code (e.g. {example}), or give the partner's own code.",
    )


def _transport_fields(*, required: bool) -> tuple[forms.CharField, forms.ChoiceField]:
    distance = amount_field("Transport distance km", required=required)
    mode = forms.ChoiceField(label="Transport mode", choices=_mode_choices, required=required)
    return distance, mode


class ScrapReceiptForm(EventForm):
    """scrap.received: a new scrap lot from a supplier."""

    event_type = events.SCRAP_RECEIVED
    title = "Record a scrap receipt"
    layout = [
        ("Scrap lot", ["code", "supplier", "grade", "category", "mass_kg", "origin", "documents"]),
        ("Transport to us", ["transport_distance_km", "transport_mode"]),
    ]
    error_fields = TRANSPORT_ERRORS
    listed_fields = ("documents",)

    code = _code_field("SCR-2026-000123")
    supplier = forms.CharField(
        max_length=200, help_text="An organisation's slug, or the name of a supplier not on the platform."
    )
    grade = forms.CharField(max_length=200, help_text="e.g. ISRI Tense, wheels")
    category = forms.ChoiceField(
        choices=[("", "---------"), *ScrapCategory.choices[:2]]  # internal scrap comes from part runs
    )
    mass_kg = mass_field()
    origin = forms.CharField(max_length=200, required=False)
    documents = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Document references (weighbridge ticket, delivery note), one per line.",
    )
    transport_distance_km, transport_mode = _transport_fields(required=True)

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {
            "supplier": cleaned["supplier"],
            "grade": cleaned["grade"],
            "category": cleaned["category"],
            "mass_kg": cleaned["mass_kg"],
            "transport": _transport(cleaned),
            "documents": _lines(cleaned["documents"]),
        }
        _put(payload, "code", cleaned["code"])
        _put(payload, "origin", cleaned["origin"])
        return payload


class MeltForm(EventForm):
    """melt.recorded: one furnace batch (heat) from input lots and alloying additions."""

    event_type = events.MELT_RECORDED
    title = "Record a melt"
    rows = {"inputs": Rows(InputRow, 6), "additions": Rows(AdditionRow, 3)}
    layout = [
        ("Heat", ["code", "furnace"]),
        ("Inputs (charged lots)", "rows:inputs"),
        ("Alloying additions", "rows:additions"),
        ("Output", ["output_mass_kg", "dross_kg"]),
        ("Energy", ["electricity_kwh", "natural_gas_m3"]),
    ]
    error_fields = ENERGY_ERRORS

    code = _code_field("MLT-2026-000042")
    furnace = forms.CharField(max_length=64)
    output_mass_kg = mass_field("Output mass kg", help_text="Liquid metal tapped.")
    dross_kg = mass_field("Dross kg", required=False)
    electricity_kwh = amount_field("Electricity kWh")
    natural_gas_m3 = amount_field("Natural gas m³")

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {
            "furnace": cleaned["furnace"],
            "inputs": self.items("inputs"),
            "additions": self.items("additions"),
            "output_mass_kg": cleaned["output_mass_kg"],
        }
        _put(payload, "code", cleaned["code"])
        _put(payload, "dross_kg", cleaned["dross_kg"])
        _put(payload, "energy", _energy(cleaned))
        return payload


class IngotCastForm(EventForm):
    """ingots.cast: ingot lots cast from melts."""

    event_type = events.INGOTS_CAST
    title = "Record an ingot cast"
    rows = {"inputs": Rows(InputRow, 3), "outputs": Rows(IngotOutputRow, 4)}
    layout = [
        ("Inputs (melts)", "rows:inputs"),
        ("Ingot lots cast", "rows:outputs"),
        ("Energy", ["electricity_kwh", "natural_gas_m3"]),
    ]
    error_fields = ENERGY_ERRORS

    electricity_kwh = amount_field("Electricity kWh")
    natural_gas_m3 = amount_field("Natural gas m³")

    def payload(self) -> dict:
        payload = {"inputs": self.items("inputs"), "outputs": self.items("outputs")}
        _put(payload, "energy", _energy(self.cleaned_data))
        return payload


class PartRunForm(EventForm):
    """parts.produced: a run of wheel hubs, given as serials or as a count with a serial prefix."""

    event_type = events.PARTS_PRODUCED
    title = "Record a part run"
    rows = {"inputs": Rows(InputRow, 4)}
    layout = [
        ("Inputs (ingot or melt lots)", "rows:inputs"),
        (
            "Wheel hubs",
            ["serials", "part_count", "serial_prefix", "first_number", "part_mass_kg", "part_number"],
        ),
        ("Internal scrap", ["internal_scrap_mass_kg", "internal_scrap_code", "internal_scrap_grade"]),
        ("Energy", ["electricity_kwh", "natural_gas_m3"]),
    ]
    error_fields = ENERGY_ERRORS | {
        "parts[].mass_kg": "part_mass_kg",
        "parts[].part_number": "part_number",
        "internal_scrap": "internal_scrap_mass_kg",
        "internal_scrap.mass_kg": "internal_scrap_mass_kg",
        "internal_scrap.code": "internal_scrap_code",
        "internal_scrap.grade": "internal_scrap_grade",
    }
    listed_fields = ("serials",)
    SERIAL_DIGITS = 6

    serials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text="One serial per line; or leave blank and give a count and a serial prefix.",
    )
    part_count = forms.IntegerField(
        label="Number of parts", required=False, min_value=1, max_value=events.MAX_LIST
    )
    serial_prefix = forms.CharField(
        max_length=50,
        required=False,
        help_text=f"Serials are the prefix and a {SERIAL_DIGITS}-digit number: WH-2026- → WH-2026-000001.",
    )
    first_number = forms.IntegerField(
        label="First number", required=False, min_value=0, initial=1, help_text="Number of the first serial."
    )
    part_mass_kg = mass_field("Mass kg per part")
    part_number = forms.CharField(label="Part number", max_length=64, help_text="The same for every part.")
    internal_scrap_mass_kg = mass_field(
        "Internal scrap kg",
        required=False,
        help_text="Chips, gates and rejects; becomes an internal scrap lot.",
    )
    internal_scrap_code = _code_field("SCR-2026-000124", "Internal scrap code")
    internal_scrap_grade = forms.CharField(label="Internal scrap grade", max_length=100, required=False)
    electricity_kwh = amount_field("Electricity kWh", help_text="Casting, heat treatment and machining.")
    natural_gas_m3 = amount_field("Natural gas m³")

    def clean(self):
        cleaned = super().clean()
        serials = _lines(cleaned.get("serials") or "")
        count, prefix = cleaned.get("part_count"), cleaned.get("serial_prefix")
        if serials and (count or prefix):
            raise forms.ValidationError(
                "Give either serials, one per line, or a count with a prefix, not both."
            )
        if not serials:
            if not count and not prefix:
                self.add_error("serials", "Give the serials, one per line, or a count with a serial prefix.")
            elif not count:
                self.add_error("part_count", "How many parts carry this prefix?")
            elif not prefix:
                self.add_error("serial_prefix", "Give the serial prefix for the count.")
        elif len(serials) > events.MAX_LIST:
            self.add_error("serials", f"at most {events.MAX_LIST} serials in one run")
        cleaned["serial_list"] = serials
        return cleaned

    def serial_numbers(self) -> list[str]:
        cleaned = self.cleaned_data
        if cleaned["serial_list"]:
            return cleaned["serial_list"]
        first = cleaned["first_number"] if cleaned["first_number"] is not None else 1
        width = max(self.SERIAL_DIGITS, len(str(first + cleaned["part_count"] - 1)))
        return [
            f"{cleaned['serial_prefix']}{number:0{width}d}"
            for number in range(first, first + cleaned["part_count"])
        ]

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        mass, part_number = cleaned["part_mass_kg"], cleaned["part_number"]
        payload = {
            "inputs": self.items("inputs"),
            "parts": [
                {"serial": serial, "mass_kg": mass, "part_number": part_number}
                for serial in self.serial_numbers()
            ],
        }
        if (
            cleaned["internal_scrap_mass_kg"]
            or cleaned["internal_scrap_code"]
            or cleaned["internal_scrap_grade"]
        ):
            internal: dict = {}
            _put(internal, "mass_kg", cleaned["internal_scrap_mass_kg"])
            _put(internal, "code", cleaned["internal_scrap_code"])
            _put(internal, "grade", cleaned["internal_scrap_grade"])
            payload["internal_scrap"] = internal
        _put(payload, "energy", _energy(cleaned))
        return payload

    def error_map(self) -> dict[str, str]:
        # Serial errors belong to whichever way the serials were given.
        by_serials = bool(self.cleaned_data.get("serial_list"))
        return self.error_fields | {
            "parts": "serials" if by_serials else "part_count",
            "parts[].serial": "serials" if by_serials else "serial_prefix",
        }

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return None  # a run makes many parts; its entry page lists them


class CustodyTransferForm(EventForm):
    """custody.transferred: the remaining metal of lots moves to another organisation."""

    event_type = events.CUSTODY_TRANSFERRED
    title = "Record a custody transfer"
    layout = [("Lots", ["lots", "to"]), ("Transport", ["transport_distance_km", "transport_mode"])]
    error_fields = TRANSPORT_ERRORS
    listed_fields = ("lots",)

    lots = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text="Lot codes or part serials, one per line; all their remaining metal moves.",
    )
    to = forms.ModelChoiceField(
        label="To organisation", queryset=Organisation.objects.all(), to_field_name="slug"
    )
    transport_distance_km, transport_mode = _transport_fields(required=True)

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        return {"lots": _lines(cleaned["lots"]), "to": cleaned["to"].slug, "transport": _transport(cleaned)}

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return None


class LotAmendForm(EventForm):
    """lot.amended: corrected non-structural facts of the entry that made a lot."""

    event_type = events.LOT_AMENDED
    title = "Amend a lot"
    rows = {"additions": Rows(AdditionRow, 3)}
    layout = [
        ("Lot", ["lot", "reason"]),
        ("Scrap receipt facts", ["grade", "category", "origin", "transport_distance_km", "transport_mode"]),
        ("Ingot facts", ["alloy", "chemistry"]),
        ("Part facts", ["part_number"]),
        ("Energy", ["electricity_kwh", "natural_gas_m3"]),
        ("Alloying additions (melts: the same masses, corrected materials)", "rows:additions"),
    ]
    error_fields = TRANSPORT_ERRORS | ENERGY_ERRORS

    lot = forms.CharField(label="Lot code", max_length=64)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    grade = forms.CharField(max_length=100, required=False)
    category = forms.ChoiceField(choices=[("", "---------"), *ScrapCategory.choices[:2]], required=False)
    origin = forms.CharField(max_length=100, required=False)
    transport_distance_km, transport_mode = _transport_fields(required=False)
    alloy = forms.CharField(max_length=40, required=False)
    chemistry = ChemistryField(label="Chemistry %", required=False, max_length=500)
    part_number = forms.CharField(label="Part number", max_length=64, required=False)
    electricity_kwh = amount_field(
        "Electricity kWh", help_text="Replaces both energy values; a blank one is 0."
    )
    natural_gas_m3 = amount_field("Natural gas m³")

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {"lot": cleaned["lot"], "reason": cleaned["reason"]}
        for key in ("grade", "category", "origin", "alloy", "chemistry", "part_number"):
            _put(payload, key, cleaned[key])
        _put(payload, "transport", _transport(cleaned))
        _put(payload, "energy", _energy(cleaned))
        _put(payload, "additions", self.items("additions"))
        return payload

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return self.cleaned_data["lot"]

    def amendable(self) -> "Amendable | None":
        """The lot named on the form, the facts that may be amended for it and their values now."""
        code = (self.data.get("lot") if self.is_bound else self.initial.get("lot")) or ""
        lot = Lot.objects.select_related("made_by").filter(code=code.strip()).first()
        if lot is None:
            return None
        facts = events.amendable_facts(lot.made_by.type, lot.kind)
        current = {
            key: getattr(lot, key) if hasattr(lot, key) else lot.made_by.facts.get(key) for key in facts
        }
        return Amendable(lot, facts, current)


@dataclass(frozen=True)
class Amendable:
    """What the amend page tells about the lot: which facts may change, and their values now."""

    lot: Lot
    facts: tuple[str, ...]
    current: dict


class EntryVoidForm(EventForm):
    """entry.voided: withdraw an entry whose lots were not used since."""

    event_type = events.ENTRY_VOIDED
    title = "Void an entry"
    layout = [("Entry", ["seq", "reason"])]

    seq = forms.IntegerField(label="Entry seq", min_value=1)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))

    def payload(self) -> dict:
        return {"seq": self.cleaned_data["seq"], "reason": self.cleaned_data["reason"]}

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return None


RECORD_FORMS: dict[str, type[EventForm]] = {
    "scrap": ScrapReceiptForm,
    "melt": MeltForm,
    "ingots": IngotCastForm,
    "parts": PartRunForm,
    "transfer": CustodyTransferForm,
    "amend": LotAmendForm,
    "void": EntryVoidForm,
}
