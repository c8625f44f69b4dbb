"""Under /pact: HTTPS only, PACT's error bodies for what no view answers (unknown paths,
methods, crashes), and the request limits (config.limits)."""

from django.conf import settings
from django.utils import translation

from config.limits import refusal
from pact.api.errors import pact_error_json

PREFIX = "/pact/"


class PactMiddleware:
    """Refuses plain HTTP before anything runs, so neither credentials nor footprints travel in
    clear (PACT: HTTPS only). Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER tells
    Django the request was HTTPS. Plain HTTP is refused rather than redirected: a client that
    followed a redirect would already have sent its secret in clear."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        if not request.is_secure():
            return pact_error_json(403, "The PACT API is served over HTTPS only.", "AccessDenied")
        with translation.override("en-gb"):  # PACT's API is English, like its specification
            refused = refusal(request)
        if refused is not None:  # PACT's error codes have no 413: a body too large is a BadRequest
            return pact_error_json(400, refused.detail)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            if response.status_code == 404:
                return pact_error_json(404, f"No PACT action at {request.path}.")
            if response.status_code == 405:
                converted = pact_error_json(405, f"{request.method} is not allowed here.", "BadRequest")
                if response.has_header("Allow"):
                    converted["Allow"] = response["Allow"]
                return converted
            if response.status_code >= 500 and not settings.DEBUG:
                return pact_error_json(500, "The server failed; the error was logged.", "InternalError")
        return response
