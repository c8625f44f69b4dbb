"""Ledger entries as EPCIS 2.0 events (INTEROP.md §3).

- `scrap.received`: ObjectEvent ADD, bizStep `receiving`; the new lot in `quantityList`, supplier
  and receiver as owning parties, grade, category and origin in `ilmd`.
- `melt.recorded`: TransformationEvent, `creating_class_instance`; the lots and additions consumed
  in `inputQuantityList`, the melt in `outputQuantityList`.
- `ingots.cast`: TransformationEvent, `creating_class_instance`; the melts in, the ingot lots out,
  alloy and chemistry per lot in `ilmd`.
- `parts.produced`: TransformationEvent, `commissioning`; ingots or melts in, the serials in
  `outputEPCList`, internal scrap in `outputQuantityList`, mass and part number per serial in `ilmd`.
- `custody.transferred`: ObjectEvent OBSERVE, `shipping`; wheel hubs in `epcList`, other lots with
  the mass that moved in `quantityList`, both organisations as owning parties.
- `lot.amended`: the event of the entry it corrects, as it stood, with an `errorDeclaration`
  (`incorrect_data`, `correctiveEventIDs`), then the corrected event.
- `entry.voided`: the event of the entry it withdraws with an `errorDeclaration` (`did_not_occur`).

Masses are `KGM` quantities, exact to the gram (JSON numbers with at most 3 decimals). What
EPCIS has no field for (transport, energy, furnace, dross, documents) is in extensions of the
namespace `urn:remelt:epcis:` (prefix `remelt`), and every event carries `remelt:ledger` with the
`seq` and `hash` of the ledger entry it shows. A corrected event carries the amendment's; an
error declaration keeps the declared event as it was (same `eventID`) and names the entry that
declared it inside `errorDeclaration`. `eventID` is the CBV 2.0 event hash of the event.
"""

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from epcis import identifiers
from epcis.eventhash import event_hash
from ledger.events import (
    CUSTODY_TRANSFERRED,
    ENTRY_VOIDED,
    INGOTS_CAST,
    LOT_AMENDED,
    MELT_RECORDED,
    PARTS_PRODUCED,
    SCRAP_RECEIVED,
)
from ledger.quantities import parse_mass

NAMESPACE = "urn:remelt:epcis:"
PREFIX = "remelt"
NAMESPACES = {PREFIX: NAMESPACE}
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {PREFIX: NAMESPACE}]
KGM = "KGM"
RECEIVING, SHIPPING, CREATING, COMMISSIONING = (
    "receiving",
    "shipping",
    "creating_class_instance",
    "commissioning",
)
OWNING_PARTY = "owning_party"
MAKING = (SCRAP_RECEIVED, MELT_RECORDED, INGOTS_CAST, PARTS_PRODUCED)


def ext(name: str) -> str:
    """An extension member's name: `remelt:<name>`."""
    return f"{PREFIX}:{name}"


@dataclass(frozen=True)
class LedgerEntry:
    """What the mapping reads of an entry: its header fields and its payload."""

    seq: int
    hash: str
    type: str
    org: str | None
    occurred_at: datetime
    recorded_at: datetime
    data: dict


@dataclass(frozen=True)
class Names:
    """How the lots and parties of an entry are written (see epcis.identifiers).

    `lot(code)` is a lot's identifier, `is_part(code)` says whether it is a wheel hub (an EPC
    instance rather than a quantity of a class), `party(supplier)` is a supplier's URI, and
    `transferred(seq)` the grams each lot of a custody transfer moved."""

    lot: Callable[[str], str]
    is_part: Callable[[str], bool]
    party: Callable[[str], str]
    transferred: Callable[[int], dict[str, int]]


def time_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def kg_number(grams: int) -> int | float:
    """Grams as a KGM quantity: a JSON number with at most 3 decimals. Masses have at most 13
    significant digits (ledger.quantities), so the float is exactly the decimal it prints as."""
    if grams % 1000 == 0:
        return grams // 1000
    return float(Decimal(grams) / 1000)


def _grams(kg: str) -> int:
    return parse_mass(kg, "mass_kg", allow_zero=True)


def _quantity(uri: str, grams: int) -> dict:
    return {"epcClass": uri, "quantity": kg_number(grams), "uom": KGM}


def _head(event_type: str, entry: LedgerEntry, anchor: LedgerEntry) -> dict:
    return {
        "type": event_type,
        "eventTime": time_text(entry.occurred_at),
        "recordTime": time_text(anchor.recorded_at),
        "eventTimeZoneOffset": "+00:00",
    }


def _ledger(anchor: LedgerEntry) -> dict:
    return {ext("seq"): anchor.seq, ext("hash"): anchor.hash}


def _energy(energy: Mapping) -> dict:
    return {
        ext("electricityKwh"): energy["electricity_kwh"],
        ext("naturalGasM3"): energy["natural_gas_m3"],
    }


def _transport(transport: Mapping) -> dict:
    return {ext("distanceKm"): transport["distance_km"], ext("mode"): transport["mode"]}


def _owning(kind: str, uri: str) -> list[dict]:
    return [{"type": OWNING_PARTY, kind: uri}]


def _inputs(data: Mapping, names: Names) -> list[dict]:
    return [_quantity(names.lot(item["lot"]), _grams(item["mass_kg"])) for item in data["inputs"]]


def content_hash(event: Mapping) -> str:
    """The event hash of what an event says, without the ledger entry that shows it: the same
    for one event recorded in two ledgers (or declared in an error declaration)."""
    content = {key: value for key, value in event.items() if key != ext("ledger")}
    return event_hash(content, NAMESPACES)


def _finish(event: dict, anchor: LedgerEntry) -> dict:
    event[ext("ledger")] = _ledger(anchor)
    event_id = event_hash(event, NAMESPACES)
    return {"type": event.pop("type"), "eventID": event_id, **event}


def _supplier(data: Mapping, names: Names) -> str:
    """A receipt's supplier: an organisation on remelt, or a party that is not (`supplier_name`).
    Receipts recorded before the two fields have `supplier` only, which names either."""
    if "supplier_name" in data:
        return identifiers.party_urn(data["supplier_name"])
    return names.party(data["supplier"])


def making_event(entry: LedgerEntry, data: Mapping, names: Names, anchor: LedgerEntry | None = None) -> dict:
    """The event of a receipt, melt, cast or part run, with the payload `data` (the entry's own
    or as amended since) and the ledger anchor `anchor` (the entry itself, or the amendment)."""
    anchor = anchor or entry
    if entry.type == SCRAP_RECEIVED:
        event = _head("ObjectEvent", entry, anchor)
        ilmd = {ext("grade"): data["grade"], ext("category"): data["category"]}
        if data.get("origin"):
            ilmd[ext("origin")] = data["origin"]
        event.update(
            {
                "quantityList": [_quantity(names.lot(data["code"]), _grams(data["mass_kg"]))],
                "action": "ADD",
                "bizStep": RECEIVING,
                "sourceList": _owning("source", _supplier(data, names)),
                "destinationList": _owning("destination", identifiers.org_urn(entry.org)),
                "ilmd": ilmd,
                ext("transport"): _transport(data["transport"]),
            }
        )
        if data.get("documents"):
            event[ext("documents")] = list(data["documents"])
        return _finish(event, anchor)
    event = _head("TransformationEvent", entry, anchor)
    inputs = _inputs(data, names)
    if entry.type == MELT_RECORDED:
        additions = [
            _quantity(identifiers.material_urn(item["material"]), _grams(item["mass_kg"]))
            for item in data["additions"]
        ]
        event.update(
            {
                "inputQuantityList": inputs + additions,
                "outputQuantityList": [_quantity(names.lot(data["code"]), _grams(data["output_mass_kg"]))],
                "bizStep": CREATING,
                ext("furnace"): data["furnace"],
                ext("drossKg"): data["dross_kg"],
            }
        )
        cited = [
            {ext("input"): len(inputs) + position, ext("pfId"): f"urn:uuid:{item['footprint']}"}
            for position, item in enumerate(data["additions"])
            if "footprint" in item
        ]
        if cited:  # method remelt-2: additions priced by a supplier's PACT footprint
            event[ext("footprints")] = cited
    elif entry.type == INGOTS_CAST:
        lots = []
        for item in data["outputs"]:
            chemistry = [
                {ext("element"): element, ext("massPercent"): share}
                for element, share in item["chemistry"].items()
            ]
            lots.append(
                {
                    ext("lot"): names.lot(item["code"]),
                    ext("alloy"): item["alloy"],
                    ext("chemistry"): chemistry,
                }
            )
        event.update(
            {
                "inputQuantityList": inputs,
                "outputQuantityList": [
                    _quantity(names.lot(item["code"]), _grams(item["mass_kg"])) for item in data["outputs"]
                ],
                "bizStep": CREATING,
                "ilmd": {ext("lots"): lots},
            }
        )
    elif entry.type == PARTS_PRODUCED:
        parts = [
            {
                ext("serial"): names.lot(p["serial"]),
                ext("massKg"): p["mass_kg"],
                ext("partNumber"): p["part_number"],
            }
            for p in data["parts"]
        ]
        ilmd = {ext("parts"): parts}
        event.update({"inputQuantityList": inputs, "outputEPCList": [p[ext("serial")] for p in parts]})
        scrap = data.get("internal_scrap")
        if scrap:
            event["outputQuantityList"] = [_quantity(names.lot(scrap["code"]), _grams(scrap["mass_kg"]))]
            ilmd[ext("internalScrap")] = {ext("lot"): names.lot(scrap["code"]), ext("grade"): scrap["grade"]}
        event.update({"bizStep": COMMISSIONING, "ilmd": ilmd})
    else:
        raise ValueError(f"{entry.type} does not make lots")
    event[ext("energy")] = _energy(data["energy"])
    return _finish(event, anchor)


def transfer_event(entry: LedgerEntry, names: Names) -> dict:
    """A custody transfer: what moved, from whom to whom."""
    moved = names.transferred(entry.seq)
    codes = entry.data["lots"]
    event = _head("ObjectEvent", entry, entry)
    parts = [names.lot(code) for code in codes if names.is_part(code)]
    lots = [_quantity(names.lot(code), moved[code]) for code in codes if not names.is_part(code)]
    if parts:
        event["epcList"] = parts
    if lots:
        event["quantityList"] = lots
    event.update(
        {
            "action": "OBSERVE",
            "bizStep": SHIPPING,
            "sourceList": _owning("source", identifiers.org_urn(entry.org)),
            "destinationList": _owning("destination", identifiers.org_urn(entry.data["to"])),
            ext("transport"): _transport(entry.data["transport"]),
        }
    )
    return _finish(event, entry)


def amended(making_type: str, data: Mapping, amendment: Mapping) -> dict:
    """The payload of a making entry with an amendment's corrected facts applied."""
    data = copy.deepcopy(dict(data))
    lot = amendment["lot"]
    for key, value in amendment.items():
        if key in ("lot", "reason"):
            continue
        if key in ("energy", "additions", "transport") or making_type == SCRAP_RECEIVED:
            data[key] = copy.deepcopy(value)
        elif making_type == INGOTS_CAST:  # alloy, chemistry of the named ingot lot (if shown)
            for item in data["outputs"]:
                if item["code"] == lot:
                    item[key] = copy.deepcopy(value)
        elif key == "part_number":
            for item in data["parts"]:
                if item["serial"] == lot:
                    item[key] = value
        elif data.get("internal_scrap"):  # grade of a run's internal scrap
            data["internal_scrap"][key] = value
    return data


@dataclass(frozen=True)
class History:
    """A making entry and the amendments of it recorded before the entry being mapped."""

    making: LedgerEntry
    amendments: list[LedgerEntry]

    def versions(self, names: Names) -> list[dict]:
        """The making event as first recorded and after each amendment, in order."""
        data = self.making.data
        events = [making_event(self.making, data, names)]
        for amendment in self.amendments:
            data = amended(self.making.type, data, amendment.data)
            events.append(making_event(self.making, data, names, anchor=amendment))
        return events


def _declared(event: dict, declaring: LedgerEntry, reason: str, **extra) -> dict:
    declared = copy.deepcopy(event)
    declared["recordTime"] = time_text(declaring.recorded_at)
    declared["errorDeclaration"] = {
        "declarationTime": time_text(declaring.occurred_at),
        "reason": reason,
        **extra,
        ext("reason"): declaring.data["reason"],
        ext("ledger"): _ledger(declaring),
    }
    return declared


def entry_events(
    entry: LedgerEntry, names: Names, history: Callable[[int], "History | LedgerEntry"]
) -> list[dict]:
    """The EPCIS events that show one ledger entry (none for entries outside the material record).

    `history(seq)` is what an amendment or void applies to: the `History` of a making entry up to
    this entry, or the custody transfer's entry (None: nothing of it is shown, nor the correction)."""
    if entry.type in MAKING:
        return [making_event(entry, entry.data, names)]
    if entry.type == CUSTODY_TRANSFERRED:
        return [transfer_event(entry, names)]
    target = history(entry.seq) if entry.type in (LOT_AMENDED, ENTRY_VOIDED) else None
    if entry.type in (LOT_AMENDED, ENTRY_VOIDED) and target is None:
        return []
    if entry.type == LOT_AMENDED:
        versions = target.versions(names)
        before, after = versions[-2], versions[-1]
        declared = _declared(
            before,
            entry,
            "incorrect_data",
            correctiveEventIDs=[after["eventID"]],
            **{ext("lot"): names.lot(entry.data["lot"])},
        )
        return [declared, after]
    if entry.type == ENTRY_VOIDED:
        event = target.versions(names)[-1] if isinstance(target, History) else transfer_event(target, names)
        return [_declared(event, entry, "did_not_occur")]
    return []
