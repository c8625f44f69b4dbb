"""The rules of `installation.registered` and `installation.amended`, over an in-memory register.

Like `ledger.events`, pure: the same code checks an event when it is posted (on the register
loaded from the tables under the ledger head lock) and when the ledger is replayed (on a
register built from the entries in order). Each broken rule is one DomainError naming its field.
The payloads' shape (fields, types, lengths, patterns) is declared and checked in `cbam.shapes`
when an event is posted; the rules read payloads that passed it, as they read stored ones.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from ledger.errors import DomainError, quoted
from ledger.events import Context, Payload
from ledger.vocabulary import Installations

INSTALLATION_REGISTERED = "installation.registered"
INSTALLATION_AMENDED = "installation.amended"
INSTALLATION_TYPES = (INSTALLATION_REGISTERED, INSTALLATION_AMENDED)

FURNACE, CASTING_LINE = "furnace", "casting_line"
UNIT_LISTS = {"furnaces": FURNACE, "casting_lines": CASTING_LINE}
FACTS = ("name", "address", "country", "unlocode", "coordinates", "registry_id")


@dataclass
class Unit:
    code: str
    kind: str
    name: str
    installation: str
    seq: int  # the entry that registered it


@dataclass
class InstallationState:
    code: str
    org: str
    facts: dict  # name, address, country, unlocode, coordinates, registry_id, as in the payloads
    seq: int
    amended_seq: int | None = None
    units: list[str] = field(default_factory=list)


class Register(Installations):
    """Installations and their furnaces and casting lines by code, with what changed.

    `load` gives the register as it is (posting reads the tables, lazily, once the head is
    locked); a replay starts empty and applies the entries in order.
    """

    def __init__(self, load=None) -> None:
        self._load = load
        self._installations: dict[str, InstallationState] | None = None
        self._units: dict[str, Unit] = {}
        self.changed: dict[str, InstallationState] = {}
        self.new_units: list[Unit] = []

    def installations(self) -> dict[str, InstallationState]:
        if self._installations is None:
            self._installations, self._units = self._load() if self._load else ({}, {})
        return self._installations

    def unit(self, code: str) -> Unit | None:
        self.installations()
        return self._units.get(code)

    # -- what the ledger's rules ask -------------------------------------------------------

    def handle(self, entry_type: str, ctx: Context, data: dict) -> dict:
        if entry_type == INSTALLATION_REGISTERED:
            return installation_registered(self, ctx, data)
        if entry_type == INSTALLATION_AMENDED:
            return installation_amended(self, ctx, data)
        return super().handle(entry_type, ctx, data)

    def furnace_site(self, org: str, furnace: str, where: str) -> str | None:
        unit = self.unit(furnace)
        if unit is not None and unit.kind == FURNACE and self.installations()[unit.installation].org == org:
            return unit.installation
        if unit is not None or any(i.org == org for i in self.installations().values()):
            # Another organisation's furnace gets the same answer as no furnace at all.
            raise DomainError(
                "unknown_furnace",
                _("no furnace %(furnace)s at your installations; register it with installation.amended")
                % {"furnace": quoted(furnace)},
                field=where,
            )
        return None

    def site_of(self, org: str, furnace: str, seq: int) -> str | None:
        unit = self.unit(furnace)
        if unit is None or unit.kind != FURNACE or unit.seq >= seq:
            return None  # a melt recorded before its furnace was registered stays "no installation"
        installation = self.installations()[unit.installation]
        return installation.code if installation.org == org else None

    # -- what the rules change ------------------------------------------------------------

    def add(self, installation: InstallationState) -> None:
        self.installations()[installation.code] = installation
        self.changed[installation.code] = installation

    def add_unit(self, unit: Unit) -> None:
        self._units[unit.code] = unit
        self.installations()[unit.installation].units.append(unit.code)
        self.new_units.append(unit)


def _facts(payload: Payload, keys: tuple[str, ...], *, country: str | None = None) -> dict:
    """The installation facts among `keys` that the payload gives, normalised (a UN/LOCODE
    without its space, degrees with 6 decimals); their shape was checked (cbam.shapes). A
    UN/LOCODE must be in the installation's country."""
    facts: dict = {}
    for key in keys:
        if key == "coordinates":
            coordinates = payload.child(key)
            facts[key] = {
                axis: f"{Decimal(coordinates.text(axis)):.6f}" for axis in ("latitude", "longitude")
            }
        elif key == "unlocode":
            facts[key] = payload.text(key).replace(" ", "")
        else:
            facts[key] = payload.text(key)
    country = facts.get("country", country)
    if "unlocode" in facts and country and not facts["unlocode"].startswith(country):
        raise DomainError(
            "unlocode_not_in_country",
            _("a UN/LOCODE in %(country)s starts with %(country)s") % {"country": country},
            field=payload.where("unlocode"),
        )
    return facts


def _units(register: Register, payload: Payload, ctx: Context, installation: str) -> dict:
    """New furnaces and casting lines `[{code, name?}]`; codes unique across every installation."""
    taken: set[str] = set()
    lists: dict[str, list[Unit]] = {}
    for key, kind in UNIT_LISTS.items():
        units = []
        for item in payload.items(key, required=False):
            code = item.text("code")
            if code in taken or register.unit(code) is not None:
                raise DomainError(
                    "duplicate_code",
                    _("code %(code)s is taken") % {"code": quoted(code)},
                    field=item.where("code"),
                    status=409,
                )
            taken.add(code)
            units.append(Unit(code, kind, item.text("name", required=False), installation, ctx.seq))
        lists[key] = units
    return lists


def _units_out(units: list[Unit]) -> list[dict]:
    return [{"code": unit.code, **({"name": unit.name} if unit.name else {})} for unit in units]


def installation_registered(register: Register, ctx: Context, data: dict) -> dict:
    """A new installation of the poster, with its furnaces (at least one) and casting lines."""
    payload = Payload(data)
    code = payload.text("code")
    if code in register.installations():
        raise DomainError(
            "duplicate_code",
            _("code %(code)s is taken") % {"code": quoted(code)},
            field=payload.where("code"),
            status=409,
        )
    given = ("name", "address", "country", *(key for key in FACTS[3:] if payload.has(key)))
    facts = _facts(payload, given)
    units = _units(register, payload, ctx, code)
    register.add(InstallationState(code=code, org=ctx.org.slug, facts=facts, seq=ctx.seq))
    for unit in (*units["furnaces"], *units["casting_lines"]):
        register.add_unit(unit)
    return {"code": code, **facts, **{key: _units_out(value) for key, value in units.items()}}


def installation_amended(register: Register, ctx: Context, data: dict) -> dict:
    """Correct an installation's facts or add furnaces and casting lines; only its owner may.

    Furnaces are never moved or removed: the melts recorded at them stay at their installation.
    """
    payload = Payload(data)
    code = payload.text("installation")
    installation = register.installations().get(code)
    if installation is None or installation.org != ctx.org.slug:
        raise DomainError(
            "unknown_installation",
            _("no installation %(code)s") % {"code": quoted(code)},
            field=payload.where("installation"),
        )
    reason = payload.text("reason")
    given = tuple(key for key in FACTS if payload.has(key))
    country = payload.data.get("country") if "country" in given else installation.facts["country"]
    facts = _facts(payload, given, country=country)
    kept = installation.facts.get("unlocode", "")
    if "country" in facts and "unlocode" not in facts and kept and not kept.startswith(facts["country"]):
        raise DomainError(
            "unlocode_not_in_country",
            _("the installation's UN/LOCODE %(kept)s is not in %(country)s; give the new one")
            % {"kept": kept, "country": facts["country"]},
            field=payload.where("unlocode"),
        )
    units = _units(register, payload, ctx, code)
    added = [*units["furnaces"], *units["casting_lines"]]
    if not facts and not added:
        raise DomainError(
            "nothing_to_amend",
            _("nothing to amend; give one of %(facts)s") % {"facts": ", ".join((*FACTS, *UNIT_LISTS))},
            field=payload.path,
        )
    installation.facts = {**installation.facts, **facts}
    installation.amended_seq = ctx.seq
    register.add(installation)
    for unit in added:
        register.add_unit(unit)
    normalised = {"installation": code, "reason": reason, **facts}
    normalised.update({key: _units_out(value) for key, value in units.items() if value})
    return normalised
