"""GS1 keys in EPC URIs (Tag Data Standard) and GS1 Digital Link URIs.

What remelt needs of them: the check digit, the EPC URIs it writes for lots and serials of an
organisation with a GS1 company prefix (`urn:epc:class:lgtin:…`, `urn:epc:id:sgtin:…`), reading
them (and their Digital Link twins) back on capture, and the *constrained canonical* Digital
Link form that the CBV 2.0 event hash writes every GS1 key in (CBV 2.0 §8.9, rules 17 and 18):
`https://id.gs1.org/<AI>/<key>[/<qualifier AI>/<value>]`, finest identification level only.
"""

import re
from dataclasses import dataclass

CANONICAL_HOST = "https://id.gs1.org"

# One character of a GS1 alphanumeric component (AI encodable character set 82) as an EPC URI
# writes it: the characters that are not safe in a URN are %-escaped (TDS §5, table I.3.1-1).
_CSET82 = (
    r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]"
    r"|[!')(*+,.0-9:;=A-Za-z_-])"
)
# The component-part reference of a CPI uses the smaller character set 39.
_CSET39 = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
_DIGITS = re.compile(r"^\d+$")


def check_digit(digits: str) -> str:
    """The GS1 standard check digit (GenSpecs §7.9.1) of a key given without it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def with_check_digit(digits: str) -> str:
    return digits + check_digit(digits)


def _dl_escape(text: str) -> str:
    """Digital Link's escapes (GS1 DL 1.2, table 7-1) of the characters an EPC URI leaves bare."""
    for char, escaped in (
        ("!", "%21"),
        ("(", "%28"),
        (")", "%29"),
        ("*", "%2A"),
        ("+", "%2B"),
        (",", "%2C"),
        (":", "%3A"),
    ):
        text = text.replace(char, escaped)
    return text


def _gtin(prefix: str, item: str) -> str:
    """GTIN-14 from a company prefix and indicator digit + item reference (13 digits in all)."""
    return with_check_digit(item[0] + prefix + item[1:])


@dataclass(frozen=True)
class _Scheme:
    """One EPC URI scheme: the pattern of what follows `urn:epc:<kind>:<name>:` and its DL form."""

    pattern: re.Pattern
    build: object  # (prefix, *components) -> DL path


def _scheme(numeric_total: int | None, rest: str, build) -> _Scheme:
    if numeric_total is None:
        head = r"(?P<head>\d{6,12})"
    else:
        options = []
        for cp in range(6, 13):
            ref = numeric_total - cp
            options.append(rf"\d{{{cp}}}\.\d{{{ref}}}" if ref > 0 else rf"\d{{{cp}}}\.")
        head = "(?P<head>" + "|".join(options) + ")"
    return _Scheme(re.compile("^" + head + rest + "$"), build)


def _parts(match: re.Match) -> tuple[str, str]:
    prefix, _, reference = match.group("head").partition(".")
    return prefix, reference


_EPC_ID = {
    "sgtin": _scheme(
        13, rf"\.(?P<x>{_CSET82}{{1,20}})", lambda p, r, x: f"/01/{_gtin(p, r)}/21/{_dl_escape(x)}"
    ),
    "sscc": _scheme(17, "", lambda p, r: f"/00/{with_check_digit(r[0] + p + r[1:])}"),
    "sgln": _scheme(
        12,
        rf"\.(?P<x>{_CSET82}{{1,20}})",
        lambda p, r, x: f"/414/{with_check_digit(p + r)}" + ("" if x == "0" else f"/254/{_dl_escape(x)}"),
    ),
    "pgln": _scheme(12, "", lambda p, r: f"/417/{with_check_digit(p + r)}"),
    "grai": _scheme(
        12,
        rf"\.(?P<x>{_CSET82}{{1,16}})",
        lambda p, r, x: f"/8003/{with_check_digit('0' + p + r)}{_dl_escape(x)}",
    ),
    "giai": _scheme(None, rf"\.(?P<x>{_CSET82}{{1,24}})", lambda p, r, x: f"/8004/{p}{_dl_escape(x)}"),
    "gsrn": _scheme(17, "", lambda p, r: f"/8018/{with_check_digit(p + r)}"),
    "gsrnp": _scheme(17, "", lambda p, r: f"/8017/{with_check_digit(p + r)}"),
    "gdti": _scheme(
        12, rf"\.(?P<x>{_CSET82}{{1,17}})", lambda p, r, x: f"/253/{with_check_digit(p + r)}{_dl_escape(x)}"
    ),
    "cpi": _scheme(
        None,
        rf"\.(?P<x>{_CSET39}{{1,24}})\.(?P<y>\d{{1,12}})",
        lambda p, r, x, y: f"/8010/{_dl_escape(p + x)}/8011/{y}",
    ),
    "sgcn": _scheme(12, r"\.(?P<x>\d{1,12})", lambda p, r, x: f"/255/{with_check_digit(p + r)}{x}"),
    "ginc": _scheme(None, rf"\.(?P<x>{_CSET82}{{1,24}})", lambda p, r, x: f"/401/{p}{_dl_escape(x)}"),
    "gsin": _scheme(16, "", lambda p, r: f"/402/{with_check_digit(p + r)}"),
    "itip": _scheme(
        13,
        rf"\.(?P<x>\d{{2}})\.(?P<y>\d{{2}})\.(?P<z>{_CSET82}{{1,20}})",
        lambda p, r, x, y, z: f"/8006/{_gtin(p, r)}{x}{y}/21/{_dl_escape(z)}",
    ),
    "upui": _scheme(
        13, rf"\.(?P<x>{_CSET82}{{1,28}})", lambda p, r, x: f"/01/{_gtin(p, r)}/235/{_dl_escape(x)}"
    ),
}
_EPC_CLASS = {
    "lgtin": _scheme(
        13, rf"\.(?P<x>{_CSET82}{{1,20}})", lambda p, r, x: f"/01/{_gtin(p, r)}/10/{_dl_escape(x)}"
    ),
}
_EPC_IDPAT = {
    "sgtin": _scheme(13, r"\.\*", lambda p, r: f"/01/{_gtin(p, r)}"),
    "grai": _scheme(12, r"\.\*", lambda p, r: f"/8003/{with_check_digit('0' + p + r)}"),
    "gdti": _scheme(12, r"\.\*", lambda p, r: f"/253/{with_check_digit(p + r)}"),
    "sgcn": _scheme(12, r"\.\*", lambda p, r: f"/255/{with_check_digit(p + r)}"),
    "cpi": _scheme(None, rf"\.(?P<x>{_CSET39}{{1,24}})\.\*", lambda p, r, x: f"/8010/{_dl_escape(p + x)}"),
    "itip": _scheme(13, r"\.(?P<x>\d{2})\.(?P<y>\d{2})\.\*", lambda p, r, x, y: f"/8006/{_gtin(p, r)}{x}{y}"),
    "upui": _scheme(13, r"\.\*", lambda p, r: f"/01/{_gtin(p, r)}"),
}
_EPC_KINDS = {"id": _EPC_ID, "class": _EPC_CLASS, "idpat": _EPC_IDPAT}


def _epc_to_dl(uri: str) -> str | None:
    parts = uri.split(":", 4)
    if len(parts) != 5 or parts[0] != "urn" or parts[1] != "epc":
        return None
    scheme = _EPC_KINDS.get(parts[2], {}).get(parts[3])
    if scheme is None:
        return None
    match = scheme.pattern.match(parts[4])
    if match is None:
        return None
    prefix, reference = _parts(match)
    extra = [value for name, value in match.groupdict().items() if name != "head"]
    return CANONICAL_HOST + scheme.build(prefix, reference, *extra)


# -- Digital Link URIs --------------------------------------------------------------------------

_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
    "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
    "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_PRIMARY = (
    "01",
    "8006",
    "8010",
    "414",
    "417",
    "8017",
    "8018",
    "255",
    "00",
    "253",
    "401",
    "402",
    "8003",
    "8004",
)
# A DL value of an alphanumeric AI, as the constrained canonical form allows it.
_DL_VALUE = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_CANONICAL = [
    re.compile(p)
    for p in (
        r"^/00/\d{18}$",
        rf"^/01/\d{{14}}/21/{_DL_VALUE}{{0,20}}$",
        rf"^/01/\d{{14}}/10/{_DL_VALUE}{{0,20}}$",
        r"^/01/\d{14}$",
        rf"^/01/\d{{14}}/235/{_DL_VALUE}{{0,28}}$",
        rf"^/253/\d{{13}}{_DL_VALUE}{{0,17}}$",
        r"^/255/\d{13}\d{0,12}$",
        rf"^/401/{_DL_VALUE}{{0,30}}$",
        r"^/402/\d{17}$",
        r"^/414/\d{13}$",
        rf"^/414/\d{{13}}/254/{_DL_VALUE}{{0,20}}$",
        r"^/417/\d{13}$",
        rf"^/8003/\d{{14}}{_DL_VALUE}{{0,16}}$",
        rf"^/8004/{_DL_VALUE}{{0,30}}$",
        rf"^/8006/\d{{18}}/21/{_DL_VALUE}{{0,20}}$",
        rf"^/8006/\d{{18}}/10/{_DL_VALUE}{{0,20}}$",
        r"^/8006/\d{18}$",
        r"^/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}$",
        r"^/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}$",
        r"^/8017/\d{18}$",
        r"^/8018/\d{18}$",
    )
]
_DL = re.compile(r"^https?://[^/?#]+(?P<path>/[^?#]*)")


def _dl_canonical(uri: str) -> str | None:
    match = _DL.match(uri)
    if match is None:
        return None
    segments = [s for s in match.group("path").split("/") if s != ""]
    segments = [_SHORT_NAMES.get(s, s) for s in segments]
    start = next((i for i, s in enumerate(segments) if s in _PRIMARY and i + 1 < len(segments)), None)
    if start is None:
        return None
    pairs = segments[start:]
    if len(pairs) % 2:
        return None
    key_ai, key = pairs[0], pairs[1]
    if not re.match(r"^\d{4}", key):
        return None
    qualifiers = dict(zip(pairs[2::2], pairs[3::2], strict=True))
    qualifiers.pop("22", None)  # a consumer product variant is not a finer level of identity
    if key_ai == "01":
        key = key.rjust(14, "0") if len(key) in (8, 12, 13) else key
    if "21" in qualifiers:
        qualifiers.pop("10", None)  # only the finest level: a serial makes the lot redundant
    path = f"/{key_ai}/{key}" + "".join(f"/{ai}/{value}" for ai, value in qualifiers.items())
    if any(pattern.match(path) for pattern in _CANONICAL):
        return CANONICAL_HOST + path
    return None


def canonical_digital_link(uri: str) -> str | None:
    """The constrained canonical GS1 Digital Link URI of a GS1 key (EPC URI, EPC class or pattern
    URI, or Digital Link on any host), or None when `uri` holds no GS1 key."""
    if uri.startswith("urn:epc:"):
        return _epc_to_dl(uri)
    if uri.startswith(("http://", "https://")):
        return _dl_canonical(uri)
    return None


# -- the identifiers remelt writes for organisations with a company prefix -----------------------


@dataclass(frozen=True)
class TradeItemKey:
    """A GS1 key remelt reads from an EPCIS identifier: a GTIN with a lot or a serial."""

    company_prefix: str
    gtin: str
    lot: str | None = None
    serial: str | None = None


def _epc_unescape(text: str) -> str:
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def parse_trade_item(uri: str) -> TradeItemKey | None:
    """The company prefix, GTIN and lot or serial of an LGTIN or SGTIN EPC URI, else None.

    Digital Link URIs carry no company prefix length, so they are not read here; remelt names
    its lots and serials by EPC URI."""
    for kind, name, field in (("class", "lgtin", "lot"), ("id", "sgtin", "serial")):
        head = f"urn:epc:{kind}:{name}:"
        if uri.startswith(head):
            match = _EPC_KINDS[kind][name].pattern.match(uri[len(head) :])
            if match is None:
                return None
            prefix, reference = _parts(match)
            return TradeItemKey(prefix, _gtin(prefix, reference), **{field: _epc_unescape(match.group("x"))})
    return None


def valid_company_prefix(prefix: str) -> bool:
    return bool(_DIGITS.match(prefix)) and 6 <= len(prefix) <= 12
