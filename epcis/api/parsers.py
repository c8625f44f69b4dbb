"""EPCIS documents arrive as JSON or JSON-LD; their quantities are read as exact decimals."""

from decimal import Decimal

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from config.api.parsers import StrictJSONParser


class DecimalJSONParser(JSONParser):
    """JSON whose fractional numbers become Decimals, so that 1250.5 KGM is 1250.500 kg exactly."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class EpcisJSONParser(StrictJSONParser, DecimalJSONParser):
    media_type = "application/json"


class EpcisJSONLDParser(EpcisJSONParser):
    media_type = "application/ld+json"
