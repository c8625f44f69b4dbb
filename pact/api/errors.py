"""The two error bodies the PACT host answers with, both built on DomainError (and DRF's own
exceptions): PACT's `{"code", "message"}` for its actions, RFC 6749 §5.2's `{"error",
"error_description"}` for the token endpoint. One renderer each, used by every PACT view."""

from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ledger.errors import DomainError
from pact.rules import ERROR_STATUS

# The PACT code for an HTTP status when the error did not name one.
_BY_STATUS = {
    400: "BadRequest",
    401: "BadRequest",
    403: "AccessDenied",
    404: "NotFound",
    501: "NotImplemented",
}
OAUTH_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
)


def _status_and_message(exc: Exception) -> tuple[int, str, str] | None:
    """(status, code, message) of an exception the API answers, else None (a 500)."""
    if isinstance(exc, DomainError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, Http404):
        return 404, "NotFound", "Not found."
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else ""
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return exc.status_code, code, str(detail)
    return None


def pact_error(status: int, code: str, message: str) -> dict:
    """PACT's Error object; a code PACT does not define is replaced by the one of the status."""
    if code not in ERROR_STATUS:
        code = _BY_STATUS.get(status, "InternalError" if status >= 500 else "BadRequest")
    return {"code": code, "message": message}


def pact_exception_handler(exc: Exception, context: dict) -> Response | None:
    found = _status_and_message(exc)
    if found is None:
        return None
    status, code, message = found
    if status == 415:  # PACT answers a wrong content type with BadRequest
        status = 400
    set_rollback()
    response = Response(pact_error(status, code, message), status=status, content_type="application/json")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="pact", error="invalid_token"'
    return response


def oauth_exception_handler(exc: Exception, context: dict) -> Response | None:
    """RFC 6749 §5.2: 400 with `error`, or 401 (with WWW-Authenticate) for a failed client."""
    found = _status_and_message(exc)
    if found is None:
        return None
    status, code, message = found
    if code not in OAUTH_ERRORS:
        code = "invalid_request"
        status = 400
    set_rollback()
    response = Response({"error": code, "error_description": message}, status=status)
    response["Cache-Control"] = "no-store"
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="pact"'
    return response


def pact_error_json(status: int, message: str, code: str = "") -> JsonResponse:
    """A PACT error for responses made outside the views (the middleware)."""
    return JsonResponse(pact_error(status, code, message), status=status)
