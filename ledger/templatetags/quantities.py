"""How pages print numbers: `{{ grams|kg }}`, `{{ share|percent }}`, `{{ value|decimal:2 }}`.

Every page (auditor view, passport, admin, home) prints masses the same way: kilograms with
three decimals (exact to the gram) and the locale's digit grouping, e.g. `53,989.891`. The API,
the CSV files and the evidence bundles keep the plain decimal strings of `ledger.quantities`
(`53989.891`), which programs read.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django import template
from django.utils.formats import number_format

from ledger.quantities import format_percent

GRAMS_PER_KG = 1000

register = template.Library()


def display_kg(grams: int) -> str:
    """Integer grams as kilograms with three decimals and digit grouping, e.g. `1,250.500`."""
    return number_format(Decimal(grams) / GRAMS_PER_KG, decimal_pos=3, force_grouping=True)


def display_decimal(value, places: int) -> str:
    """A Decimal (or int) rounded half up to `places` decimals, with digit grouping."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=places, force_grouping=True)


@register.filter
def kg(grams: int) -> str:
    """Integer grams as kilograms (see `display_kg`)."""
    return display_kg(grams)


@register.filter
def decimal(value, places: int = 3) -> str:
    """A Decimal figure to `places` decimals, grouped like the masses."""
    if value is None or value == "":
        return "—"
    return display_decimal(value, int(places))


@register.filter
def percent(share: Fraction) -> str:
    """An exact share as a percentage (see `ledger.quantities.format_percent`)."""
    return format_percent(share)
