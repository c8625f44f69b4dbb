"""remelt's PACT DataModelExtension: what PACT's data model lacks for a remelt footprint, and
the JSON Schema (draft 2020-12) that remelt serves for it at `documents.EXTENSION_PATH`."""

DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
SHARE = {
    "type": "string",
    "pattern": r"^(0(\.\d+)?|1(\.0+)?)$",
    "description": "a fraction of the mass, 0 to 1",
}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
STAGES = ("scrap_transport", "alloying", "melting", "casting", "part_production", "transport")


def schema(base_url: str, path: str) -> dict:
    """The extension's JSON Schema, its `$id` the URL it is served at."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base_url + path,
        "title": "remelt material passport (PACT DataModelExtension data)",
        "description": (
            "Recycled content, the footprint by stage, the carbon method and factor set, and the ledger "
            "anchor of a remelt footprint, so that a PACT data recipient can check the number against "
            "remelt's signed, hash-chained ledger (see the passport and evidence URLs)."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": [
            "method",
            "factorSet",
            "ledgerSeq",
            "perKgCO2eAtGate",
            "stages",
            "recycledContent",
            "anchor",
            "passportUrl",
            "evidenceUrl",
        ],
        "properties": {
            "method": {"type": "string", "description": "remelt carbon method version, e.g. remelt-1"},
            "factorSet": {"type": "string", "description": "emission factor set version, e.g. cn-2026.1"},
            "ledgerSeq": {"type": "integer", "minimum": 1, "description": "ledger position computed at"},
            "perKgCO2eAtGate": {**DECIMAL, "description": "kg CO2e per kg of product at the maker's gate"},
            "outboundPerKgCO2e": {**DECIMAL, "description": "kg CO2e per kg of transport to the holder"},
            "stages": {
                "type": "object",
                "description": "kg CO2e per declared unit at the maker's gate, by stage",
                "additionalProperties": False,
                "required": list(STAGES),
                "properties": {stage: DECIMAL for stage in STAGES},
            },
            "recycledContent": {
                "type": "object",
                "additionalProperties": False,
                "required": ["postConsumer", "preConsumer", "standard"],
                "properties": {
                    "postConsumer": SHARE,
                    "preConsumer": SHARE,
                    "standard": {"const": "ISO 14021"},
                },
            },
            "productionRun": {
                "type": "object",
                "additionalProperties": False,
                "required": ["seq", "entryHash"],
                "properties": {"seq": {"type": "integer", "minimum": 1}, "entryHash": HEX64},
            },
            "lot": {"type": "string", "description": "the ingot lot's code"},
            "anchor": {
                "type": "object",
                "description": "a footprint version this ProductFootprint was made from, and where the "
                "ledger commits to it: the footprint.computed entry, and a signed checkpoint holding it",
                "additionalProperties": False,
                "required": [
                    "lot",
                    "footprintVersion",
                    "footprintDigest",
                    "anchorSeq",
                    "anchorHash",
                    "checkpointSize",
                ],
                "properties": {
                    "lot": {"type": "string", "description": "serial of a part (or code of the ingot lot)"},
                    "footprintVersion": {"type": "integer", "minimum": 1},
                    "footprintDigest": {**HEX64, "description": "SHA-256 of the footprint's RFC 8785 bytes"},
                    "anchorSeq": {"type": "integer", "minimum": 1},
                    "anchorHash": HEX64,
                    "checkpointSize": {"type": ["integer", "null"], "minimum": 1},
                },
            },
            "passportUrl": {"type": "string", "format": "uri"},
            "evidenceUrl": {"type": "string", "format": "uri"},
        },
        "oneOf": [{"required": ["productionRun"]}, {"required": ["lot"]}],
    }
