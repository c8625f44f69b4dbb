"""Template filters for masses and shares: `{{ grams|kg }}`, `{{ share|percent }}`."""

from fractions import Fraction

from django import template

from ledger.quantities import format_kg, format_percent

register = template.Library()


@register.filter
def kg(grams: int) -> str:
    """Integer grams as kilograms with three decimals."""
    return format_kg(grams)


@register.filter
def percent(share: Fraction) -> str:
    """An exact share as a percentage (see `ledger.quantities.format_percent`)."""
    return format_percent(share)
