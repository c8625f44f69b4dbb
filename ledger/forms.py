"""Admin forms that record material-flow events through `events_record`, one form per event type.

The forms only shape what staff type into an event payload (masses stay the decimal strings
they typed); every rule is checked by the event handlers. A DomainError comes back with field
paths such as `data.inputs[1].mass_kg`, which `EventForm.show_domain_error` puts next to the
form field or formset row the path names.

A submit shows every error at once: when a field cannot be read at all (a required field left
blank, a chemistry that is not `Si=7.0`), the event is still checked against the rules with
what could be read, in a transaction that is rolled back, and the rules' errors about the other
fields are shown beside the form's own.
"""

import json
import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import get_select2_language
from django.db import transaction
from django.forms import BaseFormSet, formset_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Role
from ledger import events
from ledger.display import display_kg
from ledger.errors import DomainError, quoted
from ledger.models import Lot, LotKind, ScrapCategory
from ledger.quantities import parse_amount, parse_mass
from ledger.selectors import Furnaces, furnaces_offered
from ledger.services import EventInput, Recorded, events_record
from ledger.shapes import CODE_MAX, declared
from ledger.vocabulary import current_keys

MAX_ROWS = 200  # rows of one list in a form; a bigger batch belongs on the API
_ROW_PATH = re.compile(r"^(?P<key>\w+)\[(?P<index>\d+)\](?:\.(?P<field>\w+))?")
_INDEX = re.compile(r"\[(\d+)\]")
_CHEMISTRY_ITEM = re.compile(r"^(?P<element>[A-Za-z]{1,3})\s*[=:]\s*(?P<share>\S+)$")


def _material_choices() -> list[tuple[str, str]]:
    materials = sorted(current_keys()[0])
    return [("", "---------"), *((key, key) for key in materials)]


def _supplier_choices() -> list[tuple[str, str]]:
    """The organisations with the scrap supplier role (those that can confirm a receipt), by name."""
    suppliers = [org for org in Organisation.objects.order_by("name") if org.has_role(Role.SCRAP_SUPPLIER)]
    return [("", "---------"), *((org.slug, f"{org.name} ({org.slug})") for org in suppliers)]


def _mode_choices() -> list[tuple[str, str]]:
    modes = sorted(current_keys()[1])
    return [("", "---------"), *((mode, mode) for mode in modes)]


def _parsed_by(parse, **options):
    """A validator that reads a value with the rules' own parser and reports its message, so a
    typo in one field is shown together with the errors of every other field."""

    def validate(value: str) -> None:
        try:
            parse(value, "", **options)
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    return validate


def _longest(entry_type: str, path: str) -> int:
    """The most characters the event's declaration (ledger.shapes) takes in that field."""
    return declared(entry_type, path).max_length


def mass_field(
    label: str = _("Mass kg"), *, required: bool = True, help_text: str = "", allow_zero: bool = False
) -> forms.CharField:
    """A mass in kg, kept as the typed decimal string (the event rules parse it exactly)."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        validators=[_parsed_by(parse_mass, allow_zero=allow_zero)],
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.000", "size": 12}),
    )


def amount_field(label: str, *, required: bool = False, help_text: str = "") -> forms.CharField:
    """A non-negative decimal (energy, distance), kept as the typed string."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=20,
        help_text=help_text,
        validators=[_parsed_by(parse_amount)],
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
                raise forms.ValidationError(
                    _("%(part)s is not ELEMENT=share, e.g. Si=7.0") % {"part": quoted(part.strip())}
                )
            chemistry[match["element"].capitalize()] = match["share"]
        return chemistry


# ---------------------------------------------------------------------------------------------
# Rows of a list in the payload, one formset per list


def lot_label(lot: Lot) -> str:
    """How a lot picker names a lot: its code, its holder and the kg it has left."""
    return _("%(code)s — %(holder)s, %(kg)s kg left") % {
        "code": lot.code,
        "holder": lot.owner.name,
        "kg": display_kg(lot.remaining_g),
    }


class Select2Picker(forms.Select):
    """A choice made by search with the admin's own select2, in the page's language (its
    messages, "No results found" …, from Django's copy of select2's translations)."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        language = get_select2_language()
        if language:
            attrs["lang"] = language  # select2 takes its language from the element's lang
        return attrs

    @property
    def media(self):
        language = get_select2_language()
        return forms.Media(
            js=(
                "admin/js/vendor/jquery/jquery.min.js",
                "admin/js/vendor/select2/select2.full.min.js",
                *((f"admin/js/vendor/select2/i18n/{language}.js",) if language else ()),
                "admin/js/jquery.init.js",
                "ledger/record.js",
            ),
            css={"screen": ("admin/css/vendor/select2/select2.min.css", "admin/css/autocomplete.css")},
        )


class LotPicker(Select2Picker):
    """A lot code chosen by search, as in the admin's autocomplete (select2, Django's own copy):
    the lots with mass left that the organisation chosen on the form holds, of the kinds the
    step takes, each shown with its holder and kg left (served by `LotPickView`)."""

    def __init__(self, kinds: tuple[str, ...], attrs=None) -> None:
        super().__init__(attrs)
        self.kinds = kinds

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.update(
            {
                "class": "lot-picker",
                "data-url": reverse("admin:ledger_lot_pick"),
                "data-kinds": ",".join(self.kinds),
                "data-organisation-field": "id_organisation",
                "data-theme": "admin-autocomplete",
                "data-placeholder": _("Search a lot by code, grade or supplier"),
                "data-allow-clear": "true",
            }
        )
        return attrs

    def optgroups(self, name, value, attrs=None):
        # Only the chosen lot is an option in the page; the others come by search.
        codes = [code for code in value if code]
        lots = {lot.code: lot for lot in Lot.objects.filter(code__in=codes).select_related("owner")}
        options = [self.create_option(name, "", "", False, 0)]
        for index, code in enumerate(codes, start=1):
            label = lot_label(lots[code]) if code in lots else code
            options.append(self.create_option(name, code, label, True, index))
        return [(None, options, 0)]


class FurnacePicker(Select2Picker):
    """The furnace of a melt, chosen from those the organisation on the form may name (select2,
    like the lot pickers): its installations' furnaces once it has registered one, and only
    those; until then the furnaces it used before, or a new name typed in. `offered` holds the
    choices of every organisation on the form (`data-choices`, read by ledger/record.js when
    the organisation changes); the page is served with those of the chosen one."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.offered: dict[int, Furnaces] = {}
        self.organisation: int | None = None

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        choices = {
            str(organisation_id): {"registered": offer.registered, "furnaces": offer.furnaces}
            for organisation_id, offer in self.offered.items()
        }
        attrs.update(
            {
                "class": "furnace-picker",
                "data-choices": json.dumps(choices, ensure_ascii=False),
                "data-organisation-field": "id_organisation",
                "data-theme": "admin-autocomplete",
                "data-placeholder-registered": _("Choose a furnace of its installations"),
                "data-placeholder-used": _("Choose a furnace it used, or type a new name"),
            }
        )
        return attrs

    def optgroups(self, name, value, attrs=None):
        chosen = next((furnace for furnace in value if furnace), "")
        offer = self.offered.get(self.organisation, Furnaces(False, []))
        furnaces = list(offer.furnaces)
        if chosen and chosen not in {code for code, _label in furnaces}:
            furnaces.append((chosen, chosen))  # typed before; the rules say if it may be used
        options = [self.create_option(name, "", "", not chosen, 0)]
        for index, (code, label) in enumerate(furnaces, start=1):
            options.append(self.create_option(name, code, label, code == chosen, index))
        return [(None, options, 0)]


class InputRow(forms.Form):
    """A lot going into the step and the mass it gives."""

    kinds: tuple[str, ...] = (LotKind.SCRAP, LotKind.MELT, LotKind.INGOT)
    lot = forms.CharField(label=_("Lot"), max_length=_longest(events.MELT_RECORDED, "inputs.lot"))
    mass_kg = mass_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lot"].widget = LotPicker(self.kinds)

    def item(self) -> dict:
        return {"lot": self.cleaned_data.get("lot"), "mass_kg": self.cleaned_data.get("mass_kg")}


class MeltInputRow(InputRow):
    """A melt's charge: scrap, ingot lots or other melts."""


class CastInputRow(InputRow):
    """A cast pours melts."""

    kinds = (LotKind.MELT,)


class RunInputRow(InputRow):
    """A part run takes ingot lots or liquid metal straight from a melt."""

    kinds = (LotKind.INGOT, LotKind.MELT)


class AdditionRow(forms.Form):
    """An alloying addition from the active emission-factor set's materials."""

    material = forms.ChoiceField(label=_("Material"), choices=_material_choices)
    mass_kg = mass_field()

    def item(self) -> dict:
        return {"material": self.cleaned_data.get("material"), "mass_kg": self.cleaned_data.get("mass_kg")}


class IngotOutputRow(forms.Form):
    """An ingot lot cast from the melt(s)."""

    code = forms.CharField(
        label=_("Code"), max_length=CODE_MAX, required=False, widget=forms.TextInput(attrs={"size": 20})
    )
    mass_kg = mass_field()
    alloy = forms.CharField(
        label=_("Alloy"),
        max_length=_longest(events.INGOTS_CAST, "outputs.alloy"),
        widget=forms.TextInput(attrs={"size": 10, "placeholder": "A356.2"}),
    )
    chemistry = ChemistryField(label=_("Chemistry %"), required=False, max_length=500)

    def item(self) -> dict:
        item = {"mass_kg": self.cleaned_data.get("mass_kg"), "alloy": self.cleaned_data.get("alloy")}
        _put(item, "code", self.cleaned_data.get("code"))
        _put(item, "chemistry", self.cleaned_data.get("chemistry"))
        return item


@dataclass(frozen=True)
class Rows:
    """A list of the payload entered as formset rows: its row form, the blank rows shown at
    first (more are added in the page), and the label of the button that adds one."""

    form: type[forms.Form]
    extra: int = 2
    add_label: str = _("Add a row")


class _Rehearsed(Exception):
    """Raised to roll back an event that was recorded only to hear what the rules say."""


@dataclass(frozen=True)
class Section:
    """A part of the page: a titled group of fields, or a formset (with errors about the list)
    whose rows are added and removed in the page."""

    title: str
    fields: list
    formset: BaseFormSet | None = None
    errors: list | None = None
    add_label: str = ""

    @property
    def inline_options(self) -> str:
        """The options of the admin's inlines.js for this formset (its `data-inline-formset`)."""
        prefix = self.formset.prefix
        options = {"prefix": prefix, "addText": str(self.add_label), "deleteText": str(_("Remove"))}
        return json.dumps({"name": f"#{prefix}", "options": options})


# ---------------------------------------------------------------------------------------------
# The event forms


class EventForm(forms.Form):
    """Who records the event, and when it happened; subclasses add the event's data.

    Subclasses set `event_type`, `title`, `rows` (payload list key → Rows), `layout` (titled
    groups of field names, or `"rows:<key>"` for a formset), `error_fields` (payload path →
    form field, for paths whose last part is not a field name; `[]` matches any index) and
    `listed_fields` (text areas holding one list item per line), and write `payload()`.
    """

    required_css_class = "required"  # the admin shows such labels in bold
    event_type: str = ""
    title: str = ""
    rows: dict[str, Rows] = {}
    layout: list[tuple[str, list[str] | str]] = []
    error_fields: dict[str, str] = {}
    listed_fields: tuple[str, ...] = ()

    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choose the organisation …"),
        help_text=_("Whose event this is: it owns the lots the event makes and must hold those it uses."),
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"),
        help_text=format_lazy(_("When it happened (business time, {zone})."), zone=settings.TIME_ZONE),
    )

    def __init__(self, data=None, *, organisations, initial=None) -> None:
        super().__init__(data, initial=initial)
        self.fields["organisation"].queryset = organisations
        self.formsets: dict[str, BaseFormSet] = {}
        self.list_errors: dict[str, list[str]] = {}
        for key, rows in self.rows.items():
            formset_class = formset_factory(
                rows.form, extra=rows.extra, max_num=MAX_ROWS, absolute_max=MAX_ROWS
            )
            self.formsets[key] = formset_class(data, prefix=key)
            self.list_errors[key] = []
        self._row_forms: dict[str, list[int]] = {key: [] for key in self.rows}

    @property
    def media(self) -> forms.Media:
        media = super().media
        for formset in self.formsets.values():
            media += formset.empty_form.media
        return media

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
            if row.has_changed():
                items.append(row.item())
                used.append(index)
        # Item i of the payload came from form used[i]; errors about item i go there.
        self._row_forms[key] = used
        return items

    def payload(self) -> dict:
        """The event's data from `cleaned_data`; every event form defines its own.

        A field that could not be cleaned is missing from `cleaned_data` (read it with `.get`):
        the rules then see it as absent, and its own error is already on the form.
        """
        raise NotImplementedError(f"{type(self).__name__} must build its payload")

    def submit(self, *, actor: str) -> Recorded | None:
        """Record the event if the form is valid and the rules hold; else show every error
        (the form's and the rules') and return None, having written nothing."""
        if self.is_valid():
            return self._record(actor=actor, rehearsal=False)
        if "organisation" not in self.errors and "occurred_at" not in self.errors:
            self._record(actor=actor, rehearsal=True)
        return None

    def _record(self, *, actor: str, rehearsal: bool) -> Recorded | None:
        event = EventInput(self.event_type, self.cleaned_data["occurred_at"], self.payload())
        organisation = self.cleaned_data["organisation"]
        try:
            with transaction.atomic():
                [recorded] = events_record(organisation=organisation, actor=actor, events=[event])
                if rehearsal:
                    raise _Rehearsed  # roll back: only the rules' verdict was wanted
        except _Rehearsed:
            return None
        except DomainError as error:
            self.show_domain_error(error)
            return None
        return recorded

    def lot_to_show(self, recorded: Recorded) -> str | None:
        """The lot page to go to after recording, if the event is about one lot."""
        return recorded.lots[0] if len(recorded.lots) == 1 else None

    # -- putting domain errors next to their fields ----------------------------------------

    def show_domain_error(self, error: DomainError) -> None:
        """Put each of the rules' errors next to its field; a field that shows the form's own
        error already (e.g. "This field is required.") keeps only that one."""
        if not error.errors:
            self.add_error(None, error.message)
        for path, messages in error.errors.items():
            for message in messages:
                self._place(path, message)

    def _add(self, form: forms.Form, field: str | None, message: str) -> None:
        if field is not None and form.errors.get(field):
            return
        form.add_error(field, message)

    def _place(self, path: str, message: str) -> None:
        if path == "occurred_at":
            self._add(self, "occurred_at", message)
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
            message = _("line %(number)s: %(message)s") % {"number": int(index[1]) + 1, "message": message}
        self._add(self, field, message)

    def _place_in_row(self, key: str, index: int, field: str | None, message: str) -> None:
        used = self._row_forms[key]
        if index >= len(used):
            self.list_errors[key].append(
                _("row %(number)s: %(message)s") % {"number": index + 1, "message": message}
            )
            return
        row = self.formsets[key].forms[used[index]]
        self._add(row, field if field in row.fields else None, message)

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
        sections = [Section(_("Recorded for"), [self["organisation"], self["occurred_at"]])]
        for title, names in self.layout:
            if isinstance(names, str):
                key = names.removeprefix("rows:")
                formset, add_label = self.formsets[key], self.rows[key].add_label
                sections.append(Section(title, [], formset, self.list_errors[key], add_label))
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


def _code_field(example: str, label: str = _("Code")) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=CODE_MAX,
        required=False,
        help_text=format_lazy(
            _("Leave blank to get the next code (e.g. {example}), or give the partner's own code."),
            example=example,
        ),
    )


def _transport_fields(*, required: bool) -> tuple[forms.CharField, forms.ChoiceField]:
    distance = amount_field(_("Transport distance km"), required=required)
    mode = forms.ChoiceField(label=_("Transport mode"), choices=_mode_choices, required=required)
    return distance, mode


class ScrapReceiptForm(EventForm):
    """scrap.received: a new scrap lot from a supplier."""

    event_type = events.SCRAP_RECEIVED
    title = _("Record a scrap receipt")
    layout = [
        (
            _("Scrap lot"),
            ["code", "supplier", "supplier_name", "grade", "category", "mass_kg", "origin", "documents"],
        ),
        (_("Transport to us"), ["transport_distance_km", "transport_mode"]),
    ]
    error_fields = TRANSPORT_ERRORS
    listed_fields = ("documents",)

    code = _code_field("SCR-2026-000123")
    supplier = forms.ChoiceField(
        label=_("Supplier on remelt"),
        choices=_supplier_choices,
        required=False,
        help_text=_("A scrap supplier on the platform; it sees the lot once it confirms the receipt."),
    )
    supplier_name = forms.CharField(
        label=_("Supplier not on remelt"),
        max_length=_longest(events.SCRAP_RECEIVED, "supplier_name"),
        required=False,
        help_text=_("Or the name of a supplier that is not on the platform."),
    )
    grade = forms.CharField(
        label=_("Grade"),
        max_length=_longest(events.SCRAP_RECEIVED, "grade"),
        help_text=_("e.g. ISRI Tense, wheels"),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "---------"), *ScrapCategory.choices[:2]],  # internal scrap comes from part runs
    )
    mass_kg = mass_field()
    origin = forms.CharField(
        label=_("Origin"), max_length=_longest(events.SCRAP_RECEIVED, "origin"), required=False
    )
    documents = forms.CharField(
        label=_("Documents"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Document references (weighbridge ticket, delivery note), one per line."),
    )
    transport_distance_km, transport_mode = _transport_fields(required=True)

    def clean(self) -> dict:
        cleaned = super().clean()
        if "supplier" in self.errors:  # not a choice: the field says so
            return cleaned
        given = [key for key in ("supplier", "supplier_name") if cleaned.get(key)]
        if not given:
            self.add_error("supplier", _("Choose the supplier, or name one that is not on the platform."))
        elif len(given) > 1:
            self.add_error("supplier_name", _("Choose a supplier on the platform or name one, not both."))
        return cleaned

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {
            "grade": cleaned.get("grade"),
            "category": cleaned.get("category"),
            "mass_kg": cleaned.get("mass_kg"),
            "transport": _transport(cleaned),
            "documents": _lines(cleaned.get("documents") or ""),
        }
        _put(payload, "code", cleaned.get("code"))
        _put(payload, "supplier", cleaned.get("supplier"))
        _put(payload, "supplier_name", cleaned.get("supplier_name"))
        _put(payload, "origin", cleaned.get("origin"))
        return payload


class MeltForm(EventForm):
    """melt.recorded: one furnace batch (heat) from input lots and alloying additions."""

    event_type = events.MELT_RECORDED
    title = _("Record a melt")
    rows = {
        "inputs": Rows(MeltInputRow, 2, _("Add an input lot")),
        "additions": Rows(AdditionRow, 1, _("Add an alloying addition")),
    }
    layout = [
        (_("Heat"), ["code", "furnace"]),
        (_("Inputs (charged lots)"), "rows:inputs"),
        (_("Alloying additions"), "rows:additions"),
        (_("Output"), ["output_mass_kg", "dross_kg"]),
        (_("Energy"), ["electricity_kwh", "natural_gas_m3"]),
    ]
    error_fields = ENERGY_ERRORS

    code = _code_field("MLT-2026-000042")
    furnace = forms.CharField(
        max_length=_longest(events.MELT_RECORDED, "furnace"),
        widget=FurnacePicker(),
        label=_("Furnace"),
        help_text=_(
            "One of the furnaces of the organisation's registered installations; until it has"
            " one, a furnace it used before or a new name."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        picker = self.fields["furnace"].widget
        picker.offered = furnaces_offered(organisations=self.fields["organisation"].queryset)
        chosen = self["organisation"].value()
        picker.organisation = int(chosen) if str(chosen or "").isdigit() else None

    output_mass_kg = mass_field(_("Output mass kg"), help_text=_("Liquid metal tapped."))
    dross_kg = mass_field(_("Dross kg"), required=False, allow_zero=True)
    electricity_kwh = amount_field(_("Electricity kWh"))
    natural_gas_m3 = amount_field(_("Natural gas m³"))

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {
            "furnace": cleaned.get("furnace"),
            "inputs": self.items("inputs"),
            "additions": self.items("additions"),
            "output_mass_kg": cleaned.get("output_mass_kg"),
        }
        _put(payload, "code", cleaned.get("code"))
        _put(payload, "dross_kg", cleaned.get("dross_kg"))
        _put(payload, "energy", _energy(cleaned))
        return payload


class IngotCastForm(EventForm):
    """ingots.cast: ingot lots cast from melts."""

    event_type = events.INGOTS_CAST
    title = _("Record an ingot cast")
    rows = {
        "inputs": Rows(CastInputRow, 1, _("Add a melt")),
        "outputs": Rows(IngotOutputRow, 2, _("Add an ingot lot")),
    }
    layout = [
        (_("Inputs (melts)"), "rows:inputs"),
        (_("Ingot lots cast"), "rows:outputs"),
        (_("Energy"), ["electricity_kwh", "natural_gas_m3"]),
    ]
    error_fields = ENERGY_ERRORS

    electricity_kwh = amount_field(_("Electricity kWh"))
    natural_gas_m3 = amount_field(_("Natural gas m³"))

    def payload(self) -> dict:
        payload = {"inputs": self.items("inputs"), "outputs": self.items("outputs")}
        _put(payload, "energy", _energy(self.cleaned_data))
        return payload


class PartRunForm(EventForm):
    """parts.produced: a run of wheel hubs, given as serials or as a count with a serial prefix."""

    event_type = events.PARTS_PRODUCED
    title = _("Record a part run")
    rows = {"inputs": Rows(RunInputRow, 2, _("Add an input lot"))}
    layout = [
        (_("Inputs (ingot or melt lots)"), "rows:inputs"),
        (
            _("Wheel hubs"),
            ["serials", "part_count", "serial_prefix", "first_number", "part_mass_kg", "part_number"],
        ),
        (_("Internal scrap"), ["internal_scrap_mass_kg", "internal_scrap_code", "internal_scrap_grade"]),
        (_("Energy"), ["electricity_kwh", "natural_gas_m3"]),
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
        label=_("Serials"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=_("One serial per line; or leave blank and give a count and a serial prefix."),
    )
    part_count = forms.IntegerField(
        label=_("Number of parts"), required=False, min_value=1, max_value=events.MAX_LIST
    )
    serial_prefix = forms.CharField(
        label=_("Serial prefix"),
        max_length=50,
        required=False,
        help_text=format_lazy(
            _("Serials are the prefix and a {digits}-digit number: WH-2026- → WH-2026-000001."),
            digits=SERIAL_DIGITS,
        ),
    )
    first_number = forms.IntegerField(
        label=_("First number"),
        required=False,
        min_value=0,
        initial=1,
        help_text=_("Number of the first serial."),
    )
    part_mass_kg = mass_field(_("Mass kg per part"))
    part_number = forms.CharField(
        label=_("Part number"),
        max_length=_longest(events.PARTS_PRODUCED, "parts.part_number"),
        help_text=_("The same for every part."),
    )
    internal_scrap_mass_kg = mass_field(
        _("Internal scrap kg"),
        required=False,
        help_text=_("Chips, gates and rejects; becomes an internal scrap lot."),
    )
    internal_scrap_code = _code_field("SCR-2026-000124", _("Internal scrap code"))
    internal_scrap_grade = forms.CharField(
        label=_("Internal scrap grade"),
        max_length=_longest(events.PARTS_PRODUCED, "internal_scrap.grade"),
        required=False,
    )
    electricity_kwh = amount_field(
        _("Electricity kWh"), help_text=_("Casting, heat treatment and machining.")
    )
    natural_gas_m3 = amount_field(_("Natural gas m³"))

    def clean(self):
        cleaned = super().clean()
        serials = _lines(cleaned.get("serials") or "")
        count, prefix = cleaned.get("part_count"), cleaned.get("serial_prefix")
        if serials and (count or prefix):
            raise forms.ValidationError(
                _("Give either serials, one per line, or a count with a prefix, not both.")
            )
        if not serials:
            if not count and not prefix:
                self.add_error(
                    "serials", _("Give the serials, one per line, or a count with a serial prefix.")
                )
            elif not count:
                self.add_error("part_count", _("How many parts carry this prefix?"))
            elif not prefix:
                self.add_error("serial_prefix", _("Give the serial prefix for the count."))
        elif len(serials) > events.MAX_LIST:
            self.add_error("serials", _("at most %(max)s serials in one run") % {"max": events.MAX_LIST})
        cleaned["serial_list"] = serials
        return cleaned

    def serial_numbers(self) -> list[str]:
        cleaned = self.cleaned_data
        if cleaned.get("serial_list"):
            return cleaned["serial_list"]
        if not cleaned.get("part_count") or not cleaned.get("serial_prefix"):
            return []  # the form says what is missing
        first = cleaned["first_number"] if cleaned.get("first_number") is not None else 1
        width = max(self.SERIAL_DIGITS, len(str(first + cleaned["part_count"] - 1)))
        return [
            f"{cleaned['serial_prefix']}{number:0{width}d}"
            for number in range(first, first + cleaned["part_count"])
        ]

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        mass, part_number = cleaned.get("part_mass_kg"), cleaned.get("part_number")
        payload = {
            "inputs": self.items("inputs"),
            "parts": [
                {"serial": serial, "mass_kg": mass, "part_number": part_number}
                for serial in self.serial_numbers()
            ],
        }
        internal: dict = {}
        _put(internal, "mass_kg", cleaned.get("internal_scrap_mass_kg"))
        _put(internal, "code", cleaned.get("internal_scrap_code"))
        _put(internal, "grade", cleaned.get("internal_scrap_grade"))
        _put(payload, "internal_scrap", internal)
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
    title = _("Record a custody transfer")
    layout = [(_("Lots"), ["lots", "to"]), (_("Transport"), ["transport_distance_km", "transport_mode"])]
    error_fields = TRANSPORT_ERRORS
    listed_fields = ("lots",)

    lots = forms.CharField(
        label=_("Lots"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=_("Lot codes or part serials, one per line; all their remaining metal moves."),
    )
    to = forms.ModelChoiceField(
        label=_("To organisation"), queryset=Organisation.objects.all(), to_field_name="slug"
    )
    transport_distance_km, transport_mode = _transport_fields(required=True)

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        to = cleaned.get("to")
        return {
            "lots": _lines(cleaned.get("lots") or ""),
            "to": to.slug if to else None,
            "transport": _transport(cleaned),
        }

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return None


class LotAmendForm(EventForm):
    """lot.amended: corrected non-structural facts of the entry that made a lot."""

    event_type = events.LOT_AMENDED
    title = _("Amend a lot")
    rows = {"additions": Rows(AdditionRow, 1, _("Add an addition"))}
    layout = [
        (_("Lot"), ["lot", "reason"]),
        (
            _("Scrap receipt facts"),
            ["grade", "category", "origin", "transport_distance_km", "transport_mode"],
        ),
        (_("Ingot facts"), ["alloy", "chemistry"]),
        (_("Part facts"), ["part_number"]),
        (_("Energy"), ["electricity_kwh", "natural_gas_m3"]),
        (_("Alloying additions (melts: the same masses, corrected materials)"), "rows:additions"),
    ]
    error_fields = TRANSPORT_ERRORS | ENERGY_ERRORS

    lot = forms.CharField(label=_("Lot code"), max_length=_longest(events.LOT_AMENDED, "lot"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=_longest(events.LOT_AMENDED, "reason"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    grade = forms.CharField(
        label=_("Grade"), max_length=_longest(events.LOT_AMENDED, "grade"), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "---------"), *ScrapCategory.choices[:2]], required=False
    )
    origin = forms.CharField(
        label=_("Origin"), max_length=_longest(events.LOT_AMENDED, "origin"), required=False
    )
    transport_distance_km, transport_mode = _transport_fields(required=False)
    alloy = forms.CharField(
        label=_("Alloy"), max_length=_longest(events.LOT_AMENDED, "alloy"), required=False
    )
    chemistry = ChemistryField(label=_("Chemistry %"), required=False, max_length=500)
    part_number = forms.CharField(
        label=_("Part number"), max_length=_longest(events.LOT_AMENDED, "part_number"), required=False
    )
    electricity_kwh = amount_field(
        _("Electricity kWh"), help_text=_("Replaces both energy values; a blank one is 0.")
    )
    natural_gas_m3 = amount_field(_("Natural gas m³"))

    def payload(self) -> dict:
        cleaned = self.cleaned_data
        payload = {"lot": cleaned.get("lot"), "reason": cleaned.get("reason")}
        for key in ("grade", "category", "origin", "alloy", "chemistry", "part_number"):
            _put(payload, key, cleaned.get(key))
        _put(payload, "transport", _transport(cleaned))
        _put(payload, "energy", _energy(cleaned))
        _put(payload, "additions", self.items("additions"))
        return payload

    def lot_to_show(self, recorded: Recorded) -> str | None:
        return self.cleaned_data.get("lot")

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
    title = _("Void an entry")
    layout = [(_("Entry"), ["seq", "reason"])]

    seq = forms.IntegerField(label=_("Entry seq"), min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=_longest(events.ENTRY_VOIDED, "reason"),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def payload(self) -> dict:
        return {"seq": self.cleaned_data.get("seq"), "reason": self.cleaned_data.get("reason")}

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
