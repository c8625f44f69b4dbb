"""How people read numbers, on every page (auditor view, passport, admin, home): kilograms with
three decimals (exact to the gram) and the locale's digit grouping, e.g. `53,989.891`.

The API, the CSV files and the evidence bundles keep the plain decimal strings of
`ledger.quantities` (`53989.891`), which programs read.
"""

from decimal import Decimal

from django.utils.formats import number_format

GRAMS_PER_KG = 1000


def display_kg(grams: int) -> str:
    """Integer grams as kilograms with three decimals and digit grouping, e.g. `1,250.500`."""
    return number_format(Decimal(grams) / GRAMS_PER_KG, decimal_pos=3, force_grouping=True)


def display_count(count: int) -> str:
    """A count with digit grouping, e.g. `3,000`."""
    return number_format(count, force_grouping=True)


def display_decimal_text(text: str, places: int) -> str:
    """A decimal string such as `"1000.000"` with digit grouping and its own decimals."""
    return number_format(Decimal(text), decimal_pos=places, force_grouping=True)
