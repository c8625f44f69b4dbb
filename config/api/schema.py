"""OpenAPI post-processing: problem+json on every operation (with the rules an operation names
in its 400), the languages of its messages, required request bodies, and events posted one or
many."""

from ledger.api.serializers import MAX_BATCH

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail", "code", "errors"],
    "properties": {
        "type": {"type": "string", "description": "urn:remelt:problem:<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine name, e.g. overdrawn, not_owner."},
        "errors": {
            "type": "object",
            "description": "Messages by field path, e.g. `[2].data.inputs[0].mass_kg`.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
ERRORS = {
    "400": "Invalid request or broken rule; `errors` names the fields.",
    "401": "No credentials, or an unknown or revoked key.",
    "404": "No such resource, or one you may not see.",
    "409": "Conflict with the record (e.g. overdrawn lot, reused idempotency key).",
    "413": "Request body too large.",
    "429": "Too many requests for this key; see Retry-After.",
    "default": "Any other error, as problem+json.",
}
WRITE_ONLY = {"409", "413"}
# An operation's rules that a schema cannot say, as `extend_schema(extensions=rules(code=when))`:
# its 400 response names them, each with when it is broken.
RULES = "x-remelt-rules"


def rules(**codes: str) -> dict:
    """The extension naming an operation's 400 rule codes (see RULES)."""
    return {RULES: codes}


# Problems' `title` and `detail` and the `errors` messages follow Accept-Language; nothing else does.
ACCEPT_LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": (
        "The language of a problem's `title`, `detail` and `errors` messages: `zh-Hans` (Simplified "
        "Chinese) or `en` (English, the default), with q-values as RFC 9110 has them. `code`, `type`, "
        "field paths, JSON keys, lot codes, serials and figures never change with the language."
    ),
    "schema": {"type": "string", "example": "zh-Hans"},
}
CONTENT_LANGUAGE = {
    "Content-Language": {
        "description": "The language of the answer's messages: `zh-hans` or `en-gb`.",
        "schema": {"type": "string", "enum": ["en-gb", "zh-hans"]},
    }
}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def add_problems(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "Accept-Language" and p.get("in") == "header" for p in parameters):
                parameters.append(ACCEPT_LANGUAGE)
            if "requestBody" in operation:  # every body we take is one we need
                operation["requestBody"]["required"] = True
            broken = operation.pop(RULES, {})
            if broken:
                named = "; ".join(f"`{code}`: {when}" for code, when in broken.items())
                operation["responses"]["400"] = _problem(f"{ERRORS['400']} Rules, by `code`: {named}.")
            for code, description in ERRORS.items():
                if code in WRITE_ONLY and method not in ("post", "put", "patch"):
                    continue
                operation["responses"].setdefault(code, _problem(description))
            if operation.get("operationId") == "events_create":
                _one_or_many(operation)
                operation["responses"].setdefault(
                    "403", _problem("`role_not_allowed`: none of your roles may post the event's type.")
                )
            for response in operation["responses"].values():
                if isinstance(response, dict) and "$ref" not in response:
                    response.setdefault("headers", {}).update(CONTENT_LANGUAGE)
    return result


def _one_or_many(operation: dict) -> None:
    for media in operation.get("requestBody", {}).get("content", {}).values():
        one = media["schema"]
        media["schema"] = {
            "oneOf": [one, {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_BATCH}]
        }
