"""Filters of the passport page: `{{ url|breaks_at_slashes }}` (a long address that wraps only
after a `/`, never mid-word) and `{{ text|css_string }}` (text inside a CSS string, for the
running header of printed pages)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def breaks_at_slashes(url: str) -> str:
    """The URL, escaped, with a line-break opportunity (`<wbr>`) after each slash."""
    return mark_safe("/<wbr>".join(escape(part) for part in str(url).split("/")))  # noqa: S308 - escaped above


@register.filter
def css_string(text: str) -> str:
    """`text` as the inside of a double-quoted CSS string: every character that could end the
    string, the rule or the style element is written as a CSS hex escape."""
    escaped = []
    for character in str(text):
        if character.isalnum() or character in " .,:;-_/()#·":
            escaped.append(character)
        else:
            escaped.append(f"\\{ord(character):x} ")
    return mark_safe("".join(escaped))  # noqa: S308 - only letters, digits, safe punctuation and escapes
