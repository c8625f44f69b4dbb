"""How pages print numbers: `{{ grams|kg }}`, `{{ count|grouped }}` and `{{ share|percent }}`
(see `ledger.display`)."""

from fractions import Fraction

from django import template

from ledger.display import display_count, display_kg
from ledger.quantities import format_percent

register = template.Library()


@register.filter
def kg(grams: int) -> str:
    """Integer grams as kilograms, grouped (see `ledger.display.display_kg`)."""
    return display_kg(grams)


@register.filter
def grouped(count: int) -> str:
    """A count with digit grouping, like the masses."""
    return display_count(count)


@register.filter
def percent(share: Fraction) -> str:
    """An exact share as a percentage (see `ledger.quantities.format_percent`)."""
    return format_percent(share)
