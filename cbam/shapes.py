"""The one declaration of each installation event's payload, in the ledger's terms
(`ledger.shapes`): registered from the app's ready(), it is checked when the event is posted
(every field error at once, unknown fields and null refused), documented in OpenAPI and given
its example like the ledger's own event types. The rules that need the register (codes taken,
the owner, a UN/LOCODE in the country) are `cbam.rules`.
"""

from django.utils.translation import gettext_lazy

from accounts.models import Role
from cbam.rules import INSTALLATION_AMENDED, INSTALLATION_REGISTERED
from ledger.shapes import CODE_MAX, CODE_PATTERN, CODE_RULE, Event, ListOf, Obj, Text

# An installation's code is in the code character set of lots (ledger.shapes), at most 32
# characters; its furnaces' and casting lines' codes as long as a lot's.
INSTALLATION_CODE_MAX = 32
INSTALLATION_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
UNLOCODE_PATTERN = r"^[A-Z]{2} ?[A-Z2-9]{3}$"
LATITUDE_PATTERN = r"^-?(90(\.0{1,6})?|[1-8]?[0-9](\.[0-9]{1,6})?)$"
LONGITUDE_PATTERN = r"^-?(180(\.0{1,6})?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]{1,6})?)$"
MAX_LIST = 500  # furnaces or casting lines in one event

INSTALLATION_CODE = Text(
    max_length=INSTALLATION_CODE_MAX,
    pattern=INSTALLATION_CODE_PATTERN,
    pattern_message=gettext_lazy(
        "Not a valid installation code. Use 1 to 32 letters (A-Z, a-z), digits, '-', '.' or '_', "
        "beginning with a letter or a digit."
    ),
    help="Unique; reports and shipments name it.",
    example="HN-1",
)
UNIT = Obj(
    component="UnitData",
    fields={
        "code": Text(
            max_length=CODE_MAX,
            pattern=CODE_PATTERN,
            pattern_message=CODE_RULE,
            help="Unique across every installation; melts name it.",
            example="HN-1-RF1",
        ),
        "name": Text(required=False, example="reverberatory 60 t"),
    },
)


def _degrees(pattern: str, message: str, example: str) -> Text:
    return Text(
        max_length=12,
        pattern=pattern,
        pattern_message=message,
        help=f'Decimal degrees, at most 6 decimals, e.g. "{example}".',
        example=example,
    )


LATITUDE = _degrees(
    LATITUDE_PATTERN,
    gettext_lazy("Give decimal degrees as a string, between -90 and 90, with at most 6 decimals."),
    "23.0215",
)
LONGITUDE = _degrees(
    LONGITUDE_PATTERN,
    gettext_lazy("Give decimal degrees as a string, between -180 and 180, with at most 6 decimals."),
    "113.1214",
)


def _facts(*, required: bool) -> dict:
    """An installation's facts; all of them optional in an amendment."""
    return {
        "name": Text(required=required, example="Huanan remelt plant 1"),
        "address": Text(
            max_length=500, required=required, example="8 Shishan Road, Nanhai, Foshan, Guangdong"
        ),
        "country": Text(
            max_length=2,
            pattern=COUNTRY_PATTERN,
            pattern_message=gettext_lazy("Give an ISO 3166-1 alpha-2 code in capitals, e.g. CN."),
            required=required,
            help="ISO 3166-1 alpha-2, e.g. CN.",
            example="CN",
        ),
        "unlocode": Text(
            max_length=6,
            pattern=UNLOCODE_PATTERN,
            pattern_message=gettext_lazy("Give a UN/LOCODE in capitals, e.g. CNFOS (or CN FOS)."),
            required=False,
            help="UN/LOCODE, e.g. CNFOS (or CN FOS); in the installation's country.",
            example="CNFOS",
        ),
        "coordinates": Obj(
            component="CoordinatesData",
            required=False,
            fields={
                "latitude": LATITUDE,
                "longitude": LONGITUDE,
            },
        ),
        "registry_id": Text(
            max_length=64,
            required=False,
            help="The operator's identifier in the Commission's CBAM registry.",
            example="CN-ALU-000123",
        ),
    }


def _units(help: str, *, required: bool) -> ListOf:
    return ListOf(item=UNIT, min_items=1 if required else 0, max_items=MAX_LIST, required=required, help=help)


REGISTERED = Obj(
    fields={
        "code": INSTALLATION_CODE,
        **_facts(required=True),
        "furnaces": _units("At least one.", required=True),
        "casting_lines": _units("Its casting lines.", required=False),
    }
)
AMENDED = Obj(
    help="Give at least one fact to correct or a furnace or casting line to add.",
    fields={
        "installation": Text(
            max_length=INSTALLATION_CODE_MAX, help="The installation's code.", example="HN-1"
        ),
        "reason": Text(max_length=500, example="third furnace"),
        **_facts(required=False),
        "furnaces": _units("Furnaces to add; none is ever removed.", required=False),
        "casting_lines": _units("Casting lines to add.", required=False),
    },
)
# POST /installations/{code}/amendments/: the amendment without `installation`, which the URL names.
AMENDMENT_BODY = Obj(
    help=AMENDED.help,
    fields={key: shape for key, shape in AMENDED.fields.items() if key != "installation"},
)

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

EVENTS = (
    Event(
        INSTALLATION_REGISTERED,
        "InstallationRegistered",
        "Register an installation of the poster, with its furnaces and casting lines.",
        REGISTERED,
        INSTALLATION_EXAMPLE,
        INSTALLATIONS_POSTED_BY,
    ),
    Event(
        INSTALLATION_AMENDED,
        "InstallationAmended",
        "Correct an installation's facts, or add furnaces and casting lines.",
        AMENDED,
        AMENDMENT_EXAMPLE,
        INSTALLATIONS_POSTED_BY,
    ),
)
