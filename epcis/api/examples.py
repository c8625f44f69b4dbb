"""OpenAPI examples: one event of each kind, made by the mapping itself from sample entries (so
the examples are what remelt writes, never a second copy of it)."""

from datetime import UTC, datetime

from drf_spectacular.utils import OpenApiExample

from epcis import identifiers
from epcis.documents import epcis_document, query_document
from epcis.mapping import History, LedgerEntry, Names, entry_events
from ledger.events import (
    CUSTODY_TRANSFERRED,
    ENTRY_VOIDED,
    INGOTS_CAST,
    LOT_AMENDED,
    MELT_RECORDED,
    PARTS_PRODUCED,
    SCRAP_RECEIVED,
)

MEDIA_TYPE = "application/ld+json"
_WHEN = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
_TRUCK = {"distance_km": "180.000", "mode": "truck"}
_ENERGY = {"electricity_kwh": "1200.000", "natural_gas_m3": "850.000"}


def _entry(seq: int, entry_type: str, org: str, data: dict) -> LedgerEntry:
    return LedgerEntry(
        seq=seq, hash=f"{seq:064x}", type=entry_type, org=org, occurred_at=_WHEN, recorded_at=_WHEN, data=data
    )


_RECEIPT = _entry(
    1,
    SCRAP_RECEIVED,
    "huanan-recycling",
    {"code": "SCR-2026-000001", "supplier": "guangfa-scrap", "grade": "ISRI Tense",
     "category": "post_consumer", "mass_kg": "18250.500", "origin": "Foshan", "transport": _TRUCK,
     "documents": ["WB-2026-7781"]},
)  # fmt: skip
_MELT = _entry(
    2,
    MELT_RECORDED,
    "huanan-recycling",
    {"code": "MLT-2026-000001", "furnace": "TC-65",
     "inputs": [{"lot": "SCR-2026-000001", "mass_kg": "18000.000"}],
     "additions": [{"material": "silicon", "mass_kg": "1250.500"}], "energy": _ENERGY,
     "output_mass_kg": "18700.000", "dross_kg": "450.000"},
)  # fmt: skip
_CAST = _entry(
    3,
    INGOTS_CAST,
    "huanan-recycling",
    {"inputs": [{"lot": "MLT-2026-000001", "mass_kg": "18600.000"}], "energy": _ENERGY,
     "outputs": [{"code": "ING-2026-000001", "mass_kg": "18500.000", "alloy": "A356.2",
                  "chemistry": {"Si": "7.0500", "Mg": "0.3200"}}]},
)  # fmt: skip
_RUN = _entry(
    4,
    PARTS_PRODUCED,
    "zhongyuan-wheels",
    {"inputs": [{"lot": "ING-2026-000001", "mass_kg": "600.000"}], "energy": _ENERGY,
     "parts": [{"serial": "ZY261101000042", "mass_kg": "19.800", "part_number": "AF-18-7J"}],
     "internal_scrap": {"code": "SCR-2026-000002", "mass_kg": "560.000",
                        "grade": "chips, gates and rejects"}},
)  # fmt: skip
_TRANSFER = _entry(
    5,
    CUSTODY_TRANSFERRED,
    "zhongyuan-wheels",
    {"lots": ["ZY261101000042"], "to": "autofab", "transport": _TRUCK},
)
_AMENDMENT = _entry(
    6,
    LOT_AMENDED,
    "huanan-recycling",
    {"lot": "SCR-2026-000001", "reason": "weighbridge grade", "grade": "ISRI Taint/Tabor"},
)
_VOID = _entry(7, ENTRY_VOIDED, "zhongyuan-wheels", {"seq": 5, "reason": "truck did not leave"})

_SERIALS = {"ZY261101000042"}
_NAMES = Names(
    lot=lambda code: identifiers.serial_urn(code) if code in _SERIALS else identifiers.lot_urn(code),
    is_part=lambda code: code in _SERIALS,
    party=identifiers.org_urn,
    transferred=lambda seq: {},
)
_HISTORY = {6: History(making=_RECEIPT, amendments=[_AMENDMENT]), 7: _TRANSFER}


def _events(entry: LedgerEntry) -> list[dict]:
    return entry_events(entry, _NAMES, _HISTORY.get)


_KINDS = [
    ("scrap_received", "A scrap receipt", _RECEIPT),
    ("melt", "A melt: lots and additions in, the melt out, in KGM", _MELT),
    ("cast", "A cast: a melt in, ingot lots out with alloy and chemistry", _CAST),
    ("part_run", "A part run: serials commissioned, internal scrap returned", _RUN),
    ("custody", "A custody transfer", _TRANSFER),
    ("amendment", "An amendment: the receipt declared incorrect, and the corrected receipt", _AMENDMENT),
    ("void", "A void: the transfer declared as not having occurred", _VOID),
]
_NOW = datetime(2026, 11, 21, tzinfo=UTC)

QUERY_EXAMPLES = [
    OpenApiExample(
        name, summary=summary, value=query_document(_events(entry), now=_NOW), media_type=MEDIA_TYPE
    )
    for name, summary, entry in _KINDS
]
TRACE_EXAMPLES = [
    OpenApiExample(
        "trace",
        summary="Up from an ingot lot",
        value=epcis_document(_events(_RECEIPT) + _events(_MELT) + _events(_CAST), now=_NOW),
        media_type=MEDIA_TYPE,
    )
]
CAPTURE_EXAMPLES = [
    OpenApiExample(
        f"capture_{name}",
        summary=summary,
        value=epcis_document(_events(entry), now=_NOW),
        request_only=True,
        media_type=MEDIA_TYPE,
    )
    for name, summary, entry in _KINDS
]
