"""GS1 keys: check digits, EPC URIs to canonical Digital Link, and reading LGTINs and SGTINs."""

import pytest

from epcis.gs1 import TradeItemKey, canonical_digital_link, check_digit, parse_trade_item


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("0061414111111", "4"), ("061414100000", "5"), ("401234500001", "6"), ("0401234511111", "8")],
)
def test_check_digit(digits, expected):
    assert check_digit(digits) == expected


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        ("urn:epc:id:sgtin:0614141.011111.987", "https://id.gs1.org/01/00614141111114/21/987"),
        ("urn:epc:class:lgtin:4012345.011111.4444", "https://id.gs1.org/01/04012345111118/10/4444"),
        ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        ("urn:epc:id:sgln:4012345.00001.0", "https://id.gs1.org/414/4012345000016"),
        ("urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"),
        ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
        ("urn:epc:id:sscc:4012345.0000000111", "https://id.gs1.org/00/040123450000001112"),
        ("urn:epc:id:sgtin:4012345.011111.A%2FB", "https://id.gs1.org/01/04012345111118/21/A%2FB"),
        (
            "https://example.com/gtin/4012345111118/ser/7?linkType=all",
            "https://id.gs1.org/01/04012345111118/21/7",
        ),
        ("https://id.gs1.org/01/04012345111118/10/L1/21/7", "https://id.gs1.org/01/04012345111118/21/7"),
        ("urn:remelt:lot:SCR-2026-000001", None),
        ("urn:epc:id:sgtin:4012345.01111.987", None),  # 12 digits: not a GTIN
        ("https://example.com/about", None),
    ],
)
def test_canonical_digital_link(uri, canonical):
    assert canonical_digital_link(uri) == canonical


def test_trade_items_are_read_back():
    assert parse_trade_item("urn:epc:class:lgtin:4012345.022222.87545GHGH") == TradeItemKey(
        company_prefix="4012345", gtin="04012345222227", lot="87545GHGH"
    )
    assert parse_trade_item("urn:epc:id:sgtin:4012345.077889.W%2F25") == TradeItemKey(
        company_prefix="4012345", gtin="04012345778892", serial="W/25"
    )
    assert parse_trade_item("urn:epc:idpat:sgtin:4012345.077889.*") is None
    assert parse_trade_item("urn:epc:class:lgtin:4012345.0222.87545") is None
