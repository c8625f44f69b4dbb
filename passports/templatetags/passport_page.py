"""`{{ url|breaks_at_slashes }}`: a long address that may wrap only after a `/`, never mid-word."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def breaks_at_slashes(url: str) -> str:
    """The URL, escaped, with a line-break opportunity (`<wbr>`) after each slash."""
    return mark_safe("/<wbr>".join(escape(part) for part in str(url).split("/")))  # noqa: S308 - escaped above
