"""Example requests for the OpenAPI documentation: one per event type, and a batch."""

from drf_spectacular.utils import OpenApiExample

from ledger import events

TRUCK = {"distance_km": "180", "mode": "truck"}
WHEN = "2026-11-02T07:30:00Z"

EVENT_EXAMPLES = {
    events.SCRAP_RECEIVED: {
        "code": "SCR-2026-000123",
        "supplier": "scrapco",
        "grade": "wheels",
        "category": "post_consumer",
        "mass_kg": "24850.500",
        "origin": "Foshan",
        "transport": TRUCK,
        "documents": ["WB-2026-7781"],
    },
    events.MELT_RECORDED: {
        "code": "MLT-2026-000045",
        "furnace": "TC-65",
        "inputs": [{"lot": "SCR-2026-000123", "mass_kg": "24850.500"}],
        "additions": [{"material": "silicon", "mass_kg": "120"}],
        "energy": {"natural_gas_m3": "2100", "electricity_kwh": "850"},
        "output_mass_kg": "23900",
        "dross_kg": "820",
    },
    events.INGOTS_CAST: {
        "inputs": [{"lot": "MLT-2026-000045", "mass_kg": "23900"}],
        "outputs": [
            {"code": "ING-2026-000210", "mass_kg": "11900", "alloy": "A356.2", "chemistry": {"Si": "7.05"}},
            {"code": "ING-2026-000211", "mass_kg": "11850", "alloy": "A356.2"},
        ],
        "energy": {"electricity_kwh": "300"},
    },
    events.PARTS_PRODUCED: {
        "inputs": [{"lot": "ING-2026-000210", "mass_kg": "1200"}],
        "parts": [
            {"serial": "WH-7731-000001", "mass_kg": "11.250", "part_number": "AF-18-7731"},
            {"serial": "WH-7731-000002", "mass_kg": "11.240", "part_number": "AF-18-7731"},
        ],
        "internal_scrap": {"code": "SCR-WW-000087", "mass_kg": "310"},
        "energy": {"electricity_kwh": "1450", "natural_gas_m3": "95"},
    },
    events.CUSTODY_TRANSFERRED: {
        "lots": ["WH-7731-000001", "WH-7731-000002"],
        "to": "autofab",
        "transport": {"distance_km": "640", "mode": "rail"},
    },
    events.LOT_AMENDED: {
        "lot": "SCR-2026-000123",
        "reason": "weighbridge ticket re-read",
        "grade": "ISRI Tense",
    },
    events.ENTRY_VOIDED: {"seq": 1042, "reason": "posted twice by the weighbridge"},
}


def request_examples() -> list[OpenApiExample]:
    examples = [
        OpenApiExample(
            entry_type,
            summary=f"one {entry_type} event",
            value={"type": entry_type, "occurred_at": WHEN, "data": data},
            request_only=True,
        )
        for entry_type, data in EVENT_EXAMPLES.items()
    ]
    examples.append(
        OpenApiExample(
            "batch",
            summary="a batch: all or nothing",
            value=[
                {
                    "type": events.SCRAP_RECEIVED,
                    "occurred_at": WHEN,
                    "data": EVENT_EXAMPLES[events.SCRAP_RECEIVED],
                },
                {
                    "type": events.MELT_RECORDED,
                    "occurred_at": WHEN,
                    "data": EVENT_EXAMPLES[events.MELT_RECORDED],
                },
            ],
            request_only=True,
        )
    )
    return examples


RECORDED_EXAMPLE = OpenApiExample(
    "recorded",
    response_only=True,
    status_codes=["201"],
    value={
        "entries": [
            {
                "seq": 1043,
                "hash": "bd569fdc0f9a4023fda4f129fb0b9adc5163ec3c07c74f6e8206fcc074f10a51",
                "prev_hash": "a696129706acc9001393f10022aa167b891d592d044cf4c14bd1810d9e442601",
                "type": events.SCRAP_RECEIVED,
                "occurred_at": WHEN,
                "recorded_at": "2026-11-02T07:30:01.204518Z",
                "lots": ["SCR-2026-000123"],
            }
        ]
    },
)
