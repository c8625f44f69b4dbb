"""EPCIS documents from partners' plant systems, read as remelt events (the inverse of
epcis.mapping), with every refusal named by the event's index and field.

An event remelt reads:
- ObjectEvent ADD, bizStep `receiving`: a scrap receipt (one lot in `quantityList`, the supplier
  as the owning party of `sourceList`: `urn:remelt:org:<slug>` for an organisation on remelt,
  any other URI for a supplier that is not, `remelt:grade`/`remelt:category` in `ilmd`,
  `remelt:transport`).
- ObjectEvent OBSERVE, bizStep `shipping`: a custody transfer to the owning party of
  `destinationList` (wheel hubs in `epcList`, other lots in `quantityList`; a quantity given must be
  all the metal the lot has left).
- TransformationEvent: a part run when it commissions serials (`outputEPCList`), a cast when its
  `ilmd` gives `remelt:lots` (alloy, chemistry), a melt otherwise.
- An event with an `errorDeclaration`: `did_not_occur` voids the entry of the declared event;
  `incorrect_data` with one corrective event (in the same document) amends the facts that differ.
Masses are `KGM` quantities to the gram.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from epcis import identifiers
from epcis.gs1 import canonical_digital_link, parse_trade_item
from epcis.mapping import COMMISSIONING, KGM, OWNING_PARTY, RECEIVING, SHIPPING, ext
from ledger.errors import DomainError, quoted
from ledger.events import (
    CUSTODY_TRANSFERRED,
    INGOTS_CAST,
    MELT_RECORDED,
    PARTS_PRODUCED,
    REQUIRED,
    SCRAP_RECEIVED,
)

GRAM = Decimal("0.001")


class Problems:
    """Field errors gathered over a whole document, raised at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}
        self.code: str | None = None
        self.status = 400

    def add(self, where: str, message: str, code: str = "unmappable", status: int = 400) -> None:
        self.errors.setdefault(where, []).append(message)
        if self.code is None:
            self.code, self.status = code, status

    def raise_any(self) -> None:
        if self.errors:
            where, messages = next(iter(self.errors.items()))
            more = len(self.errors) - 1
            detail = f"{where}: {messages[0]}"
            if more:
                detail += ngettext(" (and %(count)s more)", " (and %(count)s more)", more) % {"count": more}
            raise DomainError(self.code, detail, errors=self.errors, status=self.status)


class Refused(Exception):
    """One event cannot be read; `where` is the field."""

    def __init__(self, where: str, message: str, code: str = "unmappable") -> None:
        super().__init__(message)
        self.where, self.message, self.code = where, message, code


@dataclass
class Captured:
    """One remelt event read from EPCIS event `index`, and where each of its fields came from."""

    index: int
    type: str
    occurred_at: datetime
    data: dict
    paths: dict[str, str] = field(default_factory=dict)
    new_identifiers: dict[str, str] = field(default_factory=dict)  # code -> GS1 EPC URI
    quantities: dict[str, int] = field(default_factory=dict)  # transfers: code -> grams stated
    event_id: str | None = None
    declares: str | None = None  # the eventID an error declaration is about
    corrective: dict | None = None  # the corrective event of an amendment, and its index
    corrective_index: int | None = None

    def where(self, remelt_field: str) -> str:
        """The EPCIS field a remelt field path came from (or its closest parent)."""
        path = remelt_field
        while path:
            if path in self.paths:
                return self.paths[path]
            path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
        return self.paths.get("", f"epcisBody.eventList[{self.index}]")


class Reader:
    """Reads the events of one document for one posting organisation."""

    def __init__(self, organisation: Organisation, known_lot) -> None:
        self.organisation = organisation
        self.known_lot = known_lot  # URI -> code of an existing lot, or None
        self.declared_here: dict[str, str] = {}  # GS1 URI of a lot made earlier in the document -> code
        self.slugs = set(Organisation.objects.values_list("slug", flat=True))

    # -- values -------------------------------------------------------------------------------

    def grams(self, element: Mapping, where: str) -> str:
        if element.get("uom") != KGM:
            given = element.get("uom")
            raise Refused(
                f"{where}.uom",
                _("remelt records masses in kilograms: uom must be KGM, not %(uom)s") % {"uom": quoted(given)}
                if given is not None
                else _("remelt records masses in kilograms: give uom KGM"),
                code="uom",
            )
        quantity = element.get("quantity")
        if quantity is None:
            raise Refused(f"{where}.quantity", _("give the mass in KGM"))
        try:
            amount = Decimal(str(quantity))
        except InvalidOperation:
            raise Refused(f"{where}.quantity", _("not a number")) from None
        if amount != amount.quantize(GRAM):
            raise Refused(f"{where}.quantity", _("masses are to the gram: at most 3 decimals in KGM"))
        return f"{amount:.3f}"

    def existing_lot(self, uri: object, where: str) -> str:
        if not isinstance(uri, str):
            raise Refused(where, _("not an identifier"))
        for prefix in (identifiers.LOT, identifiers.SERIAL):
            code = identifiers.remelt_name(uri, prefix)
            if code is not None:
                return code
        code = self.declared_here.get(uri) or self.declared_here.get(canonical_digital_link(uri) or "")
        code = code or self.known_lot(uri)
        if code is None:
            raise Refused(where, _("no lot %(code)s") % {"code": quoted(uri)}, code="unknown_lot")
        return code

    def new_lot(self, uri: object, where: str, captured: Captured, *, serial: bool = False) -> str:
        """The code of a lot (or serial) the event makes, from its identifier."""
        if not isinstance(uri, str):
            raise Refused(where, _("not an identifier"))
        own = identifiers.remelt_name(uri, identifiers.SERIAL if serial else identifiers.LOT)
        if own is not None:
            return own
        key = parse_trade_item(uri)
        if key is None or (key.serial is None) != (not serial):
            message = (
                _("name new serials by urn:epc:id:sgtin:… or urn:remelt:serial:…")
                if serial
                else _("name new lots by urn:epc:class:lgtin:… or urn:remelt:lot:…")
            )
            raise Refused(where, message, code="unknown_identifier")
        prefix = self.organisation.gs1_company_prefix
        if key.company_prefix != prefix:
            values = {"uri": uri, "theirs": key.company_prefix, "yours": prefix}
            message = (
                _("%(uri)s is of GS1 company prefix %(theirs)s; your GS1 company prefix is %(yours)s")
                if prefix
                else _("%(uri)s is of GS1 company prefix %(theirs)s; register your GS1 company prefix first")
            )
            raise Refused(where, message % values, code="not_your_prefix")
        code = key.serial if serial else key.lot
        captured.new_identifiers[code] = uri
        self.declared_here[uri] = code
        link = canonical_digital_link(uri)
        if link:
            self.declared_here[link] = code
        return code

    @staticmethod
    def text(mapping: object, key: str, where: str, *, required: bool = True) -> str | None:
        value = mapping.get(key) if isinstance(mapping, Mapping) else None
        if value is None:
            if required:
                raise Refused(f"{where}.{key}", REQUIRED)
            return None
        if not isinstance(value, str):
            raise Refused(f"{where}.{key}", _("Not a valid string."))
        return value

    def party(self, entries: object, kind: str, where: str, *, required: bool) -> tuple[str, str] | None:
        """The owning party of a source or destination list, and its path."""
        owners = [
            (index, item)
            for index, item in enumerate(entries or [])
            if isinstance(item, Mapping) and item.get("type") == OWNING_PARTY
        ]
        if not owners:
            if required:
                raise Refused(where, _("give the %(kind)s as an owning_party") % {"kind": kind})
            return None
        if len(owners) > 1:
            raise Refused(where, _("one owning_party %(kind)s, please") % {"kind": kind})
        index, item = owners[0]
        return item[kind], f"{where}[{index}].{kind}"

    def organisation_slug(self, uri: str, where: str) -> str:
        slug = identifiers.remelt_name(uri, identifiers.ORG)
        if slug is None or slug not in self.slugs:
            raise Refused(
                where,
                _("no organisation %(uri)s (organisations are urn:remelt:org:<slug>)") % {"uri": quoted(uri)},
                code="unknown_organisation",
            )
        return slug

    def energy(self, event: Mapping, base: str, captured: Captured) -> dict:
        energy = event.get(ext("energy"))
        if energy is None:
            return {}
        if not isinstance(energy, Mapping):
            raise Refused(f"{base}.{ext('energy')}", _("must be an object"))
        captured.paths["data.energy"] = f"{base}.{ext('energy')}"
        out = {}
        for ours, theirs in (("electricity_kwh", "electricityKwh"), ("natural_gas_m3", "naturalGasM3")):
            if ext(theirs) in energy:
                out[ours] = energy[ext(theirs)]
                captured.paths[f"data.energy.{ours}"] = f"{base}.{ext('energy')}.{ext(theirs)}"
        return out

    def transport(self, event: Mapping, base: str, captured: Captured) -> dict:
        where = f"{base}.{ext('transport')}"
        transport = event.get(ext("transport"))
        if not isinstance(transport, Mapping):
            raise Refused(where, _("give the transport: {remelt:distanceKm, remelt:mode}"))
        captured.paths["data.transport"] = where
        captured.paths["data.transport.distance_km"] = f"{where}.{ext('distanceKm')}"
        captured.paths["data.transport.mode"] = f"{where}.{ext('mode')}"
        return {"distance_km": transport.get(ext("distanceKm")), "mode": transport.get(ext("mode"))}

    # -- events -------------------------------------------------------------------------------

    def read(self, index: int, event: Mapping) -> Captured:
        base = f"epcisBody.eventList[{index}]"
        kind = event.get("type")
        occurred_at = datetime.fromisoformat(event["eventTime"])
        captured = Captured(
            index=index, type="", occurred_at=occurred_at, data={}, event_id=event.get("eventID")
        )
        captured.paths.update({"": base, "occurred_at": f"{base}.eventTime", "type": f"{base}.type"})
        if kind == "ObjectEvent":
            action, step = event.get("action"), event.get("bizStep")
            if action == "ADD" and step == RECEIVING:
                self._receipt(event, base, captured)
            elif action == "OBSERVE" and step == SHIPPING:
                self._transfer(event, base, captured)
            else:
                raise Refused(
                    f"{base}.bizStep",
                    _(
                        "remelt reads ObjectEvents ADD with bizStep receiving (a scrap receipt) and OBSERVE "
                        "with bizStep shipping (a custody transfer)"
                    ),
                )
        elif kind == "TransformationEvent":
            self._transformation(event, base, captured)
        else:
            raise Refused(
                f"{base}.type",
                _("remelt reads ObjectEvents and TransformationEvents, not %(type)s")
                % {"type": quoted(kind)},
            )
        return captured

    def _receipt(self, event: Mapping, base: str, captured: Captured) -> None:
        quantities = event.get("quantityList") or []
        if len(quantities) != 1 or event.get("epcList"):
            raise Refused(
                f"{base}.quantityList", _("a receipt is one lot: one element in quantityList, no epcList")
            )
        where = f"{base}.quantityList[0]"
        code = self.new_lot(quantities[0].get("epcClass"), f"{where}.epcClass", captured)
        mass = self.grams(quantities[0], where)
        supplier_uri, supplier_where = self.party(
            event.get("sourceList"), "source", f"{base}.sourceList", required=True
        )
        # An organisation on remelt (urn:remelt:org:<slug>, which must be one) is `supplier`; any
        # other party (urn:remelt:party:<name>, or the partner's own URI) is `supplier_name`.
        slug = identifiers.remelt_name(supplier_uri, identifiers.ORG)
        if slug is not None:
            supplier = {"supplier": slug}
        else:
            supplier = {
                "supplier_name": identifiers.remelt_name(supplier_uri, identifiers.PARTY) or supplier_uri
            }
        self._check_receiver(event, base)
        ilmd = event.get("ilmd") or {}
        data = {
            "code": code,
            **supplier,
            "grade": self.text(ilmd, ext("grade"), f"{base}.ilmd"),
            "category": self.text(ilmd, ext("category"), f"{base}.ilmd"),
            "mass_kg": mass,
            "transport": self.transport(event, base, captured),
        }
        origin = self.text(ilmd, ext("origin"), f"{base}.ilmd", required=False)
        if origin is not None:
            data["origin"] = origin
        documents = event.get(ext("documents"))
        if documents is not None:
            data["documents"] = documents
        captured.type, captured.data = SCRAP_RECEIVED, data
        captured.paths.update(
            {
                "data.code": f"{where}.epcClass",
                "data.mass_kg": f"{where}.quantity",
                "data.supplier": supplier_where,
                "data.supplier_name": supplier_where,
                "data.grade": f"{base}.ilmd.{ext('grade')}",
                "data.category": f"{base}.ilmd.{ext('category')}",
                "data.origin": f"{base}.ilmd.{ext('origin')}",
                "data.documents": f"{base}.{ext('documents')}",
            }
        )

    def _check_receiver(self, event: Mapping, base: str) -> None:
        found = self.party(
            event.get("destinationList"), "destination", f"{base}.destinationList", required=False
        )
        if found and identifiers.remelt_name(found[0], identifiers.ORG) != self.organisation.slug:
            raise Refused(
                found[1],
                _("the organisation that receives is the one that posts: %(organisation)s")
                % {"organisation": identifiers.org_urn(self.organisation.slug)},
            )

    def _transfer(self, event: Mapping, base: str, captured: Captured) -> None:
        lots = []
        for position, uri in enumerate(event.get("epcList") or []):
            where = f"{base}.epcList[{position}]"
            captured.paths[f"data.lots[{len(lots)}]"] = where
            lots.append(self.existing_lot(uri, where))
        for position, element in enumerate(event.get("quantityList") or []):
            where = f"{base}.quantityList[{position}]"
            captured.paths[f"data.lots[{len(lots)}]"] = f"{where}.epcClass"
            code = self.existing_lot(element.get("epcClass"), f"{where}.epcClass")
            lots.append(code)
            if "quantity" in element or "uom" in element:
                captured.quantities[code] = int(self.grams(element, where).replace(".", ""))
                captured.paths[f"quantity:{code}"] = f"{where}.quantity"
        if not lots:
            raise Refused(
                f"{base}.epcList", _("name the lots that move: epcList (wheel hubs) or quantityList")
            )
        source = self.party(event.get("sourceList"), "source", f"{base}.sourceList", required=False)
        if source and identifiers.remelt_name(source[0], identifiers.ORG) != self.organisation.slug:
            raise Refused(source[1], _("the organisation that hands the lots over is the one that posts"))
        to_uri, to_where = self.party(
            event.get("destinationList"), "destination", f"{base}.destinationList", required=True
        )
        captured.type = CUSTODY_TRANSFERRED
        captured.data = {
            "lots": lots,
            "to": self.organisation_slug(to_uri, to_where),
            "transport": self.transport(event, base, captured),
        }
        captured.paths.update({"data.to": to_where, "data.lots": f"{base}.epcList"})

    def _inputs(self, event: Mapping, base: str, captured: Captured) -> tuple[list[dict], list[dict]]:
        if event.get("inputEPCList"):
            raise Refused(
                f"{base}.inputEPCList", _("remelt's steps consume lots (inputQuantityList), not serials")
            )
        inputs, additions = [], []
        for position, element in enumerate(event.get("inputQuantityList") or []):
            where = f"{base}.inputQuantityList[{position}]"
            uri = element.get("epcClass")
            material = identifiers.remelt_name(uri, identifiers.MATERIAL) if isinstance(uri, str) else None
            mass = self.grams(element, where)
            if material is not None:
                captured.paths[f"data.additions[{len(additions)}]"] = where
                captured.paths[f"data.additions[{len(additions)}].material"] = f"{where}.epcClass"
                captured.paths[f"data.additions[{len(additions)}].mass_kg"] = f"{where}.quantity"
                additions.append({"material": material, "mass_kg": mass})
            else:
                captured.paths[f"data.inputs[{len(inputs)}]"] = where
                captured.paths[f"data.inputs[{len(inputs)}].lot"] = f"{where}.epcClass"
                captured.paths[f"data.inputs[{len(inputs)}].mass_kg"] = f"{where}.quantity"
                inputs.append({"lot": self.existing_lot(uri, f"{where}.epcClass"), "mass_kg": mass})
        captured.paths["data.inputs"] = f"{base}.inputQuantityList"
        return inputs, additions

    def _footprints(self, event: Mapping, base: str, additions: list[dict], captured: Captured) -> None:
        """`remelt:footprints`: the additions (by position in inputQuantityList) that cite a
        supplier's PACT footprint, `urn:uuid:<id>` (method remelt-2)."""
        cited = event.get(ext("footprints"))
        if cited is None:
            return
        where = f"{base}.{ext('footprints')}"
        if not isinstance(cited, list):
            raise Refused(where, _("must be a list of {remelt:input, remelt:pfId}"))
        first = len(event.get("inputQuantityList") or []) - len(additions)  # additions follow the lots
        for index, item in enumerate(cited):
            at = f"{where}[{index}]"
            position = item.get(ext("input")) if isinstance(item, Mapping) else None
            if (
                not isinstance(position, int)
                or isinstance(position, bool)
                or not (first <= position < first + len(additions))
            ):
                raise Refused(f"{at}.{ext('input')}", _("the position of an addition in inputQuantityList"))
            pf_id = self.text(item, ext("pfId"), at)
            if not pf_id.startswith("urn:uuid:"):
                raise Refused(f"{at}.{ext('pfId')}", _("a PACT footprint id as urn:uuid:<id>"))
            addition = position - first
            additions[addition]["footprint"] = pf_id.removeprefix("urn:uuid:")
            captured.paths[f"data.additions[{addition}].footprint"] = f"{at}.{ext('pfId')}"

    def _transformation(self, event: Mapping, base: str, captured: Captured) -> None:
        inputs, additions = self._inputs(event, base, captured)
        ilmd = event.get("ilmd") or {}
        outputs = event.get("outputQuantityList") or []
        if event.get("outputEPCList") or event.get("bizStep") == COMMISSIONING:
            kind = PARTS_PRODUCED
        elif ext("lots") in ilmd:
            kind = INGOTS_CAST
        else:
            kind = MELT_RECORDED
        if additions and kind != MELT_RECORDED:
            raise Refused(captured.paths["data.additions[0]"], _("only a melt takes alloying additions"))
        energy = self.energy(event, base, captured)
        data: dict = {"inputs": inputs}
        if kind == MELT_RECORDED:
            if len(outputs) != 1:
                raise Refused(
                    f"{base}.outputQuantityList", _("a melt makes one lot: one element in outputQuantityList")
                )
            where = f"{base}.outputQuantityList[0]"
            data.update(
                {
                    "code": self.new_lot(outputs[0].get("epcClass"), f"{where}.epcClass", captured),
                    "furnace": self.text(event, ext("furnace"), base),
                    "additions": additions,
                    "output_mass_kg": self.grams(outputs[0], where),
                }
            )
            if event.get(ext("drossKg")) is not None:
                data["dross_kg"] = event[ext("drossKg")]
            self._footprints(event, base, additions, captured)
            captured.paths.update(
                {
                    "data.code": f"{where}.epcClass",
                    "data.output_mass_kg": f"{where}.quantity",
                    "data.furnace": f"{base}.{ext('furnace')}",
                    "data.dross_kg": f"{base}.{ext('drossKg')}",
                    "data.additions": f"{base}.inputQuantityList",
                }
            )
        elif kind == INGOTS_CAST:
            facts = self._per_lot(ilmd.get(ext("lots")), ext("lot"), f"{base}.ilmd.{ext('lots')}")
            data["outputs"] = []
            for position, element in enumerate(outputs):
                where = f"{base}.outputQuantityList[{position}]"
                uri = element.get("epcClass")
                code = self.new_lot(uri, f"{where}.epcClass", captured)
                if uri not in facts:
                    raise Refused(f"{base}.ilmd.{ext('lots')}", _("give the alloy of %(uri)s") % {"uri": uri})
                fact_index, fact = facts[uri]
                fact_where = f"{base}.ilmd.{ext('lots')}[{fact_index}]"
                chemistry = {}
                for c_index, item in enumerate(fact.get(ext("chemistry")) or []):
                    element_where = f"{fact_where}.{ext('chemistry')}[{c_index}]"
                    symbol = self.text(item, ext("element"), element_where)
                    chemistry[symbol] = item.get(ext("massPercent"))
                    captured.paths[f"data.outputs[{position}].chemistry.{symbol}"] = (
                        f"{element_where}.{ext('massPercent')}"
                    )
                data["outputs"].append(
                    {
                        "code": code,
                        "mass_kg": self.grams(element, where),
                        "alloy": self.text(fact, ext("alloy"), fact_where),
                        "chemistry": chemistry,
                    }
                )
                captured.paths.update(
                    {
                        f"data.outputs[{position}]": where,
                        f"data.outputs[{position}].code": f"{where}.epcClass",
                        f"data.outputs[{position}].mass_kg": f"{where}.quantity",
                        f"data.outputs[{position}].alloy": f"{fact_where}.{ext('alloy')}",
                        f"data.outputs[{position}].chemistry": f"{fact_where}.{ext('chemistry')}",
                    }
                )
            captured.paths["data.outputs"] = f"{base}.outputQuantityList"
        else:
            facts = self._per_lot(ilmd.get(ext("parts")), ext("serial"), f"{base}.ilmd.{ext('parts')}")
            data["parts"] = []
            for position, uri in enumerate(event.get("outputEPCList") or []):
                where = f"{base}.outputEPCList[{position}]"
                serial = self.new_lot(uri, where, captured, serial=True)
                if uri not in facts:
                    raise Refused(
                        f"{base}.ilmd.{ext('parts')}",
                        _("give the mass and part number of %(uri)s") % {"uri": uri},
                    )
                fact_index, fact = facts[uri]
                fact_where = f"{base}.ilmd.{ext('parts')}[{fact_index}]"
                data["parts"].append(
                    {
                        "serial": serial,
                        "mass_kg": fact.get(ext("massKg")),
                        "part_number": fact.get(ext("partNumber")),
                    }
                )
                captured.paths.update(
                    {
                        f"data.parts[{position}]": where,
                        f"data.parts[{position}].serial": where,
                        f"data.parts[{position}].mass_kg": f"{fact_where}.{ext('massKg')}",
                        f"data.parts[{position}].part_number": f"{fact_where}.{ext('partNumber')}",
                    }
                )
            captured.paths["data.parts"] = f"{base}.outputEPCList"
            if len(outputs) > 1:
                raise Refused(
                    f"{base}.outputQuantityList", _("a part run returns at most one internal scrap lot")
                )
            if outputs:
                where = f"{base}.outputQuantityList[0]"
                scrap = ilmd.get(ext("internalScrap")) or {}
                data["internal_scrap"] = {
                    "code": self.new_lot(outputs[0].get("epcClass"), f"{where}.epcClass", captured),
                    "mass_kg": self.grams(outputs[0], where),
                }
                grade = self.text(scrap, ext("grade"), f"{base}.ilmd.{ext('internalScrap')}", required=False)
                if grade is not None:
                    data["internal_scrap"]["grade"] = grade
                captured.paths.update(
                    {
                        "data.internal_scrap": where,
                        "data.internal_scrap.code": f"{where}.epcClass",
                        "data.internal_scrap.mass_kg": f"{where}.quantity",
                        "data.internal_scrap.grade": f"{base}.ilmd.{ext('internalScrap')}.{ext('grade')}",
                    }
                )
        if energy:
            data["energy"] = energy
        captured.type, captured.data = kind, data

    @staticmethod
    def _per_lot(items: object, key: str, where: str) -> dict[str, tuple[int, Mapping]]:
        if not isinstance(items, list):
            raise Refused(where, _("must be a list"))
        found = {}
        for index, item in enumerate(items):
            if not isinstance(item, Mapping) or not isinstance(item.get(key), str):
                raise Refused(f"{where}[{index}].{key}", REQUIRED)
            found[item[key]] = (index, item)
        return found
