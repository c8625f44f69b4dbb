"""Exact quantities: masses in integer grams, other amounts as Decimals, both from strings."""

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The one definition: footprints are recomputed offline with the same formatting.
from remelt_verify.carbon import format_kg  # noqa: F401

from ledger.errors import DomainError, quoted

MAX_KG_DIGITS = 10  # up to 9,999,999,999 kg: far beyond any lot, well inside 64-bit grams
_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
# What the messages call a value, translated only when a message is made: a replay of a
# plant-month parses about a million masses, and looking the word up each time was a fifth of
# verify_ledger's replay.
MASS = gettext_lazy("mass")
AMOUNT = gettext_lazy("amount")


def _decimal_text(value: object, field: str, *, places: int, what: str) -> str:
    if isinstance(value, bool | float):
        raise DomainError(
            "invalid", _('%(what)s must be a decimal string such as "1250.500"') % {"what": what}, field=field
        )
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise DomainError(
            "invalid", _('%(what)s must be a decimal string such as "1250.500"') % {"what": what}, field=field
        )
    text = value.strip()
    if text.startswith("-"):
        raise DomainError("invalid", _("%(what)s must not be negative") % {"what": what}, field=field)
    match = _DECIMAL.match(text)
    if not match:
        raise DomainError(
            "invalid",
            _("%(what)s %(value)s is not a decimal number") % {"what": what, "value": quoted(value)},
            field=field,
        )
    whole, fraction = match.group(1), (match.group(2) or ".")[1:]
    if len(fraction) > places:
        raise DomainError(
            "invalid",
            _("%(what)s has more than %(places)s decimals") % {"what": what, "places": places},
            field=field,
        )
    if len(whole) > MAX_KG_DIGITS:
        raise DomainError("invalid", _("%(what)s is too large") % {"what": what}, field=field)
    return whole + "." + fraction.ljust(places, "0")


def parse_mass(value: object, field: str, *, allow_zero: bool = False) -> int:
    """A mass in kg as a decimal string with at most 3 decimals → grams (> 0, or ≥ 0 if allowed)."""
    text = _decimal_text(value, field, places=3, what=MASS)
    grams = int(text.replace(".", ""))
    if grams == 0 and not allow_zero:
        raise DomainError("invalid", _("mass must be more than zero"), field=field)
    return grams


def parse_amount(value: object, field: str, *, places: int = 3, what: str | None = None) -> Decimal:
    """A non-negative decimal string (energy, distance, a chemistry share) → Decimal."""
    return Decimal(_decimal_text(value, field, places=places, what=what or AMOUNT))


def format_amount(amount: Decimal, places: int = 3) -> str:
    return f"{amount:.{places}f}"


def format_percent(share: Fraction) -> str:
    """A share as a percentage with two decimals; a tiny but real share is not shown as 0."""
    if 0 < share < Fraction(1, 10000):
        return "< 0.01 %"
    value = Decimal(share.numerator) * 100 / Decimal(share.denominator)
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)} %"
