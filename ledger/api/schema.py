"""OpenAPI post-processing for the ledger: the payload schemas declared in `ledger.shapes`."""

from ledger.shapes import component_schemas


def add_event_payloads(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: each event type's payload schema (the event
    serializers refer to them by `$ref`) and the named parts they share."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(component_schemas())
    return result
