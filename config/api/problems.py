"""RFC 9457 problem details: the one shape of every error the API answers with.

`type` is `urn:remelt:problem:<code>`, `code` repeats the stable machine name, and `errors`
maps a field path (`data.inputs[0].mass_kg`, `[3].occurred_at` in a batch) to its messages;
it is present, possibly empty, on every problem.

`title` and `detail` (and the `errors` messages) are in the request's language, chosen by
Django's LocaleMiddleware from `Accept-Language` (`zh-Hans` or `en`), and the response says
which in `Content-Language`; `type`, `code`, the field paths and every key stay the same.
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.limits import refusal
from ledger.errors import DomainError, fields_summary

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:remelt:problem:"
NON_FIELD = "non_field_errors"


# The title of each code the API answers with: the code in words, translated like every message. A code
# missing here is titled by its own words, untranslated (tests/api/test_languages.py checks that
# every code raised in the source has its title).
TITLES = {
    # DRF's and the API's own
    "invalid": gettext_lazy("Invalid"),
    "parse_error": gettext_lazy("Parse error"),
    "not_authenticated": gettext_lazy("Not authenticated"),
    "authentication_failed": gettext_lazy("Authentication failed"),
    "permission_denied": gettext_lazy("Permission denied"),
    "not_found": gettext_lazy("Not found"),
    "method_not_allowed": gettext_lazy("Method not allowed"),
    "not_acceptable": gettext_lazy("Not acceptable"),
    "unsupported_media_type": gettext_lazy("Unsupported media type"),
    "throttled": gettext_lazy("Throttled"),
    "error": gettext_lazy("Error"),
    "server_error": gettext_lazy("Server error"),
    "too_large": gettext_lazy("Too large"),
    "nul_character": gettext_lazy("Nul character"),
    "unstorable_text": gettext_lazy("Unstorable text"),
    "idempotency_key_reused": gettext_lazy("Idempotency key reused"),
    "unknown_page_token": gettext_lazy("Unknown page token"),
    "batch_too_large": gettext_lazy("Batch too large"),
    # the ledger's rules
    "unknown_type": gettext_lazy("Unknown type"),
    "unknown_lot": gettext_lazy("Unknown lot"),
    "unknown_entry": gettext_lazy("Unknown entry"),
    "unknown_organisation": gettext_lazy("Unknown organisation"),
    "unknown_supplier": gettext_lazy("Unknown supplier"),
    "already_confirmed": gettext_lazy("Already confirmed"),
    "unknown_material": gettext_lazy("Unknown material"),
    "unknown_mode": gettext_lazy("Unknown mode"),
    "unknown_furnace": gettext_lazy("Unknown furnace"),
    "unknown_installation": gettext_lazy("Unknown installation"),
    "unknown_footprint": gettext_lazy("Unknown footprint"),
    "unknown_event": gettext_lazy("Unknown event"),
    "unknown_identifier": gettext_lazy("Unknown identifier"),
    "duplicate": gettext_lazy("Duplicate"),
    "duplicate_code": gettext_lazy("Duplicate code"),
    "voided": gettext_lazy("Voided"),
    "not_owner": gettext_lazy("Not owner"),
    "role_not_allowed": gettext_lazy("Role not allowed"),
    "overdrawn": gettext_lazy("Overdrawn"),
    "wrong_kind": gettext_lazy("Wrong kind"),
    "empty": gettext_lazy("Empty"),
    "mass_balance": gettext_lazy("Mass balance"),
    "low_yield": gettext_lazy("Low yield"),
    "mixed_installations": gettext_lazy("Mixed installations"),
    "nothing_to_amend": gettext_lazy("Nothing to amend"),
    "unlocode_not_in_country": gettext_lazy("UN/LOCODE not in country"),
    "empty_period": gettext_lazy("Empty period"),
    "no_footprint": gettext_lazy("No footprint"),
    "footprint_without_mass": gettext_lazy("Footprint without mass"),
    "not_amendable": gettext_lazy("Not amendable"),
    "not_voidable": gettext_lazy("Not voidable"),
    "not_maker": gettext_lazy("Not maker"),
    "consumed": gettext_lazy("Consumed"),
    "future": gettext_lazy("Future"),
    "beyond_ledger": gettext_lazy("Beyond ledger"),
    "beyond_tree": gettext_lazy("Beyond tree"),
    "not_a_recall_start": gettext_lazy("Not a recall start"),
    "trace_too_large": gettext_lazy("Trace too large"),
    "checkpoint_refused": gettext_lazy("Checkpoint refused"),
    "no_public_proof": gettext_lazy("No public proof"),
    "no_state": gettext_lazy("No state"),
    # imports: EPCIS, the weighbridge, PACT footprints
    "schema": gettext_lazy("Schema"),
    "structural": gettext_lazy("Structural"),
    "unmappable": gettext_lazy("Unmappable"),
    "uom": gettext_lazy("Uom"),
    "not_your_prefix": gettext_lazy("Not your prefix"),
    "not_all_metal": gettext_lazy("Not all metal"),
    "capture_limit": gettext_lazy("Capture limit"),
    "ticket": gettext_lazy("Ticket"),
    "import_refused": gettext_lazy("Import refused"),
    "credentials_unreadable": gettext_lazy("Credentials unreadable"),
    "invalid_client": gettext_lazy("Invalid client"),
    "invalid_request": gettext_lazy("Invalid request"),
    "invalid_scope": gettext_lazy("Invalid scope"),
    "unsupported_grant_type": gettext_lazy("Unsupported grant type"),
}


def title(code: str) -> str:
    """The code in words, in the active language; the same wherever the code is raised."""
    found = TITLES.get(code)
    return str(found) if found is not None else code.replace("_", " ").capitalize()


def problem(status: int, code: str, detail: str, *, errors: dict | None = None) -> dict:
    """The problem document; its title is its code in words, the same wherever it is raised
    (`invalid` is "Invalid" from DRF's checks and from the rules alike)."""
    return {
        "type": TYPE_PREFIX + code,
        "title": title(code),
        "status": status,
        "detail": str(detail),
        "code": code,
        "errors": {name: [str(message) for message in messages] for name, messages in (errors or {}).items()},
    }


def problem_response(status: int, code: str, detail: str, **extra) -> HttpResponse:
    """A plain Django response carrying a problem, for errors raised outside DRF views; it says
    its language (LocaleMiddleware does for the others)."""
    body = json.dumps(problem(status, code, detail, **extra), ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    response["Content-Language"] = translation.get_language()
    return response


def field_errors(detail, path: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested validation detail into {field path: [messages]}."""
    if isinstance(detail, dict):
        errors: dict[str, list[str]] = {}
        for key, value in detail.items():
            if key == NON_FIELD:
                sub = path or NON_FIELD
            elif isinstance(key, int):
                sub = f"{path}[{key}]"
            else:
                sub = f"{path}.{key}" if path else str(key)
            for name, messages in field_errors(value, sub).items():
                errors.setdefault(name, []).extend(messages)
        return errors
    if isinstance(detail, list):
        if all(not isinstance(item, list | dict) for item in detail):
            return {path or NON_FIELD: [str(item) for item in detail]} if detail else {}
        errors = {}
        for index, item in enumerate(detail):
            for name, messages in field_errors(item, f"{path}[{index}]").items():
                errors.setdefault(name, []).extend(messages)
        return errors
    return {path or NON_FIELD: [str(detail)]}


def problem_for(exc: Exception) -> tuple[dict, dict] | None:
    """(problem document, response headers) for an exception the API answers, else None."""
    if isinstance(exc, DomainError):
        return problem(exc.status, exc.code, exc.message, errors=exc.errors), {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        return problem(exc.status_code, "invalid", fields_summary(errors, NON_FIELD), errors=errors), headers
    code = exc.default_code if isinstance(exc.default_code, str) else "error"
    return problem(exc.status_code, code, str(exc.detail)), headers


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: domain errors and DRF's own errors as problem+json."""
    found = problem_for(exc)
    if found is None:
        return None
    body, headers = found
    set_rollback()
    return Response(body, status=body["status"], headers=headers, content_type=CONTENT_TYPE)


class ApiProblemMiddleware:
    """Under /api/: the request limits (config.limits: a NUL in the URL, a body over
    MAX_BODY_BYTES) before anything reads the body, and Django's own error pages (unknown URLs,
    methods, a malformed request, crashes) as problem+json."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            return self.get_response(request)
        # Before LocaleMiddleware has run (these refusals come first) and after it, the
        # request's language; LocaleMiddleware activates the same one in between.
        with translation.override(translation.get_language_from_request(request)):
            refused = refusal(request)
            if refused is not None:
                return problem_response(refused.status, refused.code, refused.detail)
            response = self.get_response(request)
            return self._converted(request, response)

    def _converted(self, request, response):
        if response.get("Content-Type", "").startswith("text/html"):
            if response.status_code == 400:  # Django's SuspiciousOperation page, e.g. too many fields
                return problem_response(400, "invalid", _("The request is malformed."))
            if response.status_code == 404:
                return problem_response(
                    404, "not_found", _("No API resource at %(path)s.") % {"path": request.path}
                )
            if response.status_code == 405:
                converted = problem_response(
                    405,
                    "method_not_allowed",
                    _("%(method)s is not allowed here.") % {"method": request.method},
                )
                if response.has_header("Allow"):
                    converted["Allow"] = response["Allow"]
                return converted
            if response.status_code == 500 and not settings.DEBUG:
                return problem_response(500, "server_error", _("The server failed; the error was logged."))
        return response
