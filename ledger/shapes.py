"""The one declaration of each event type's payload: its fields, their types, ranges and examples.

Everything about an event's shape is derived from `EVENTS` (and from the declarations other
apps register, `events_declared_register`): the field checks that run when an
event is posted (`payload_errors`, every field error at once), the OpenAPI component schemas
(`component_schemas`), the documented examples, and which fields name new codes or existing
lots (`claimed_codes`, `referenced_lots`). The rules that need the material record (owners,
remaining mass, factor-set keys) stay in `ledger.events`; they read payloads that passed
these checks, and on replay the payloads as they were stored, which is why nothing here runs
when the ledger is replayed: a check added later never turns an old entry into an error.

Messages follow DRF's style ("This field is required."), so a client sees one voice whether
the envelope or the payload is wrong.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from ledger.errors import quoted
from ledger.events import (
    CUSTODY_TRANSFERRED,
    ENTRY_VOIDED,
    INGOTS_CAST,
    LOT_AMENDED,
    MAX_LIST,
    MELT_RECORDED,
    PARTS_PRODUCED,
    REQUIRED,
    SCRAP_RECEIVED,
    SUPPLY_CONFIRMED,
)
from ledger.quantities import MAX_KG_DIGITS

# Codes and serials a partner gives its new lots: GS1 AI 21 (serial) and AI 10 (batch or lot)
# draw from GS1's character set 82; ERP batch and material numbers from letters, digits and a
# few separators. remelt takes the part of both that every URL reaches as it is (RFC 3986's
# unreserved characters, without `~`, which CS82 lacks): letters, digits, `-`, `.` and `_`,
# beginning with a letter or a digit (so never `.` or `..`), at most 64 characters.
CODE_MAX = 64
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
CODE_RULE = gettext_lazy(
    "Not a valid code. Use 1 to 64 letters (A-Z, a-z), digits, '-', '.' or '_', beginning with a letter "
    "or a digit."
)

# Decimal strings: masses in kg (at most 3 decimals, more than zero unless zero is allowed),
# amounts (energy, distance) and mass shares in % (at most 4 decimals, at most 100).
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,3})?$"
MASS_PATTERN = r"^([1-9][0-9]{0,9}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$"
SHARE_PATTERN = r"^(100(\.0{1,4})?|[1-9]?[0-9](\.[0-9]{1,4})?)$"
# The chemical elements by their IUPAC symbols, in the order of their atomic numbers.
ELEMENTS = (  # noqa: SIM905 - 118 symbols read best as a table
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb "
    "Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf "
    "Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
NOT_BLANK = r"\S"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class Errors(dict):
    """Field path → messages, in the order the fields are declared."""

    def add(self, path: str, message: str) -> None:
        self.setdefault(path, []).append(str(message))


@dataclass(frozen=True, kw_only=True)
class Shape:
    """A value of a payload. `role` marks codes: `new` (a code asked for a new lot) or `lot`
    (an existing lot named by its code or serial)."""

    required: bool = True
    help: str = ""
    role: str = ""

    def check(self, value: object, path: str, errors: Errors) -> None:
        raise NotImplementedError

    def schema(self) -> dict:
        raise NotImplementedError

    def sample(self) -> object:
        """A valid value; with every optional field filled in, for the tests."""
        raise NotImplementedError

    def codes(self, value: object, role: str) -> Iterator[str]:
        if self.role == role and isinstance(value, str):
            yield value

    def _described(self, schema: dict) -> dict:
        return {**schema, "description": self.help} if self.help else schema


@dataclass(frozen=True, kw_only=True)
class Text(Shape):
    """A string: not blank (unless `blank`), at most `max_length` characters, one of `choices`
    or matching `pattern` where given."""

    max_length: int = 200
    blank: bool = False
    choices: tuple[str, ...] = ()
    pattern: str = ""
    pattern_message: str = ""  # a gettext_lazy string, in the language of the check
    example: str = ""

    def check(self, value: object, path: str, errors: Errors) -> None:
        if not isinstance(value, str):
            errors.add(path, _("Not a valid string: got a JSON %(type)s.") % {"type": _json_type(value)})
        elif not self.blank and not value.strip():
            errors.add(path, _("This field may not be blank."))
        elif len(value) > self.max_length:
            errors.add(
                path,
                _("Ensure this field has no more than %(max_length)s characters.")
                % {"max_length": self.max_length},
            )
        elif self.choices and value not in self.choices:
            message = _('"%(value)s" is not a valid choice; one of: %(choices)s.')
            errors.add(path, message % {"value": value, "choices": ", ".join(self.choices)})
        elif self.pattern and not re.search(self.pattern, value):
            errors.add(path, self.pattern_message)

    def schema(self) -> dict:
        schema: dict = {"type": "string", "maxLength": self.max_length}
        if self.choices:
            schema["enum"] = list(self.choices)
        elif self.pattern:
            schema["pattern"] = self.pattern
        elif not self.blank:
            schema["pattern"] = NOT_BLANK
        if self.example:
            schema["example"] = self.example
        return self._described(schema)

    def sample(self) -> str:
        return self.example or (self.choices[0] if self.choices else "x")


def Code(*, help: str, example: str, required: bool = True) -> Text:  # noqa: N802 (a declaration)
    """A code or serial for a new lot, in the code character set."""
    return Text(
        max_length=CODE_MAX,
        pattern=CODE_PATTERN,
        pattern_message=CODE_RULE,
        role="new",
        help=help,
        example=example,
        required=required,
    )


def LotRef(*, help: str, example: str) -> Text:  # noqa: N802 (a declaration)
    """The code or serial of an existing lot. Any code the ledger holds may be named, also one
    recorded before the code character set existed."""
    return Text(max_length=CODE_MAX, role="lot", help=help, example=example)


@dataclass(frozen=True, kw_only=True)
class DecimalString(Shape):
    """A non-negative decimal string, never a JSON number: a float cannot carry an exact gram,
    and one rule for every client is simpler than two."""

    pattern: str = AMOUNT_PATTERN
    places: int = 3
    what: str = gettext_lazy("an amount")  # a gettext_lazy string
    allow_zero: bool = True
    maximum: str = ""
    example: str = "0"

    def check(self, value: object, path: str, errors: Errors) -> None:
        if isinstance(value, str) and re.search(self.pattern, value):
            return
        words = {
            "what": self.what,
            "example": self.example,
            "places": self.places,
            "maximum": self.maximum,
            "digits": MAX_KG_DIGITS,
        }
        if not isinstance(value, str):
            words["type"] = _json_type(value)
            errors.add(
                path,
                _('Give %(what)s as a decimal string such as "%(example)s", not a JSON %(type)s.') % words,
            )
            return
        number = re.fullmatch(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?", value)
        if value.strip().startswith("-"):
            errors.add(path, _("Ensure %(what)s is not negative.") % words)
        elif number and len(number.group(2) or "") > self.places:
            errors.add(path, _("Ensure %(what)s has no more than %(places)s decimal places.") % words)
        elif number and self.maximum and float(value) > float(self.maximum):
            errors.add(path, _("Ensure %(what)s is at most %(maximum)s.") % words)
        elif number and len(number.group(1)) > MAX_KG_DIGITS:
            errors.add(
                path, _("Ensure %(what)s has no more than %(digits)s digits before the point.") % words
            )
        elif number and not self.allow_zero:
            errors.add(path, _("Ensure %(what)s is more than zero.") % words)
        else:
            errors.add(path, _('Not a valid decimal string: give %(what)s such as "%(example)s".') % words)

    def schema(self) -> dict:
        return self._described({"type": "string", "pattern": self.pattern, "example": self.example})

    def sample(self) -> str:
        return self.example


def Mass(
    *, help: str = "", example: str = "1250.500", zero: bool = False, required: bool = True
) -> DecimalString:  # noqa: N802
    """A mass in kg: a decimal string with at most 3 decimals, more than zero unless `zero`."""
    return DecimalString(
        pattern=AMOUNT_PATTERN if zero else MASS_PATTERN,
        what=gettext_lazy("a mass in kg"),
        allow_zero=zero,
        example=example,
        required=required,
        help=help or 'Mass in kg, a decimal string with at most 3 decimals, e.g. "1250.500".',
    )


def Amount(*, help: str, example: str = "0", required: bool = True) -> DecimalString:  # noqa: N802
    """A non-negative amount (energy, distance): a decimal string with at most 3 decimals."""
    return DecimalString(what=gettext_lazy("an amount"), example=example, required=required, help=help)


@dataclass(frozen=True, kw_only=True)
class Int(Shape):
    minimum: int = 1
    example: int = 1

    def check(self, value: object, path: str, errors: Errors) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            errors.add(
                path, _("A valid integer is required: got a JSON %(type)s.") % {"type": _json_type(value)}
            )
        elif value < self.minimum:
            message = _("Ensure this value is greater than or equal to %(limit_value)s.")
            errors.add(path, message % {"limit_value": self.minimum})

    def schema(self) -> dict:
        return self._described({"type": "integer", "minimum": self.minimum, "example": self.example})

    def sample(self) -> int:
        return self.example


@dataclass(frozen=True, kw_only=True)
class Obj(Shape):
    """An object with declared fields and no others; `component` names its OpenAPI schema."""

    fields: dict[str, Shape] = field(default_factory=dict)
    component: str = ""
    # Groups of optional fields of which exactly one is given (a supplier on remelt or not).
    one_of: tuple[tuple[str, ...], ...] = ()

    def check(self, value: object, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.add(path, _("Expected an object but got a JSON %(type)s.") % {"type": _json_type(value)})
            return
        grouped = self._one_of_errors(value)
        for key, shape in self.fields.items():
            where = f"{path}.{key}"
            if key not in value:
                if shape.required:
                    errors.add(where, str(REQUIRED))
            elif value[key] is None:
                errors.add(where, _("This field may not be null."))
            else:
                shape.check(value[key], where, errors)
            if key in grouped:
                errors.add(where, grouped[key])
        for key in value:
            if key not in self.fields:
                message = _("Unknown field; the fields are: %(fields)s.") % {"fields": ", ".join(self.fields)}
                errors.add(f"{path}.{key}", message)

    def _one_of_errors(self, value: dict) -> dict[str, str]:
        """By field, what breaks an exactly-one group: none given (said at the group's first
        field) or several (said at each of them)."""
        found = {}
        for group in self.one_of:
            given = [key for key in group if key in value]
            if not given:
                message = _("This field is required, or one of: %(others)s.")
                found[group[0]] = message % {"others": ", ".join(group[1:])}
            for key in given if len(given) > 1 else ():
                found[key] = _("Give only one of %(fields)s.") % {"fields": ", ".join(group)}
        return found

    def schema(self) -> dict:
        schema = {
            "type": "object",
            "properties": {key: shape.schema() for key, shape in self.fields.items()},
            "required": [key for key, shape in self.fields.items() if shape.required],
            "additionalProperties": False,
        }
        if not schema["required"]:
            del schema["required"]
        if len(self.one_of) == 1:
            schema["oneOf"] = [{"required": [key]} for key in self.one_of[0]]
        elif self.one_of:
            schema["allOf"] = [{"oneOf": [{"required": [key]} for key in group]} for group in self.one_of]
        return self._described(schema)

    def sample(self) -> dict:
        # Every optional field filled in, but only the first of each exactly-one group.
        left_out = {key for group in self.one_of for key in group[1:]}
        return {key: shape.sample() for key, shape in self.fields.items() if key not in left_out}

    def codes(self, value: object, role: str) -> Iterator[str]:
        if isinstance(value, dict):
            for key, shape in self.fields.items():
                yield from shape.codes(value.get(key), role)


@dataclass(frozen=True, kw_only=True)
class ListOf(Shape):
    item: Shape
    min_items: int = 1
    max_items: int = MAX_LIST

    def check(self, value: object, path: str, errors: Errors) -> None:
        if not isinstance(value, list):
            errors.add(path, _("Expected a list but got a JSON %(type)s.") % {"type": _json_type(value)})
            return
        if len(value) < self.min_items:
            message = _("Ensure this list has at least %(count)s item(s).")
            errors.add(path, message % {"count": self.min_items})
        if len(value) > self.max_items:
            errors.add(
                path, _("Ensure this list has no more than %(count)s items.") % {"count": self.max_items}
            )
            return
        for index, item in enumerate(value):
            self.item.check(item, f"{path}[{index}]", errors)

    def schema(self) -> dict:
        schema = {"type": "array", "items": self.item.schema(), "maxItems": self.max_items}
        if self.min_items:
            schema["minItems"] = self.min_items
        return self._described(schema)

    def sample(self) -> list:
        return [self.item.sample()]

    def codes(self, value: object, role: str) -> Iterator[str]:
        if isinstance(value, list):
            for item in value:
                yield from self.item.codes(item, role)


@dataclass(frozen=True, kw_only=True)
class Chemistry(Shape):
    """Mass shares in % by IUPAC element symbol (`Si`, `Mg`: the symbol's case as IUPAC writes
    it). OpenAPI 3.0 has no keyword for an object's keys, so its schema names every element as
    an optional property and no other key."""

    share: DecimalString = DecimalString(
        pattern=SHARE_PATTERN,
        places=4,
        what=gettext_lazy("a mass share in percent"),
        maximum="100",
        example="7.05",
    )
    component: str = "ChemistryData"

    def check(self, value: object, path: str, errors: Errors) -> None:
        if not isinstance(value, dict):
            errors.add(path, _("Expected an object but got a JSON %(type)s.") % {"type": _json_type(value)})
            return
        for element, share in value.items():
            where = f"{path}.{element}"
            if element not in ELEMENTS:
                message = _("%(element)s is not an element symbol (as IUPAC writes it: Si, Mg, Fe).") % {
                    "element": quoted(element)
                }
                errors.add(where, message)
            else:
                self.share.check(share, where, errors)

    def schema(self) -> dict:
        return self._described(
            {
                "type": "object",
                "properties": {element: self.share.schema() for element in ELEMENTS},
                "additionalProperties": False,
                "example": {"Si": "7.05", "Mg": "0.35"},
            }
        )

    def sample(self) -> dict:
        return {"Si": "7.05", "Mg": "0.35"}


@dataclass(frozen=True)
class Event:
    """An event type: its payload's declaration, a one-line summary, an example payload and the
    roles that may post it (an organisation posts it if one of its roles is among them)."""

    type: str
    component: str
    summary: str
    data: Obj
    example: dict
    posted_by: tuple[str, ...]


# -- the shared parts ------------------------------------------------------------------------

TRANSPORT = Obj(
    component="TransportData",
    help="How the metal travelled.",
    fields={
        "distance_km": Amount(help="Distance in km, a decimal string.", example="180"),
        "mode": Text(
            max_length=20,
            help="A transport mode of the active emission-factor set: truck, rail or ship.",
            example="truck",
        ),
    },
)
ENERGY = Obj(
    component="EnergyData",
    required=False,
    fields={
        "natural_gas_m3": Amount(help="Natural gas in m³ (default 0).", example="2100", required=False),
        "electricity_kwh": Amount(help="Electricity in kWh (default 0).", example="850", required=False),
    },
)
INPUT = Obj(
    component="InputLotData",
    fields={
        "lot": LotRef(help="Code or serial of a lot the poster holds.", example="SCR-2026-000123"),
        "mass_kg": Mass(),
    },
)
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ADDITION = Obj(
    component="AdditionData",
    fields={
        "material": Text(
            max_length=60,
            help="A material key of the active factor set, e.g. primary_aluminium, silicon.",
            example="silicon",
        ),
        "mass_kg": Mass(example="120"),
        "footprint": Text(
            required=False,
            max_length=36,
            pattern=UUID_PATTERN,
            pattern_message=gettext_lazy(
                "Not a PACT footprint id: a UUID such as 3a6c14a7-4deb-498a-b5ea-16ce2535b576."
            ),
            help="The id of a supplier's PACT ProductFootprint you imported: the roll-up prices the addition "
            "with its kg CO2e per kg instead of the generic factor (method remelt-2).",
            example="3a6c14a7-4deb-498a-b5ea-16ce2535b576",
        ),
        "footprint_entry": Int(
            required=False,
            help="Written by the ledger: the seq of the import entry the addition cites (the poster's "
            "latest import of that footprint); if given, it must be that one.",
            example=41,
        ),
    },
)
CHEMISTRY = Chemistry(
    required=False, help='Mass share in % by element symbol, e.g. {"Si": "7.05", "Mg": "0.35"}.'
)
RECEIVED_CATEGORIES = ("post_consumer", "pre_consumer")
DOCUMENTS = ListOf(
    item=Text(max_length=500, blank=True, example="WB-2026-7781"),
    min_items=0,
    required=False,
    help="Document references (weighbridge tickets, delivery notes).",
)


def _inputs(help: str) -> ListOf:
    return ListOf(item=INPUT, help=help)


def _with(shape: Shape, **changes) -> Shape:
    return type(shape)(**{**shape.__dict__, **changes})


# -- who posts what --------------------------------------------------------------------------
# Scrap is received, melted and cast by the plants that melt (recyclers, and wheel makers that
# remelt scrap and their own chips); wheels are made by wheel makers. Whoever can hold metal
# passes it on (the rules check it is the holder) and withdraws its own transfers; a lot is
# corrected by the plant that made it (the rules check it is the maker). Auditors and the
# operator post nothing of their own: operator staff record in the admin for an organisation,
# whose roles then count.
MELTERS = (Role.RECYCLER, Role.WHEEL_MAKER)
HOLDERS = (Role.SCRAP_SUPPLIER, Role.RECYCLER, Role.WHEEL_MAKER, Role.OEM)

# -- the event types -------------------------------------------------------------------------

EVENTS: dict[str, Event] = {
    SCRAP_RECEIVED: Event(
        SCRAP_RECEIVED,
        "ScrapReceived",
        "New scrap lot from a supplier.",
        Obj(
            fields={
                "code": Code(
                    help="Your own lot code; generated (SCR-<year>-NNNNNN) if left out.",
                    example="SCR-2026-000123",
                    required=False,
                ),
                "supplier": Text(
                    max_length=64,
                    required=False,
                    help="The supplier's organisation slug, for a supplier on remelt (one that names no "
                    "organisation is refused: `unknown_supplier`). Give this or `supplier_name`. The "
                    "supplier holds the lot (sees it) once it confirms the receipt (`supply.confirmed`).",
                    example="guangfa-scrap",
                ),
                "supplier_name": Text(
                    required=False,
                    help="The name of a supplier that is not on remelt, as free text. Give this or "
                    "`supplier`.",
                    example="Hebei Scrap Trading",
                ),
                "grade": Text(help="e.g. ISRI Tense, wheels.", example="wheels"),
                "category": Text(max_length=20, choices=RECEIVED_CATEGORIES),
                "mass_kg": Mass(example="24850.500"),
                "origin": Text(required=False, example="Foshan", help="Where the scrap was collected."),
                "transport": _with(TRANSPORT, help="How the scrap came to you."),
                "documents": DOCUMENTS,
            },
            one_of=(("supplier", "supplier_name"),),
        ),
        {
            "code": "SCR-2026-000123",
            "supplier": "guangfa-scrap",
            "grade": "wheels",
            "category": "post_consumer",
            "mass_kg": "24850.500",
            "origin": "Foshan",
            "transport": {"distance_km": "180", "mode": "truck"},
            "documents": ["WB-2026-7781"],
        },
        MELTERS,
    ),
    MELT_RECORDED: Event(
        MELT_RECORDED,
        "MeltRecorded",
        "One furnace batch (heat).",
        Obj(
            fields={
                "code": Code(
                    help="Your own code for the heat; generated (MLT-<year>-NNNNNN) if left out.",
                    example="MLT-2026-000045",
                    required=False,
                ),
                "furnace": Text(max_length=64, example="TC-65", help="The furnace the heat was melted in."),
                "inputs": _inputs("Scrap, ingot or melt lots charged."),
                "additions": ListOf(item=ADDITION, min_items=0, required=False, help="Alloying additions."),
                "energy": ENERGY,
                "output_mass_kg": Mass(
                    example="23900",
                    help="Liquid metal out, in kg; at most inputs plus additions, at least half of them.",
                ),
                "dross_kg": Mass(
                    zero=True, example="820", required=False, help="Dross skimmed off (default 0)."
                ),
            }
        ),
        {
            "code": "MLT-2026-000045",
            "furnace": "TC-65",
            "inputs": [{"lot": "SCR-2026-000123", "mass_kg": "24850.500"}],
            "additions": [{"material": "silicon", "mass_kg": "120"}],
            "energy": {"natural_gas_m3": "2100", "electricity_kwh": "850"},
            "output_mass_kg": "23900",
            "dross_kg": "820",
        },
        MELTERS,
    ),
    INGOTS_CAST: Event(
        INGOTS_CAST,
        "IngotsCast",
        "Melt(s) cast into ingot lots.",
        Obj(
            fields={
                "inputs": _inputs("Melt lots poured."),
                "outputs": ListOf(
                    item=Obj(
                        component="IngotOutputData",
                        fields={
                            "code": Code(
                                help="Your own code for the ingot lot; generated if left out.",
                                example="ING-2026-000210",
                                required=False,
                            ),
                            "mass_kg": Mass(example="11900"),
                            "alloy": Text(max_length=40, help="e.g. A356.2.", example="A356.2"),
                            "chemistry": CHEMISTRY,
                        },
                    )
                ),
                "energy": ENERGY,
            }
        ),
        {
            "inputs": [{"lot": "MLT-2026-000045", "mass_kg": "23900"}],
            "outputs": [
                {
                    "code": "ING-2026-000210",
                    "mass_kg": "11900",
                    "alloy": "A356.2",
                    "chemistry": {"Si": "7.05"},
                },
                {"code": "ING-2026-000211", "mass_kg": "11850", "alloy": "A356.2"},
            ],
            "energy": {"electricity_kwh": "300"},
        },
        MELTERS,
    ),
    PARTS_PRODUCED: Event(
        PARTS_PRODUCED,
        "PartsProduced",
        "A production run of wheel hubs.",
        Obj(
            fields={
                "inputs": _inputs("Ingot or melt lots used."),
                "parts": ListOf(
                    item=Obj(
                        component="PartData",
                        fields={
                            "serial": Code(
                                help="The wheel hub's serial number; it becomes the part lot's code.",
                                example="WH-7731-000001",
                            ),
                            "mass_kg": Mass(example="11.250"),
                            "part_number": Text(max_length=64, example="AF-18-7731"),
                        },
                    )
                ),
                "internal_scrap": Obj(
                    component="InternalScrapData",
                    required=False,
                    help="Chips, gates and rejects of the run; they become an internal scrap lot.",
                    fields={
                        "code": Code(
                            help="Code of the internal scrap lot; generated if left out.",
                            example="SCR-WW-000087",
                            required=False,
                        ),
                        "mass_kg": Mass(example="310"),
                        "grade": Text(
                            max_length=100,
                            required=False,
                            help="Default: chips, gates and rejects.",
                            example="chips",
                        ),
                    },
                ),
                "energy": _with(ENERGY, help="Casting, heat treatment and machining."),
            }
        ),
        {
            "inputs": [{"lot": "ING-2026-000210", "mass_kg": "1200"}],
            "parts": [
                {"serial": "WH-7731-000001", "mass_kg": "11.250", "part_number": "AF-18-7731"},
                {"serial": "WH-7731-000002", "mass_kg": "11.240", "part_number": "AF-18-7731"},
            ],
            "internal_scrap": {"code": "SCR-WW-000087", "mass_kg": "310"},
            "energy": {"electricity_kwh": "1450", "natural_gas_m3": "95"},
        },
        (Role.WHEEL_MAKER,),
    ),
    CUSTODY_TRANSFERRED: Event(
        CUSTODY_TRANSFERRED,
        "CustodyTransferred",
        "Lots move to another organisation.",
        Obj(
            fields={
                "lots": ListOf(
                    item=LotRef(help="Lot code or part serial.", example="WH-7731-000001"),
                    help="The lots that move, with all their remaining metal.",
                ),
                "to": Text(max_length=64, help="The receiving organisation's slug.", example="autofab"),
                "transport": TRANSPORT,
            }
        ),
        {
            "lots": ["WH-7731-000001", "WH-7731-000002"],
            "to": "autofab",
            "transport": {"distance_km": "640", "mode": "rail"},
        },
        HOLDERS,
    ),
    LOT_AMENDED: Event(
        LOT_AMENDED,
        "LotAmended",
        "Correct the non-structural facts of a lot.",
        Obj(
            help="Which facts may be corrected depends on the entry that made the lot (see the README).",
            fields={
                "lot": LotRef(
                    help="The lot whose making entry is corrected; only its maker may amend it.",
                    example="SCR-2026-000123",
                ),
                "reason": Text(max_length=500, example="weighbridge ticket re-read"),
                "grade": Text(max_length=100, required=False, example="ISRI Tense"),
                "category": Text(max_length=20, choices=RECEIVED_CATEGORIES, required=False),
                "origin": Text(max_length=100, required=False, example="Foshan"),
                "transport": _with(TRANSPORT, required=False),
                "energy": ENERGY,
                "additions": ListOf(
                    item=ADDITION, required=False, help="Materials only; masses are structural."
                ),
                "chemistry": CHEMISTRY,
                "alloy": Text(max_length=100, required=False, example="A356.2"),
                "part_number": Text(max_length=100, required=False, example="AF-18-7731"),
            },
        ),
        {"lot": "SCR-2026-000123", "reason": "weighbridge ticket re-read", "grade": "ISRI Tense"},
        MELTERS,
    ),
    ENTRY_VOIDED: Event(
        ENTRY_VOIDED,
        "EntryVoided",
        "Withdraw an entry whose lots are unused.",
        Obj(
            fields={
                "seq": Int(minimum=1, example=5, help="The entry to withdraw; its lots must be unused."),
                "reason": Text(max_length=500, example="sent to the wrong customer"),
            }
        ),
        # The examples above, posted in order on an empty ledger, are entries 1 to 6: this
        # withdraws the transfer (5), whose wheels were not used since (tests/api/test_examples.py).
        {"seq": 5, "reason": "sent to the wrong customer"},
        HOLDERS,
    ),
    SUPPLY_CONFIRMED: Event(
        SUPPLY_CONFIRMED,
        "SupplyConfirmed",
        "The supplier confirms a receipt that names it.",
        Obj(
            fields={
                "lot": LotRef(
                    help="The scrap lot whose receipt names you as its `supplier`; you hold (see) it "
                    "from then on. Any other lot is `unknown_lot`.",
                    example="SCR-2026-000123",
                ),
            }
        ),
        {"lot": "SCR-2026-000123"},
        (Role.SCRAP_SUPPLIER,),
    ),
}


# -- what is derived from it -----------------------------------------------------------------


def declaration(entry_type: object) -> Event | None:
    """The declaration of an event type: one of the ledger's own (`EVENTS`) or one another app
    declared (`events_declared_register`); None for a type that is not one."""
    if not isinstance(entry_type, str):
        return None
    return EVENTS.get(entry_type) or _declared_elsewhere.get(entry_type)


def declared(entry_type: str, path: str) -> Shape:
    """The declaration of one field of a payload, by its dotted path (lists are walked into):
    `declared(INGOTS_CAST, "outputs.alloy").max_length`, for forms that offer the field."""
    shape: Shape = declaration(entry_type).data
    for key in path.split("."):
        while isinstance(shape, ListOf):
            shape = shape.item
        assert isinstance(shape, Obj), path
        shape = shape.fields[key]
    return shape


def posted_by(entry_type: str) -> tuple[str, ...] | None:
    """The roles that may post an event type; None for a type that is not one."""
    event = declaration(entry_type)
    return event.posted_by if event is not None else None


def payload_errors(entry_type: str, data: object, path: str = "data") -> dict[str, list[str]]:
    """Every field error of an event's payload, by field path; empty if its shape is right."""
    return shape_errors(declaration(entry_type).data, data, path)


def shape_errors(shape: Shape, value: object, path: str = "data") -> dict[str, list[str]]:
    """Every field error of a value against a declaration, by field path; empty if it fits."""
    errors = Errors()
    shape.check(value, path, errors)
    return dict(errors)


def claimed_codes(entry_type: str, data: object) -> list[str]:
    """Codes and serials an event asks for its new lots, to check them all in one query."""
    event = EVENTS.get(entry_type)
    return list(event.data.codes(data, "new")) if event else []


def referenced_lots(entry_type: str, data: object) -> list[str]:
    """Codes an event names as existing lots, to load (and lock) them before the handler runs."""
    event = EVENTS.get(entry_type)
    return sorted(set(event.data.codes(data, "lot"))) if event else []


def component_schemas() -> dict[str, dict]:
    """The OpenAPI component schema of each payload (`ScrapReceivedData`, …) and of every named
    part (`TransportData`, …); named parts are referenced with `$ref`."""
    components: dict[str, dict] = {}
    for event in (*EVENTS.values(), *_declared_elsewhere.values()):
        components[f"{event.component}Data"] = _named(event.data.schema(), event.data, components)
    return components


def named_schema(shape: Shape) -> dict:
    """The OpenAPI schema of a declaration whose named parts are those of an event's payload
    (they are among `component_schemas`), referenced with `$ref`."""
    return _named(shape.schema(), shape, {})


def _named(schema: dict, shape: Shape, components: dict[str, dict]) -> dict:
    """`schema` with the named parts of `shape` replaced by a `$ref`, their schemas put in `components`."""
    if isinstance(shape, Obj):
        for key, sub in shape.fields.items():
            schema["properties"][key] = _named(schema["properties"][key], sub, components)
    elif isinstance(shape, ListOf):
        schema["items"] = _named(schema["items"], shape.item, components)
    component = getattr(shape, "component", "")  # an Obj's or the chemistry's
    if component:
        components[component] = _without_description(schema)
        ref = {"$ref": f"#/components/schemas/{component}"}
        return {"allOf": [ref], "description": shape.help} if shape.help else ref
    return schema


def _without_description(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key != "description"}


# -- event types that other apps declare ------------------------------------------------------
# An app that keeps its own records in the ledger (the installations of `cbam`) declares its
# event types with these same shapes and registers them from its AppConfig.ready: their
# payloads are checked, documented and given examples like the ledger's own, and the ledger
# imports nothing of the app.

_declared_elsewhere: dict[str, Event] = {}


def events_declared_register(*events: Event) -> None:
    """Add event types that another app declares, so the ledger checks and documents them."""
    for event in events:
        _declared_elsewhere[event.type] = event


def declared_elsewhere() -> dict[str, Event]:
    """The event types other apps declared, by type, in the order they registered them."""
    return dict(_declared_elsewhere)
