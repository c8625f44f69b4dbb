"""The PACT v3 host under /pact: Authenticate, the OpenID discovery document, ListFootprints,
GetFootprint and Events (PACT's OpenAPI file is the contract), and the extension's schema."""

import base64
import binascii
import io
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.parsers import StrictJSONParser
from config.api.viewsets import RemeltViewSet
from ledger.errors import DomainError
from ledger.models import Lot
from ledger.visibility import visible_lots
from pact import extension
from pact.api.authentication import PactTokenAuthentication
from pact.api.errors import oauth_exception_handler, pact_exception_handler
from pact.documents import EXTENSION_PATH
from pact.models import ProductFootprint
from pact.rules import HOST_PARAMETER, cloud_event_check, content_type_check, list_query
from pact.selectors import catenax_pcf_of, catenax_secondary_of, footprint_page, visible_footprints
from pact.services import SCOPES, access_token_issue, event_accept, pact_client_authenticate


class PactView(APIView):
    """A PACT action: bearer token of a PACT client, PACT's error bodies, JSON out. Not in
    remelt's partner API schema: PACT's own OpenAPI file is the contract."""

    schema = None
    authentication_classes = [PactTokenAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes: list = []

    def get_exception_handler(self):
        return pact_exception_handler


def _base(request) -> str:
    """The PACT base URL as the client reached it (scheme, the request's host, /pact)."""
    return request.build_absolute_uri("/pact").rstrip("/")


# ---------------------------------------------------------------------------------------------
# Authenticate


class TokenView(APIView):
    """POST /pact/auth/token: OAuth2 client credentials (RFC 6749 §4.4); the client
    authenticates with HTTP Basic (or client_id and client_secret in the body, §2.3.1)."""

    schema = None
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [FormParser]

    def get_exception_handler(self):
        return oauth_exception_handler

    def _credentials(self, request) -> tuple[str, str, bool]:
        """(client id, secret, whether HTTP Basic was used)."""
        header = request.META.get("HTTP_AUTHORIZATION", "")
        body_id, body_secret = request.data.get("client_id"), request.data.get("client_secret")
        if header:
            scheme, _, encoded = header.partition(" ")
            if scheme.lower() != "basic":
                raise DomainError("invalid_client", "authenticate with HTTP Basic", status=401)
            if body_id or body_secret:
                raise DomainError(
                    "invalid_request", "give the client credentials once, not in header and body"
                )
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise DomainError(
                    "invalid_client", "the Basic credentials are not base64", status=401
                ) from None
            client_id, sep, secret = decoded.partition(":")
            if not sep:
                raise DomainError(
                    "invalid_client", "the Basic credentials are not client_id:secret", status=401
                )
            return client_id, secret, True
        if body_id and body_secret:
            return body_id, body_secret, False
        raise DomainError("invalid_client", "client authentication is required (HTTP Basic)", status=401)

    def post(self, request):
        if not request.content_type.startswith("application/x-www-form-urlencoded"):
            raise DomainError("invalid_request", "the body must be application/x-www-form-urlencoded")
        if request.data.get("grant_type") is None:
            raise DomainError("invalid_request", "grant_type is required (client_credentials)")
        client_id, secret, basic = self._credentials(request)
        client = pact_client_authenticate(client_id, secret)
        if client is None:
            raise DomainError("invalid_client", "client authentication failed", status=401 if basic else 400)
        if request.data.get("grant_type") != "client_credentials":
            raise DomainError("unsupported_grant_type", "only grant_type=client_credentials is supported")
        asked = request.data.get("scope")
        if asked is not None and not set(asked.split()) <= set(SCOPES):
            raise DomainError("invalid_scope", f"scopes are {' '.join(SCOPES)}")
        token, lifetime = access_token_issue(client=client)
        response = Response(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": " ".join(SCOPES)}
        )
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response


class OpenIdConfigurationView(APIView):
    """GET /pact/.well-known/openid-configuration: names the token endpoint for discovery."""

    schema = None
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return pact_exception_handler

    def get(self, request):
        base = _base(request)
        return Response(
            {
                "issuer": base,
                "token_endpoint": f"{base}/auth/token",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": list(SCOPES),
                "response_types_supported": ["token"],
            }
        )


# ---------------------------------------------------------------------------------------------
# Footprints


class FootprintListView(PactView):
    """GET /pact/3/footprints: ListFootprints with PACT's filters, `limit` and a `Link` header."""

    def get(self, request):
        query = list_query(
            _pairs(request.query_params),
            default_limit=settings.PACT_LIST_LIMIT,
            max_limit=settings.PACT_LIST_MAX,
        )
        page, more = footprint_page(
            viewer=request.auth.viewer, criteria=query.criteria, after=query.after, limit=query.limit
        )
        response = Response({"data": [footprint.document for footprint in page]})
        if more:
            # Stateless: the same criteria and limit, after the last footprint of this page; so
            # the link stays valid (and gives the same page) as long as the footprints exist.
            kept = [
                (name, value)
                for name, value in _pairs(request.query_params)
                if name.lower() != HOST_PARAMETER
            ]
            kept.append((HOST_PARAMETER, str(page[-1].number)))
            url = f"{_base(request)}/3/footprints?{urlencode(kept)}"
            response["Link"] = f'<{url}>; rel="next"'
        return response


def _pairs(params) -> list[tuple[str, str]]:
    return [(name, value) for name, values in params.lists() for value in values]


class FootprintDetailView(PactView):
    """GET /pact/3/footprints/{id}: GetFootprint; a deprecated footprint stays readable."""

    def get(self, request, pf_id: str):
        try:
            wanted = uuid.UUID(pf_id)
        except ValueError:
            raise DomainError("BadRequest", f"id: {pf_id!r} is not a UUID", field="id") from None
        footprint = visible_footprints(
            request.auth.viewer, ProductFootprint.objects.filter(id=wanted)
        ).first()
        if footprint is None:  # or one the client may not see: the same answer
            raise DomainError("NotFound", f"no footprint {pf_id}", status=404)
        return Response({"data": footprint.document})


# ---------------------------------------------------------------------------------------------
# Events


class EventsView(PactView):
    """POST /pact/3/events: a CloudEvent (structured mode); 200 with an empty body once accepted."""

    def post(self, request):
        content_type_check(request.content_type or "")
        try:
            event = StrictJSONParser().parse(io.BytesIO(request.body))
        except exceptions.ParseError as exc:
            raise DomainError("BadRequest", f"the body is not a JSON CloudEvent: {exc.detail}") from None
        event = cloud_event_check(event)
        event_accept(client=request.pact_client, event=event)
        return Response(status=200)


def extension_schema(request):
    """GET /pact/extensions/remelt-passport/1.0.0/schema.json: public, as PACT requires."""
    return JsonResponse(extension.schema(settings.PACT_PUBLIC_BASE_URL, EXTENSION_PATH))


# ---------------------------------------------------------------------------------------------
# Catena-X documents on the partner API (/api/v1/, API keys, the passports' visibility)


class CatenaXViewSet(RemeltViewSet):
    """A part's (by serial) or ingot lot's footprint as Catena-X documents."""

    queryset = Lot.objects.filter(kind__in=("part", "ingot"))
    lookup_field = "code"
    visible = visible_lots

    def _answer(self, document: dict | None, lot: Lot, what: str) -> Response:
        if document is None:
            raise DomainError("no_footprint", f"lot {lot.code!r} has no published {what} yet", status=409)
        return Response(document)

    @extend_schema(
        summary="The footprint as the Catena-X PCF aspect (urn:samm:io.catenax.pcf:9.0.0#Pcf)",
        description="The lot's current PACT ProductFootprint in Catena-X's model (JSON numbers, nested "
        "groups). 409 until its roll-up is published.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def pcf(self, request, *args, **kwargs):
        lot = self.get_object()
        return self._answer(catenax_pcf_of(lot), lot, "footprint")

    @extend_schema(
        summary="The recycled content as Catena-X secondary material content (verifiable, 1.0.0)",
        description="Pre- and post-consumer shares by mass (ISO 14021) of the lot's current footprint, in "
        "urn:samm:io.catenax.secondary_material_content_verifiable:1.0.0. 409 until it has a footprint.",
        responses={200: OpenApiTypes.OBJECT},
    )
    def secondary_material(self, request, *args, **kwargs):
        lot = self.get_object()
        return self._answer(catenax_secondary_of(lot), lot, "footprint")
