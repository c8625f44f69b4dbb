"""RFC 8785 (JSON Canonicalization Scheme) bytes of exact JSON values, and their SHA-256.

Every hashed byte string of the ledger (headers, payloads, disclosures, anchor leaves) is made
here. Floats and integers beyond 2^53 - 1 are refused, so every value round-trips exactly.
"""

import hashlib
import json
import re
from typing import Any

import rfc8785

# JCS writes numbers as IEEE doubles; integers beyond this would silently lose digits.
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalisable(ValueError):
    """A value that cannot be hashed exactly: a float, a huge integer, a non-string key."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _check_exact(value: Any, path: str) -> bool:
    """Refuse what cannot be hashed exactly; True if some object key has a character beyond U+FFFF."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return False
    if kind is dict or isinstance(value, dict):
        astral = False
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise NotCanonicalisable(path, "object keys must be strings")
            if not key.isascii() and max(key) > "\uffff":
                astral = True
            if type(item) is not str and _check_exact(item, f"{path}.{key}" if path else key):
                astral = True
        return astral
    if kind is list or isinstance(value, list | tuple):
        astral = False
        for index, item in enumerate(value):
            if type(item) is not str and _check_exact(item, f"{path}[{index}]"):
                astral = True
        return astral
    if isinstance(value, bool | str):
        return False
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonicalisable(path, "integer too large to hash exactly; send it as a string")
        return False
    if isinstance(value, float):
        raise NotCanonicalisable(path, "floats are not allowed in the ledger; send a decimal string")
    raise NotCanonicalisable(path, f"{type(value).__name__} is not a JSON value")


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value made of strings, safe integers, booleans and null.

    For such values JCS is the standard library's compact JSON with sorted keys and no ASCII
    escaping (the same escapes of quotes, backslashes and control characters, lowercase hex),
    as long as keys sort the same by code point as by UTF-16 code unit: they do unless a key
    holds a character beyond U+FFFF, and only those values go through `rfc8785` (pure Python,
    several times slower). tests/verifier/test_canonical.py checks both give the same bytes.
    """
    astral = _check_exact(value, "")
    if not astral:
        try:
            return _dumps(value).encode()
        except UnicodeEncodeError:  # a lone surrogate in a string
            raise NotCanonicalisable("", "input contains non-UTF-8 codepoints") from None
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:  # e.g. a lone surrogate in a string
        raise NotCanonicalisable("", str(exc)) from None


_dumps = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False
).encode


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Inexact(ValueError):
    """A number canonical() refuses, met while parsing (exact_json gives None)."""


def _refuse(_text: str) -> Any:
    raise _Inexact


def _safe_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise _Inexact
    return value


# Parses only what canonical() accepts: floats, NaN and integers beyond 2^53 - 1 stop it.
_EXACT = json.JSONDecoder(parse_float=_refuse, parse_int=_safe_int, parse_constant=_refuse)
_BEYOND_BMP = re.compile(rb"[\xf0-\xf4]")  # the lead byte of a UTF-8 character beyond U+FFFF


def exact_json(data: bytes) -> Any | None:
    """The JSON value of UTF-8 `data` if it holds only what canonical() takes by its fast path
    (no float, no integer beyond 2^53 - 1, no character beyond U+FFFF), else None.

    Every part of such a value can be given to `canonical_exact`, which skips the walk that
    canonical() makes to refuse inexact values: the parse has refused them already (in C).
    """
    if _BEYOND_BMP.search(data):
        return None
    try:
        return _EXACT.decode(data.decode("utf-8"))
    except ValueError:  # not UTF-8 or not JSON (the caller's own parse says so), or inexact
        return None


def canonical_exact(value: Any) -> bytes:
    """canonical() of (a part of) a value `exact_json` gave: the same bytes, without the walk.

    Raises NotCanonicalisable for a lone surrogate (JSON can write one as an escape), as
    canonical() does.
    """
    try:
        return _dumps(value).encode()
    except UnicodeEncodeError:
        raise NotCanonicalisable("", "input contains non-UTF-8 codepoints") from None
