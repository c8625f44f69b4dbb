"""RFC 9457 problem details: the one shape of every error the API answers with.

`type` is `urn:remelt:problem:<code>`, `code` repeats the stable machine name, and `errors`
maps a field path (`data.inputs[0].mass_kg`, `[3].occurred_at` in a batch) to its messages;
it is present, possibly empty, on every problem.
"""

import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config.limits import refusal
from ledger.errors import DomainError, fields_summary

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:remelt:problem:"
NON_FIELD = "non_field_errors"


def problem(status: int, code: str, detail: str, *, errors: dict | None = None) -> dict:
    """The problem document; its title is its code in words, the same wherever it is raised
    (`invalid` is "Invalid" from DRF's checks and from the rules alike)."""
    return {
        "type": TYPE_PREFIX + code,
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or {},
    }


def problem_response(status: int, code: str, detail: str, **extra) -> HttpResponse:
    """A plain Django response carrying a problem, for errors raised outside DRF views."""
    body = json.dumps(problem(status, code, detail, **extra), ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPE)


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
        refused = refusal(request)
        if refused is not None:
            return problem_response(refused.status, refused.code, refused.detail)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            if response.status_code == 400:  # Django's SuspiciousOperation page, e.g. too many fields
                return problem_response(400, "invalid", "The request is malformed.")
            if response.status_code == 404:
                return problem_response(404, "not_found", f"No API resource at {request.path}.")
            if response.status_code == 405:
                converted = problem_response(
                    405, "method_not_allowed", f"{request.method} is not allowed here."
                )
                if response.has_header("Allow"):
                    converted["Allow"] = response["Allow"]
                return converted
            if response.status_code == 500 and not settings.DEBUG:
                return problem_response(500, "server_error", "The server failed; the error was logged.")
        return response
