"""The API's JSON parser: refuses text the database cannot store, before anything reads it."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _unstorable(value, path: str) -> str | None:
    """The path of the first string (or key) holding U+0000 or a lone surrogate, else None."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            found = _unstorable(key, where) or _unstorable(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


class StrictJSONParser(JSONParser):
    """JSON whose strings PostgreSQL can store: no U+0000, no unpaired surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        where = _unstorable(data, "")
        if where is not None:
            raise ParseError(f"Text at {where or 'the top level'} holds U+0000 or an unpaired surrogate.")
        return data
