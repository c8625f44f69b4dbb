"""The material-flow events: their rules, and what each does to the material record.

Each handler takes a `MaterialState` (the lots, processes and transfers it touches), the
posting organisation and the event's data. It checks every rule, raises DomainError naming
the field at the first broken one, and otherwise changes the state and returns the
normalised payload that goes into the ledger (masses as 3-decimal strings, generated codes
filled in). The same handlers run when an event is posted (on state loaded from the
database) and when the ledger is replayed (on state in memory), so the tables and a replay
can only differ if something changed the tables behind the ledger's back.
"""

import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from ledger.errors import DomainError, quoted
from ledger.quantities import format_amount, format_kg, parse_amount, parse_mass
from ledger.vocabulary import Installations

SCRAP_RECEIVED = "scrap.received"
MELT_RECORDED = "melt.recorded"
INGOTS_CAST = "ingots.cast"
PARTS_PRODUCED = "parts.produced"
CUSTODY_TRANSFERRED = "custody.transferred"
LOT_AMENDED = "lot.amended"
ENTRY_VOIDED = "entry.voided"
SUPPLY_CONFIRMED = "supply.confirmed"
MAKING_TYPES = (SCRAP_RECEIVED, MELT_RECORDED, INGOTS_CAST, PARTS_PRODUCED)
# The material-flow events: what moves metal or corrects it (EPCIS shows them, roll-ups follow).
EVENT_TYPES = (*MAKING_TYPES, CUSTODY_TRANSFERRED, LOT_AMENDED, ENTRY_VOIDED)
# Events about who may see a lot, which move no metal: the named supplier confirms a receipt.
CONFIRMING_TYPES = (SUPPLY_CONFIRMED,)
# Appended by the `pact` app when an organisation imports a supplier's PACT footprint; a melt's
# addition may cite it (carbon method remelt-2), so the ledger reads these entries itself.
FOOTPRINT_IMPORTED = "pact.footprint.imported"

CODE_PREFIX = {"scrap": "SCR", "melt": "MLT", "ingot": "ING"}
MIN_MELT_YIELD = (1, 2)  # 50 %
MAX_LIST = 5000  # items in one list (parts of a run, lots of a transfer)
REQUIRED = gettext_lazy("This field is required.")
# A lot's kind in a message: the code in English, the plant's word in Chinese.
KIND_WORDS = {
    "scrap": pgettext_lazy("lot kind", "scrap"),
    "melt": pgettext_lazy("lot kind", "melt"),
    "ingot": pgettext_lazy("lot kind", "ingot"),
    "part": pgettext_lazy("lot kind", "part"),
}


def _kind(kind: str) -> str:
    return str(KIND_WORDS.get(kind, kind))


@dataclass
class LotState:
    """A lot as the rules see it; mirrors ledger.models.Lot."""

    code: str
    kind: str
    owner: str
    mass_g: int
    remaining_g: int
    made_by: int
    occurred_at: datetime
    category: str = ""
    grade: str = ""
    alloy: str = ""
    chemistry: dict = field(default_factory=dict)
    part_number: str = ""
    supplier: str = ""  # a platform organisation's slug
    supplier_name: str = ""  # a supplier not on remelt, as the receiver names it
    supplier_confirmed: bool = False  # the platform supplier confirmed the receipt (supply.confirmed)
    origin: str = ""
    voided: bool = False
    transfers: list[int] = field(default_factory=list)  # live custody transfers, in order
    consumed_by: list[int] = field(default_factory=list)  # live processes that took from it


@dataclass
class ProcessState:
    """A step that made lots; mirrors ledger.models.Process and its consumptions."""

    seq: int
    type: str
    org: str
    occurred_at: datetime
    facts: dict
    inputs: dict[str, int]
    outputs: list[str]
    voided: bool = False


@dataclass
class TransferState:
    """A change of custody; mirrors ledger.models.Transfer and its items."""

    seq: int
    from_org: str
    to_org: str
    occurred_at: datetime
    transport: dict
    items: dict[str, int]
    voided: bool = False


class MaterialState(ABC):
    """What the handlers read and change. Changed objects are reported through `touched`.

    `replaying` is true for a state rebuilt from the entries: the few rules that were added
    after entries of their type had been recorded then read those entries as they were meant."""

    replaying = False

    @abstractmethod
    def lot(self, code: str) -> LotState | None: ...

    @abstractmethod
    def process(self, seq: int) -> ProcessState | None: ...

    @abstractmethod
    def transfer(self, seq: int) -> TransferState | None: ...

    @abstractmethod
    def entry_type(self, seq: int) -> str | None: ...

    @abstractmethod
    def code_taken(self, code: str) -> bool: ...

    @abstractmethod
    def next_code(self, prefix: str) -> str: ...

    @abstractmethod
    def organisation(self, slug: str) -> "OrgInfo | None": ...

    @abstractmethod
    def factor_keys(self) -> tuple[set[str], set[str]]:
        """The active factor set's (materials, transport modes)."""

    @abstractmethod
    def footprint_imports(self, org: str) -> list["ImportedFootprint"]:
        """The `pact.footprint.imported` entries of organisation `org`, in seq order."""

    @abstractmethod
    def sites(self) -> Installations:
        """The installations melts happen at, as of this point of the ledger."""

    @abstractmethod
    def add_lot(self, lot: LotState) -> None: ...

    @abstractmethod
    def add_process(self, process: ProcessState) -> None: ...

    @abstractmethod
    def add_transfer(self, transfer: TransferState) -> None: ...

    @abstractmethod
    def touch(self, thing: LotState | ProcessState | TransferState) -> None: ...


@dataclass(frozen=True)
class ImportedFootprint:
    """A supplier's footprint as its import entry names it (per_kg_co2e "" if it has no mass)."""

    seq: int
    pf_id: str
    per_kg_co2e: str


@dataclass(frozen=True)
class OrgInfo:
    slug: str
    sees_everything: bool


@dataclass(frozen=True)
class Context:
    """Who posts, when, and (on replay) the seq the entry has."""

    org: OrgInfo
    occurred_at: datetime
    seq: int


# ---------------------------------------------------------------------------------------------
# Reading the payload


class Payload:
    """The event's data with typed, field-naming accessors.

    Their shape (fields, types, lengths, list sizes) was checked against its declaration in
    `ledger.shapes` when the event was posted; these accessors read it, as they read stored
    payloads on replay, and refuse only what they cannot read."""

    def __init__(self, data: object, path: str = "data") -> None:
        if not isinstance(data, dict):
            raise DomainError("invalid", _("Expected an object."), field=path)
        self.data = data
        self.path = path

    def where(self, key: str) -> str:
        return f"{self.path}.{key}"

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise DomainError("invalid", str(REQUIRED), field=self.where(key))
            return default
        if not isinstance(value, str):
            raise DomainError("invalid", _("Not a valid string."), field=self.where(key))
        value = value.strip()
        if required and not value:
            raise DomainError("invalid", _("This field may not be blank."), field=self.where(key))
        return value

    def mass(self, key: str, *, allow_zero: bool = False) -> int:
        if key not in self.data:
            raise DomainError("invalid", str(REQUIRED), field=self.where(key))
        return parse_mass(self.data[key], self.where(key), allow_zero=allow_zero)

    def items(self, key: str, *, required: bool = True) -> list["Payload"]:
        value = self.data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list):
            raise DomainError("invalid", _("Expected a list."), field=self.where(key))
        return [Payload(item, f"{self.where(key)}[{index}]") for index, item in enumerate(value)]

    def child(self, key: str, *, required: bool = True) -> "Payload | None":
        value = self.data.get(key)
        if value is None:
            if required:
                raise DomainError("invalid", str(REQUIRED), field=self.where(key))
            return None
        return Payload(value, self.where(key))


def _energy(payload: Payload, *, required: bool = False) -> dict:
    energy = payload.child("energy", required=required)
    if energy is None:
        return {"electricity_kwh": "0.000", "natural_gas_m3": "0.000"}
    return {
        key: format_amount(parse_amount(energy.data.get(key, "0"), energy.where(key), what=key))
        for key in ("electricity_kwh", "natural_gas_m3")
    }


def _transport(payload: Payload, state: MaterialState) -> dict:
    transport = payload.child("transport")
    distance = parse_amount(
        transport.data.get("distance_km"), transport.where("distance_km"), what="distance_km"
    )
    mode = transport.text("mode")
    _materials, modes = state.factor_keys()
    if mode not in modes:
        raise DomainError(
            "unknown_mode",
            _("unknown transport mode %(mode)s; one of %(modes)s")
            % {"mode": quoted(mode), "modes": ", ".join(sorted(modes))},
            field=transport.where("mode"),
        )
    return {"distance_km": format_amount(distance), "mode": mode}


def _chemistry(payload: Payload) -> dict:
    chemistry = payload.child("chemistry", required=False)
    if chemistry is None:
        return {}
    result = {}
    for element, share in chemistry.data.items():
        value = parse_amount(share, chemistry.where(element), places=4, what="mass share in %")
        result[element] = format_amount(value, 4)
    return result


def _new_code(
    state: MaterialState, payload: Payload, key: str, kind: str, ctx: Context, taken: set[str]
) -> str:
    if payload.has(key):
        code = payload.text(key)
        if state.code_taken(code) or code in taken:
            raise DomainError(
                "duplicate_code",
                _("code %(code)s is taken") % {"code": quoted(code)},
                field=payload.where(key),
                status=409,
            )
    else:
        code = state.next_code(f"{CODE_PREFIX[kind]}-{ctx.occurred_at.year}")
    taken.add(code)
    return code


def _visible_lot(state: MaterialState, ctx: Context, code: str, where: str) -> LotState:
    """The lot, if the poster may know of it; otherwise the same error as for no lot at all."""
    lot = state.lot(code)
    if lot is None or not (ctx.org.sees_everything or _held_by(state, lot, ctx.org.slug)):
        raise DomainError("unknown_lot", _("no lot %(code)s") % {"code": quoted(code)}, field=where)
    if lot.voided:
        raise DomainError(
            "voided", _("lot %(code)s was voided") % {"code": quoted(code)}, field=where, status=409
        )
    return lot


def _held_by(state: MaterialState, lot: LotState, slug: str) -> bool:
    if lot.owner == slug:
        return True
    if state.process(lot.made_by).org == slug or supplied_by(state, lot, slug):
        return True
    return any(
        (transfer := state.transfer(seq)) is not None and slug in (transfer.from_org, transfer.to_org)
        for seq in lot.transfers
    )


def supplied_by(state: MaterialState, lot: LotState, slug: str) -> bool:
    """Does `slug` hold the lot as its supplier? Only once it confirmed the receipt
    (supply.confirmed), or if it is the lot's maker too (internal scrap): naming an organisation
    as supplier does not make the lot visible to it."""
    return (
        bool(lot.supplier)
        and lot.supplier == slug
        and (lot.supplier_confirmed or state.process(lot.made_by).org == slug)
    )


def _take_inputs(
    state: MaterialState, payload: Payload, ctx: Context, kinds: tuple[str, ...]
) -> dict[str, int]:
    """Check and consume the inputs `[{lot, mass_kg}]`; returns grams by lot code."""
    taken: dict[str, int] = {}
    lots = []
    for item in payload.items("inputs"):
        code = item.text("lot")
        if code in taken:
            raise DomainError(
                "invalid", _("lot %(code)s is listed twice") % {"code": quoted(code)}, field=item.where("lot")
            )
        lot = _visible_lot(state, ctx, code, item.where("lot"))
        if lot.kind not in kinds:
            raise DomainError(
                "wrong_kind",
                _("lot %(code)s is %(kind)s; inputs here must be %(kinds)s")
                % {
                    "code": quoted(code),
                    "kind": _kind(lot.kind),
                    "kinds": _(" or ").join(_kind(k) for k in kinds),
                },
                field=item.where("lot"),
            )
        if lot.owner != ctx.org.slug:
            raise DomainError(
                "not_owner",
                _("lot %(code)s is held by %(owner)s") % {"code": quoted(code), "owner": lot.owner},
                field=item.where("lot"),
                status=409,
            )
        grams = item.mass("mass_kg")
        if grams > lot.remaining_g:
            raise DomainError(
                "overdrawn",
                _("lot %(code)s has %(left)s kg left, %(asked)s kg asked")
                % {"code": quoted(code), "left": format_kg(lot.remaining_g), "asked": format_kg(grams)},
                field=item.where("mass_kg"),
                status=409,
            )
        taken[code] = grams
        lots.append(lot)
    for lot in lots:
        lot.remaining_g -= taken[lot.code]
        state.touch(lot)
    return taken


def _record_process(
    state: MaterialState,
    ctx: Context,
    entry_type: str,
    facts: dict,
    inputs: dict[str, int],
    outputs: list[LotState],
) -> None:
    process = ProcessState(
        seq=ctx.seq,
        type=entry_type,
        org=ctx.org.slug,
        occurred_at=ctx.occurred_at,
        facts=facts,
        inputs=inputs,
        outputs=[lot.code for lot in outputs],
    )
    state.add_process(process)
    for code in inputs:
        lot = state.lot(code)
        lot.consumed_by.append(ctx.seq)
    for lot in outputs:
        state.add_lot(lot)


def _lot(ctx: Context, code: str, kind: str, grams: int, **facts) -> LotState:
    return LotState(
        code=code,
        kind=kind,
        owner=ctx.org.slug,
        mass_g=grams,
        remaining_g=grams,
        made_by=ctx.seq,
        occurred_at=ctx.occurred_at,
        **facts,
    )


# ---------------------------------------------------------------------------------------------
# The handlers


def scrap_received(state: MaterialState, ctx: Context, data: dict) -> dict:
    """New scrap lot from a supplier (post- or pre-consumer), with its transport to us.

    The supplier is a platform organisation (`supplier`, its slug) or one not on remelt
    (`supplier_name`, free text): `ledger.shapes` wants exactly one. A slug that names no
    organisation is refused (`unknown_supplier`), so a typo never becomes a name. Entries
    recorded before the two fields existed have `supplier` only, holding either; on replay such
    a value that names no organisation is read as the name it was."""
    payload = Payload(data)
    category = payload.text("category")
    if category not in ("post_consumer", "pre_consumer"):
        raise DomainError(
            "invalid",
            _("received scrap is post_consumer or pre_consumer (internal scrap comes from part runs)"),
            field=payload.where("category"),
        )
    grams = payload.mass("mass_kg")
    supplier = payload.text("supplier", required=False)
    supplier_name = payload.text("supplier_name", required=False)
    if supplier and state.organisation(supplier) is None:
        if not state.replaying:
            raise DomainError(
                "unknown_supplier",
                _(
                    "no organisation %(supplier)s; give a platform organisation's slug, or name a "
                    "supplier not on remelt in supplier_name"
                )
                % {"supplier": repr(supplier)},
                field=payload.where("supplier"),
            )
        supplier, supplier_name = "", supplier
    if not supplier and not supplier_name:
        raise DomainError("invalid", str(REQUIRED), field=payload.where("supplier"))
    grade = payload.text("grade")
    origin = payload.text("origin", required=False)
    transport = _transport(payload, state)
    documents = payload.data.get("documents") or []
    code = _new_code(state, payload, "code", "scrap", ctx, set())
    lot = _lot(
        ctx,
        code,
        "scrap",
        grams,
        category=category,
        grade=grade,
        supplier=supplier,
        supplier_name=supplier_name,
        origin=origin,
    )
    facts = {"transport": transport, "documents": documents}
    _record_process(state, ctx, SCRAP_RECEIVED, facts, {}, [lot])
    normalised = {"code": code}
    if supplier:
        normalised["supplier"] = supplier
    else:
        normalised["supplier_name"] = supplier_name
    normalised.update(
        {
            "grade": grade,
            "category": category,
            "mass_kg": format_kg(grams),
            "transport": transport,
            "documents": documents,
        }
    )
    if origin:
        normalised["origin"] = origin
    return normalised


def _additions(payload: Payload, state: MaterialState, ctx: Context) -> tuple[list[dict], int]:
    materials, _modes = state.factor_keys()
    additions, total = [], 0
    for item in payload.items("additions", required=False):
        material = item.text("material")
        if material not in materials:
            raise DomainError(
                "unknown_material",
                _("unknown material %(material)s; one of %(materials)s")
                % {"material": quoted(material), "materials": ", ".join(sorted(materials))},
                field=item.where("material"),
            )
        grams = item.mass("mass_kg")
        total += grams
        addition = {"material": material, "mass_kg": format_kg(grams)}
        if item.has("footprint"):
            addition.update(_cited(item, state, ctx))
        elif item.has("footprint_entry"):
            raise DomainError(
                "invalid",
                _("only an addition that cites a footprint names its entry"),
                field=item.where("footprint_entry"),
            )
        additions.append(addition)
    return additions, total


def _cited(item: Payload, state: MaterialState, ctx: Context) -> dict:
    """The supplier footprint an addition cites (method remelt-2): the poster's latest import of
    that PACT footprint id before this entry, which must give a value per kg."""
    text = item.text("footprint")
    try:
        pf_id = str(uuid.UUID(text))
    except ValueError:
        raise DomainError(
            "invalid", _("the id of a PACT footprint (a UUID) you imported"), field=item.where("footprint")
        ) from None
    found = [
        imported
        for imported in state.footprint_imports(ctx.org.slug)
        if imported.pf_id == pf_id and imported.seq < ctx.seq
    ]
    if not found:
        raise DomainError(
            "unknown_footprint",
            _("%(org)s has imported no PACT footprint %(id)s; import it first")
            % {"org": ctx.org.slug, "id": pf_id},
            field=item.where("footprint"),
        )
    imported = found[-1]
    if not imported.per_kg_co2e:
        raise DomainError(
            "footprint_without_mass",
            _("footprint %(id)s is not per mass of product, so it cannot price an addition") % {"id": pf_id},
            field=item.where("footprint"),
        )
    if item.has("footprint_entry") and item.data["footprint_entry"] != imported.seq:
        raise DomainError(
            "invalid",
            _("footprint %(id)s was last imported by entry %(seq)s") % {"id": pf_id, "seq": imported.seq},
            field=item.where("footprint_entry"),
        )
    return {"footprint": pf_id, "footprint_entry": imported.seq}


def melt_recorded(state: MaterialState, ctx: Context, data: dict) -> dict:
    """A furnace batch (heat): scrap, ingots or melts in, alloying additions, liquid metal out."""
    payload = Payload(data)
    furnace = payload.text("furnace")
    state.sites().furnace_site(ctx.org.slug, furnace, payload.where("furnace"))
    additions, added_g = _additions(payload, state, ctx)
    energy = _energy(payload)
    output_g = payload.mass("output_mass_kg")
    dross_g = payload.mass("dross_kg", allow_zero=True) if payload.has("dross_kg") else 0
    code = _new_code(state, payload, "code", "melt", ctx, set())
    inputs = _take_inputs(state, payload, ctx, ("scrap", "melt", "ingot"))
    charged_g = sum(inputs.values()) + added_g
    if output_g > charged_g:
        raise DomainError(
            "mass_balance",
            _("output %(output)s kg exceeds inputs plus additions %(charged)s kg")
            % {"output": format_kg(output_g), "charged": format_kg(charged_g)},
            field=payload.where("output_mass_kg"),
        )
    if output_g * MIN_MELT_YIELD[1] < charged_g * MIN_MELT_YIELD[0]:
        raise DomainError(
            "low_yield",
            _("yield %(yield)s %% is below 50 %%") % {"yield": f"{100 * output_g / charged_g:.1f}"},
            field=payload.where("output_mass_kg"),
        )
    if output_g + dross_g > charged_g:
        raise DomainError(
            "mass_balance",
            _("dross %(dross)s kg exceeds the melt loss") % {"dross": format_kg(dross_g)},
            field=payload.where("dross_kg"),
        )
    lot = _lot(ctx, code, "melt", output_g)
    facts = {"furnace": furnace, "additions": additions, "energy": energy, "dross_kg": format_kg(dross_g)}
    _record_process(state, ctx, MELT_RECORDED, facts, inputs, [lot])
    return {
        "code": code,
        "furnace": furnace,
        "inputs": _inputs_out(inputs),
        "additions": additions,
        "energy": energy,
        "output_mass_kg": format_kg(output_g),
        "dross_kg": format_kg(dross_g),
    }


def _inputs_out(inputs: dict[str, int]) -> list[dict]:
    return [{"lot": code, "mass_kg": format_kg(grams)} for code, grams in inputs.items()]


def ingots_cast(state: MaterialState, ctx: Context, data: dict) -> dict:
    """Melt(s) cast into ingot lots, each with its alloy and chemistry."""
    payload = Payload(data)
    energy = _energy(payload)
    taken: set[str] = set()
    outputs, normalised_outputs = [], []
    for item in payload.items("outputs"):
        grams = item.mass("mass_kg")
        alloy = item.text("alloy")
        chemistry = _chemistry(item)
        code = _new_code(state, item, "code", "ingot", ctx, taken)
        outputs.append(_lot(ctx, code, "ingot", grams, alloy=alloy, chemistry=chemistry))
        normalised_outputs.append(
            {"code": code, "mass_kg": format_kg(grams), "alloy": alloy, "chemistry": chemistry}
        )
    inputs = _take_inputs(state, payload, ctx, ("melt",))
    _check_one_site(state, payload, inputs)
    _check_outputs_fit(payload, inputs, sum(lot.mass_g for lot in outputs), "outputs")
    _record_process(state, ctx, INGOTS_CAST, {"energy": energy}, inputs, outputs)
    return {"inputs": _inputs_out(inputs), "outputs": normalised_outputs, "energy": energy}


def _check_one_site(state: MaterialState, payload: Payload, inputs: dict[str, int]) -> None:
    """Casting happens at the installation of the melts it takes: one, or none for them all."""
    sites = set()
    for code in inputs:
        melt = state.process(state.lot(code).made_by)
        sites.add(state.sites().site_of(melt.org, melt.facts["furnace"], melt.seq))
    if len(sites) > 1:
        named = ", ".join(sorted(site or _("no installation") for site in sites))
        raise DomainError(
            "mixed_installations",
            _("a cast takes the melts of one installation; these come from %(named)s") % {"named": named},
            field=payload.where("inputs"),
        )


def _check_outputs_fit(payload: Payload, inputs: dict[str, int], out_g: int, key: str) -> None:
    in_g = sum(inputs.values())
    if out_g > in_g:
        raise DomainError(
            "mass_balance",
            _("outputs %(out)s kg exceed inputs %(in)s kg")
            % {"out": format_kg(out_g), "in": format_kg(in_g)},
            field=payload.where(key),
        )


def parts_produced(state: MaterialState, ctx: Context, data: dict) -> dict:
    """A production run: ingots or melts in, serialised wheel hubs and internal scrap out."""
    payload = Payload(data)
    energy = _energy(payload)
    taken: set[str] = set()
    outputs, normalised_parts = [], []
    for item in payload.items("parts"):
        serial = item.text("serial")
        if state.code_taken(serial) or serial in taken:
            raise DomainError(
                "duplicate_code",
                _("serial %(serial)s is taken") % {"serial": quoted(serial)},
                field=item.where("serial"),
                status=409,
            )
        taken.add(serial)
        grams = item.mass("mass_kg")
        part_number = item.text("part_number")
        outputs.append(_lot(ctx, serial, "part", grams, part_number=part_number))
        normalised_parts.append({"serial": serial, "mass_kg": format_kg(grams), "part_number": part_number})
    normalised = {"parts": normalised_parts, "energy": energy}
    internal = payload.child("internal_scrap", required=False)
    if internal is not None:
        grams = internal.mass("mass_kg")
        grade = internal.text("grade", required=False, default="chips, gates and rejects")
        code = _new_code(state, internal, "code", "scrap", ctx, taken)
        outputs.append(
            _lot(ctx, code, "scrap", grams, category="internal", grade=grade, supplier=ctx.org.slug)
        )
        normalised["internal_scrap"] = {"code": code, "mass_kg": format_kg(grams), "grade": grade}
    inputs = _take_inputs(state, payload, ctx, ("ingot", "melt"))
    _check_outputs_fit(payload, inputs, sum(lot.mass_g for lot in outputs), "parts")
    _record_process(state, ctx, PARTS_PRODUCED, {"energy": energy}, inputs, outputs)
    return {"inputs": _inputs_out(inputs), **normalised}


def custody_transferred(state: MaterialState, ctx: Context, data: dict) -> dict:
    """The remaining metal of the named lots moves to another organisation."""
    payload = Payload(data)
    to = payload.text("to")
    receiver = state.organisation(to)
    if receiver is None:
        raise DomainError(
            "unknown_organisation",
            _("no organisation %(to)s") % {"to": quoted(to)},
            field=payload.where("to"),
        )
    if receiver.slug == ctx.org.slug:
        raise DomainError("invalid", _("lots are already yours"), field=payload.where("to"))
    transport = _transport(payload, state)
    codes = payload.data.get("lots")
    if not isinstance(codes, list):
        raise DomainError("invalid", _("Expected a list of lot codes."), field=payload.where("lots"))
    items: dict[str, int] = {}
    lots = []
    for index, code in enumerate(codes):
        where = f"{payload.where('lots')}[{index}]"
        if not isinstance(code, str):
            raise DomainError("invalid", _("must be a lot code"), field=where)
        if code in items:
            raise DomainError(
                "invalid", _("lot %(code)s is listed twice") % {"code": quoted(code)}, field=where
            )
        lot = _visible_lot(state, ctx, code, where)
        if lot.owner != ctx.org.slug:
            raise DomainError(
                "not_owner",
                _("lot %(code)s is held by %(owner)s") % {"code": quoted(code), "owner": lot.owner},
                field=where,
                status=409,
            )
        if lot.remaining_g == 0:
            raise DomainError(
                "empty",
                _("lot %(code)s has nothing left to transfer") % {"code": quoted(code)},
                field=where,
                status=409,
            )
        items[code] = lot.remaining_g
        lots.append(lot)
    transfer = TransferState(
        seq=ctx.seq,
        from_org=ctx.org.slug,
        to_org=receiver.slug,
        occurred_at=ctx.occurred_at,
        transport=transport,
        items=items,
    )
    state.add_transfer(transfer)
    for lot in lots:
        lot.owner = receiver.slug
        lot.transfers.append(ctx.seq)
        state.touch(lot)
    return {"lots": list(items), "to": receiver.slug, "transport": transport}


def amendable_facts(process_type: str, lot_kind: str) -> tuple[str, ...]:
    """The facts of a lot's making entry that lot.amended may correct."""
    if process_type == SCRAP_RECEIVED:
        return ("grade", "category", "transport", "origin")
    if process_type == MELT_RECORDED:
        return ("energy", "additions")
    if process_type == INGOTS_CAST:
        return ("energy", "chemistry", "alloy")
    return ("energy", "grade") if lot_kind == "scrap" else ("energy", "part_number")


def lot_amended(state: MaterialState, ctx: Context, data: dict) -> dict:
    """Correct the non-structural facts of the entry that made a lot; masses and links stay."""
    payload = Payload(data)
    code = payload.text("lot")
    reason = payload.text("reason")
    lot = _visible_lot(state, ctx, code, payload.where("lot"))
    process = state.process(lot.made_by)
    if process.org != ctx.org.slug:
        raise DomainError(
            "not_maker",
            _("only %(org)s, which recorded lot %(code)s, may amend it")
            % {"org": process.org, "code": quoted(code)},
            field=payload.where("lot"),
            status=409,
        )
    allowed = amendable_facts(process.type, lot.kind)
    for key in payload.data:
        if key not in ("lot", "reason", *allowed):
            message = _("Not a fact of this lot's entry; its amendable facts are: %(facts)s.") % {
                "facts": ", ".join(allowed)
            }
            raise DomainError("not_amendable", message, field=payload.where(key))
    changes = [key for key in allowed if payload.has(key)]
    if not changes:
        raise DomainError(
            "not_amendable",
            _("nothing to amend; give one of %(facts)s") % {"facts": ", ".join(allowed)},
            field=payload.where("lot"),
        )
    normalised: dict = {"lot": code, "reason": reason}
    facts = dict(process.facts)
    for key in changes:
        if key in ("grade", "origin", "part_number", "alloy"):
            value = payload.text(key)
            setattr(lot, key, value)
        elif key == "category":
            value = payload.text("category")
            if value not in ("post_consumer", "pre_consumer"):
                raise DomainError(
                    "invalid",
                    _("received scrap is post_consumer or pre_consumer"),
                    field=payload.where("category"),
                )
            lot.category = value
        elif key == "chemistry":
            value = lot.chemistry = _chemistry(payload)
        elif key == "transport":
            value = facts["transport"] = _transport(payload, state)
        elif key == "energy":
            value = facts["energy"] = _energy(payload, required=True)
        else:  # additions: the materials may be corrected, their masses are structural
            value, _total = _additions(payload, state, ctx)
            if [a["mass_kg"] for a in value] != [a["mass_kg"] for a in facts["additions"]]:
                raise DomainError(
                    "structural",
                    _("additions may change material, not mass or number; void and re-record instead"),
                    field=payload.where("additions"),
                )
            facts["additions"] = value
        normalised[key] = value
    if facts != process.facts:
        process.facts = facts
        state.touch(process)
    state.touch(lot)
    return normalised


def entry_voided(state: MaterialState, ctx: Context, data: dict) -> dict:
    """Withdraw an entry whose lots were not used since; the record is as if it never was."""
    payload = Payload(data)
    seq = payload.data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise DomainError("invalid", _("must be the seq of an entry"), field=payload.where("seq"))
    reason = payload.text("reason")
    entry_type = state.entry_type(seq)
    process = state.process(seq) if entry_type in MAKING_TYPES else None
    transfer = state.transfer(seq) if entry_type == CUSTODY_TRANSFERRED else None
    target = process or transfer
    if entry_type is None or (target is None and entry_type in (*MAKING_TYPES, CUSTODY_TRANSFERRED)):
        raise DomainError("unknown_entry", _("no entry %(seq)s") % {"seq": seq}, field=payload.where("seq"))
    if target is None:
        raise DomainError(
            "not_voidable",
            _("a %(type)s entry cannot be voided") % {"type": entry_type},
            field=payload.where("seq"),
            status=409,
        )
    poster = process.org if process else transfer.from_org
    if poster != ctx.org.slug:
        involved = ctx.org.sees_everything or (transfer is not None and transfer.to_org == ctx.org.slug)
        if not involved:
            raise DomainError(
                "unknown_entry", _("no entry %(seq)s") % {"seq": seq}, field=payload.where("seq")
            )
        raise DomainError(
            "not_maker",
            _("only %(poster)s may void entry %(seq)s") % {"poster": poster, "seq": seq},
            field=payload.where("seq"),
            status=409,
        )
    if target.voided:
        raise DomainError(
            "voided",
            _("entry %(seq)s is voided already") % {"seq": seq},
            field=payload.where("seq"),
            status=409,
        )
    if process is not None:
        _void_process(state, process, payload)
    else:
        _void_transfer(state, transfer, payload)
    return {"seq": seq, "reason": reason}


def _void_process(state: MaterialState, process: ProcessState, payload: Payload) -> None:
    outputs = [state.lot(code) for code in process.outputs]
    used = []
    for lot in outputs:
        for consumer_seq in lot.consumed_by:
            used.extend(state.process(consumer_seq).outputs)
        if lot.transfers:
            used.append(
                _("%(code)s (transferred in entry %(seq)s)") % {"code": lot.code, "seq": lot.transfers[-1]}
            )
    if used:
        raise DomainError(
            "consumed",
            _("its lots were used since: %(used)s") % {"used": ", ".join(used)},
            field=payload.where("seq"),
            status=409,
        )
    process.voided = True
    state.touch(process)
    for lot in outputs:
        lot.voided = True
        state.touch(lot)
    for code, grams in process.inputs.items():
        lot = state.lot(code)
        lot.remaining_g += grams
        lot.consumed_by.remove(process.seq)
        state.touch(lot)


def _void_transfer(state: MaterialState, transfer: TransferState, payload: Payload) -> None:
    lots = [state.lot(code) for code in transfer.items]
    moved_on = [
        lot.code
        for lot in lots
        if lot.transfers[-1] != transfer.seq or lot.remaining_g != transfer.items[lot.code] or lot.voided
    ]
    if moved_on:
        raise DomainError(
            "consumed",
            _("lots were used or moved on since: %(lots)s") % {"lots": ", ".join(moved_on)},
            field=payload.where("seq"),
            status=409,
        )
    transfer.voided = True
    state.touch(transfer)
    for lot in lots:
        lot.owner = transfer.from_org
        lot.transfers.pop()
        state.touch(lot)


def supply_confirmed(state: MaterialState, ctx: Context, data: dict) -> dict:
    """The organisation a scrap receipt names as its supplier confirms it: from now on it holds
    (sees) the lot, as SPEC's holders do. For anyone else the lot does not exist (the same
    `unknown_lot` as for a code no lot has); a receipt is confirmed once (409 `already_confirmed`)."""
    payload = Payload(data)
    code = payload.text("lot")
    lot = state.lot(code)
    if lot is None or lot.kind != "scrap" or lot.supplier != ctx.org.slug:
        raise DomainError(
            "unknown_lot", _("no lot %(code)s") % {"code": repr(code)}, field=payload.where("lot")
        )
    if lot.voided:
        raise DomainError(
            "voided",
            _("lot %(code)s was voided") % {"code": repr(code)},
            field=payload.where("lot"),
            status=409,
        )
    if supplied_by(state, lot, ctx.org.slug):
        raise DomainError(
            "already_confirmed",
            _("lot %(code)s is confirmed already") % {"code": repr(code)},
            field=payload.where("lot"),
            status=409,
        )
    lot.supplier_confirmed = True
    state.touch(lot)
    return {"lot": code}


HANDLERS = {
    SCRAP_RECEIVED: scrap_received,
    MELT_RECORDED: melt_recorded,
    INGOTS_CAST: ingots_cast,
    PARTS_PRODUCED: parts_produced,
    CUSTODY_TRANSFERRED: custody_transferred,
    LOT_AMENDED: lot_amended,
    ENTRY_VOIDED: entry_voided,
    SUPPLY_CONFIRMED: supply_confirmed,
}
