"""The API's JSON parser: refuses text the database cannot store, and nesting deeper than any
document we read, before anything reads it."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Events nest four levels, EPCIS documents about ten. Much deeper JSON would exhaust Python's
# recursion in the decoder, the canonical encoder or the hasher (RecursionError, a 500).
MAX_DEPTH = 64


class UnstorableText(ParseError):
    """Well-formed JSON whose text the database cannot store: a rule, not a syntax error."""

    default_code = "unstorable_text"


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(value, path: str, depth: int) -> None:
    """Raises ParseError at the first string (or key) holding U+0000 or a lone surrogate, or
    at the first array or object nested deeper than MAX_DEPTH."""
    if isinstance(value, str):
        if not _storable(value):
            raise UnstorableText(f"Text at {path or 'the top level'} holds U+0000 or an unpaired surrogate.")
        return
    if not isinstance(value, dict | list):
        return
    if depth >= MAX_DEPTH:
        raise ParseError(f"The JSON is nested more than {MAX_DEPTH} levels deep (at {path}).")
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            _check(key, where, depth)
            _check(item, where, depth + 1)
    else:
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]", depth + 1)


class StrictJSONParser(JSONParser):
    """JSON whose strings PostgreSQL can store (no U+0000, no unpaired surrogates), nested at
    most MAX_DEPTH levels."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # the decoder gave up first: far deeper than MAX_DEPTH
            raise ParseError(f"The JSON is nested more than {MAX_DEPTH} levels deep.") from None
        _check(data, "", 0)
        return data
