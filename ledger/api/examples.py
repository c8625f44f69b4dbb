"""Example requests for the OpenAPI documentation: one per event type (its declaration's example,
ledger.shapes), and a batch."""

from drf_spectacular.utils import OpenApiExample

from ledger import events
from ledger.shapes import EVENTS, declared_elsewhere

WHEN = "2026-11-02T07:30:00Z"
EVENT_EXAMPLES = {entry_type: event.example for entry_type, event in EVENTS.items()}


def request_examples() -> list[OpenApiExample]:
    examples = [
        OpenApiExample(
            entry_type,
            summary=f"one {entry_type} event",
            value={"type": entry_type, "occurred_at": WHEN, "data": data},
            request_only=True,
        )
        for entry_type, data in (
            *EVENT_EXAMPLES.items(),
            *((entry_type, event.example) for entry_type, event in declared_elsewhere().items()),
        )
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
