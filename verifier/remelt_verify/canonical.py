"""RFC 8785 (JSON Canonicalization Scheme) bytes of exact JSON values, and their SHA-256.

Every hashed byte string of the ledger (headers, payloads, disclosures, anchor leaves) is made
here. Floats and integers beyond 2^53 - 1 are refused, so every value round-trips exactly.
"""

import hashlib
from typing import Any

import rfc8785

# JCS writes numbers as IEEE doubles; integers beyond this would silently lose digits.
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalisable(ValueError):
    """A value that cannot be hashed exactly: a float, a huge integer, a non-string key."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


def _check_exact(value: Any, path: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonicalisable(path, "integer too large to hash exactly; send it as a string")
        return
    if isinstance(value, float):
        raise NotCanonicalisable(path, "floats are not allowed in the ledger; send a decimal string")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalisable(path, "object keys must be strings")
            _check_exact(item, f"{path}.{key}" if path else key)
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_exact(item, f"{path}[{index}]")
        return
    raise NotCanonicalisable(path, f"{type(value).__name__} is not a JSON value")


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value made of strings, safe integers, booleans and null."""
    _check_exact(value, "")
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:  # e.g. a lone surrogate in a string
        raise NotCanonicalisable("", str(exc)) from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
