"""The rules of `installation.registered` and `installation.amended`, over an in-memory register.

Like `ledger.events`, pure: the same code checks an event when it is posted (on the register
loaded from the tables under the ledger head lock) and when the ledger is replayed (on a
register built from the entries in order). Each broken rule is one DomainError naming its field.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ledger.errors import DomainError, quoted
from ledger.events import Context
from ledger.events import Payload as _LedgerPayload
from ledger.vocabulary import Installations

INSTALLATION_REGISTERED = "installation.registered"
INSTALLATION_AMENDED = "installation.amended"
INSTALLATION_TYPES = (INSTALLATION_REGISTERED, INSTALLATION_AMENDED)

FURNACE, CASTING_LINE = "furnace", "casting_line"
UNIT_LISTS = {"furnaces": FURNACE, "casting_lines": CASTING_LINE}
FACTS = ("name", "address", "country", "unlocode", "coordinates", "registry_id")
COUNTRY = re.compile(r"[A-Z]{2}")
UNLOCODE = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")
COORDINATE = re.compile(r"-?(0|[1-9][0-9]{0,2})(\.[0-9]{1,6})?")


MAX_LIST = 500  # furnaces or casting lines in one event


class Payload(_LedgerPayload):
    """The ledger's payload reader, with the checks of shape that installation events make
    themselves (the ledger's declarations in `ledger.shapes` are of material-flow events)."""

    def only(self, *allowed: str) -> None:
        for key in self.data:
            if key not in allowed:
                raise DomainError(
                    "invalid", _("unknown field %(key)s") % {"key": quoted(key)}, field=self.where(key)
                )

    def text(self, key: str, *, required: bool = True, default: str = "", max_length: int = 200) -> str:
        value = super().text(key, required=required, default=default)
        if len(value) > max_length:
            raise DomainError(
                "invalid", _("at most %(count)s characters") % {"count": max_length}, field=self.where(key)
            )
        return value

    def items(self, key: str, *, required: bool = True, min_items: int = 1) -> list["Payload"]:
        items = super().items(key, required=required)
        if (required or items) and len(items) < min_items:
            raise DomainError(
                "invalid", _("needs at least %(count)s item(s)") % {"count": min_items}, field=self.where(key)
            )
        if len(items) > MAX_LIST:
            raise DomainError(
                "invalid", _("at most %(count)s items") % {"count": MAX_LIST}, field=self.where(key)
            )
        return [Payload(item.data, item.path) for item in items]

    def child(self, key: str, *, required: bool = True) -> "Payload | None":
        child = super().child(key, required=required)
        return None if child is None else Payload(child.data, child.path)


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
    """The installation facts among `keys` that the payload gives, checked and normalised."""
    facts: dict = {}
    if "name" in keys:
        facts["name"] = payload.text("name", max_length=200)
    if "address" in keys:
        facts["address"] = payload.text("address", max_length=500)
    if "country" in keys:
        value = payload.text("country", max_length=2)
        if not COUNTRY.fullmatch(value):
            raise DomainError(
                "invalid",
                _("an ISO 3166-1 alpha-2 code in capitals, e.g. CN"),
                field=payload.where("country"),
            )
        facts["country"] = country = value
    if "unlocode" in keys:
        value = payload.text("unlocode", max_length=6).replace(" ", "")
        if not UNLOCODE.fullmatch(value):
            raise DomainError("invalid", _("a UN/LOCODE, e.g. CNFOS"), field=payload.where("unlocode"))
        if country and not value.startswith(country):
            raise DomainError(
                "invalid",
                _("a UN/LOCODE in %(country)s starts with %(country)s") % {"country": country},
                field=payload.where("unlocode"),
            )
        facts["unlocode"] = value
    if "coordinates" in keys:
        facts["coordinates"] = _coordinates(payload)
    if "registry_id" in keys:
        facts["registry_id"] = payload.text("registry_id", max_length=64)
    return facts


def _coordinates(payload: Payload) -> dict:
    coordinates = payload.child("coordinates")
    coordinates.only("latitude", "longitude")
    result = {}
    for key, limit in (("latitude", 90), ("longitude", 180)):
        value = coordinates.data.get(key)
        where = coordinates.where(key)
        if not isinstance(value, str) or not COORDINATE.fullmatch(value):
            raise DomainError("invalid", _("decimal degrees as a string, at most 6 decimals"), field=where)
        try:
            degrees = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise DomainError("invalid", _("decimal degrees"), field=where) from None
        if abs(degrees) > limit:
            raise DomainError(
                "invalid", _("between -%(limit)s and %(limit)s degrees") % {"limit": limit}, field=where
            )
        result[key] = f"{degrees:.6f}"
    return result


def _units(register: Register, payload: Payload, ctx: Context, installation: str, *, required: bool) -> dict:
    """New furnaces and casting lines `[{code, name?}]`; codes unique across every installation."""
    taken: set[str] = set()
    lists: dict[str, list[Unit]] = {}
    for key, kind in UNIT_LISTS.items():
        need = required and kind == FURNACE
        units = []
        for item in payload.items(key, required=need, min_items=1 if need else 0):
            item.only("code", "name")
            code = item.text("code", max_length=64)
            if code in taken or register.unit(code) is not None:
                raise DomainError(
                    "duplicate_code",
                    _("code %(code)s is taken") % {"code": quoted(code)},
                    field=item.where("code"),
                    status=409,
                )
            taken.add(code)
            units.append(
                Unit(code, kind, item.text("name", required=False, max_length=200), installation, ctx.seq)
            )
        lists[key] = units
    return lists


def _units_out(units: list[Unit]) -> list[dict]:
    return [{"code": unit.code, **({"name": unit.name} if unit.name else {})} for unit in units]


def installation_registered(register: Register, ctx: Context, data: dict) -> dict:
    """A new installation of the poster, with its furnaces (at least one) and casting lines."""
    payload = Payload(data)
    payload.only("code", *FACTS, *UNIT_LISTS)
    code = payload.text("code", max_length=32)
    if code in register.installations():
        raise DomainError(
            "duplicate_code",
            _("code %(code)s is taken") % {"code": quoted(code)},
            field=payload.where("code"),
            status=409,
        )
    given = ("name", "address", "country", *(key for key in FACTS[3:] if payload.has(key)))
    facts = _facts(payload, given)
    units = _units(register, payload, ctx, code, required=True)
    register.add(InstallationState(code=code, org=ctx.org.slug, facts=facts, seq=ctx.seq))
    for unit in (*units["furnaces"], *units["casting_lines"]):
        register.add_unit(unit)
    return {"code": code, **facts, **{key: _units_out(value) for key, value in units.items()}}


def installation_amended(register: Register, ctx: Context, data: dict) -> dict:
    """Correct an installation's facts or add furnaces and casting lines; only its owner may.

    Furnaces are never moved or removed: the melts recorded at them stay at their installation.
    """
    payload = Payload(data)
    payload.only("installation", "reason", *FACTS, *UNIT_LISTS)
    code = payload.text("installation", max_length=32)
    installation = register.installations().get(code)
    if installation is None or installation.org != ctx.org.slug:
        raise DomainError(
            "unknown_installation",
            _("no installation %(code)s") % {"code": quoted(code)},
            field=payload.where("installation"),
        )
    reason = payload.text("reason", max_length=500)
    given = tuple(key for key in FACTS if payload.has(key))
    country = payload.data.get("country") if "country" in given else installation.facts["country"]
    facts = _facts(payload, given, country=country)
    kept = installation.facts.get("unlocode", "")
    if "country" in facts and "unlocode" not in facts and kept and not kept.startswith(facts["country"]):
        raise DomainError(
            "invalid",
            _("the installation's UN/LOCODE %(kept)s is not in %(country)s; give the new one")
            % {"kept": kept, "country": facts["country"]},
            field=payload.where("unlocode"),
        )
    units = _units(register, payload, ctx, code, required=False)
    added = [*units["furnaces"], *units["casting_lines"]]
    if not facts and not added:
        raise DomainError(
            "invalid",
            _("nothing to amend; give one of %(facts)s") % {"facts": ", ".join((*FACTS, *UNIT_LISTS))},
            field=payload.where("installation"),
        )
    installation.facts = {**installation.facts, **facts}
    installation.amended_seq = ctx.seq
    register.add(installation)
    for unit in added:
        register.add_unit(unit)
    normalised = {"installation": code, "reason": reason, **facts}
    normalised.update({key: _units_out(value) for key, value in units.items() if value})
    return normalised
