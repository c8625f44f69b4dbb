"""The URIs remelt writes for lots, serials, organisations, suppliers and materials in EPCIS.

Stable by construction: a lot keeps the identifier it was made with for good.
- A lot or serial that an organisation with a GS1 company prefix made through EPCIS capture
  with an LGTIN or SGTIN of its own prefix keeps that EPC URI (`urn:epc:class:lgtin:…`,
  `urn:epc:id:sgtin:…`; stored in `epcis.LotIdentifier`).
- Every other lot is `urn:remelt:lot:<code>` (a class-level identifier, in quantity lists) and
  every other wheel hub `urn:remelt:serial:<serial>` (an instance, in EPC lists), the code
  percent-encoded where a URN needs it.
- An organisation is `urn:remelt:org:<slug>`; a supplier that is not on remelt
  `urn:remelt:party:<name>`; an alloying material of the factor set `urn:remelt:material:<key>`.
"""

from urllib.parse import quote, unquote

LOT = "urn:remelt:lot:"
SERIAL = "urn:remelt:serial:"
ORG = "urn:remelt:org:"
PARTY = "urn:remelt:party:"
MATERIAL = "urn:remelt:material:"

_SAFE = "-._~!$&'()*+,;=@"  # RFC 8141 NSS characters besides letters and digits (':' is escaped)


def _encode(text: str) -> str:
    return quote(text, safe=_SAFE)


def lot_urn(code: str) -> str:
    return LOT + _encode(code)


def serial_urn(serial: str) -> str:
    return SERIAL + _encode(serial)


def org_urn(slug: str) -> str:
    return ORG + _encode(slug)


def party_urn(name: str) -> str:
    return PARTY + _encode(name)


def material_urn(key: str) -> str:
    return MATERIAL + _encode(key)


def remelt_name(uri: str, prefix: str) -> str | None:
    """What a remelt URN of the given kind names (`urn:remelt:lot:SCR-1` → "SCR-1"), else None."""
    if not uri.startswith(prefix) or len(uri) == len(prefix):
        return None
    return unquote(uri[len(prefix) :])
