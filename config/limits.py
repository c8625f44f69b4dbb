"""The limits every request is held to before anything reads it (README "Limits"): no NUL in
its URL, and a body of at most MAX_BODY_BYTES.

`refusal` decides once; the API (config.api.problems), PACT (pact.api.middleware) and the pages
(`PageLimitsMiddleware`) each answer it in their own format.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str


def refusal(request) -> Refusal | None:
    """Why the request is refused before any view runs, or None."""
    # PostgreSQL text cannot hold U+0000: a NUL that reached a lookup would fail there (a 500).
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in request.path or "%00" in query or "\x00" in query:
        return Refusal(
            400, "nul_character", _("The URL holds a NUL character (%(escape)s).") % {"escape": "%00"}
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal(400, "invalid", _("Content-Length is not a number."))
    limit = settings.MAX_BODY_BYTES
    if length > limit:
        detail = _("The request body is %(length)s bytes; at most %(limit)s are accepted.")
        return Refusal(413, "too_large", detail % {"length": length, "limit": limit})
    return None


class PageLimitsMiddleware:
    """The refusals for the pages and the admin, as plain text."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with translation.override(translation.get_language_from_request(request)):
            found = refusal(request)
        if found is not None:
            return HttpResponse(found.detail, status=found.status, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
