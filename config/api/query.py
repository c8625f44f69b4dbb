"""Query parameters read as the schema states them: a parameter that is given is read or
refused with a field error, never ignored (`?direction=`, `?voided=null`, `?page_size=abc`).

Each endpoint declares its parameters once, as a `QuerySerializer` or a `StrictFilterSet`; the
validation and the OpenAPI parameters (types, minimums, maximums, non-empty strings) both come
from that declaration.
"""

import re

import django_filters
from django import forms
from django_filters import rest_framework as filters
from django_filters.fields import BaseCSVField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

EMPTY = "This parameter may not be empty."
_DIGITS = re.compile(r"[0-9]{1,18}")  # below 2**63, so it fits the database's bigint


class WholeNumberField(serializers.IntegerField):
    """Digits only, as the schema's integer says (not `1.0`, `+1` or ` 1`), at most 18 of them."""

    default_error_messages = {"invalid": "A whole number (digits only, at most 18) is required."}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_value", 10**18 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, int) and not _DIGITS.fullmatch(str(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


def _empty_errors(query, names) -> dict[str, list[str]]:
    return {name: [EMPTY] for name in names if name in query and query.get(name) == ""}


class QuerySerializer(serializers.Serializer):
    """Query parameters: one given empty is refused, where DRF would take it as absent."""

    def to_internal_value(self, data):
        errors = _empty_errors(data, self.fields)
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        # A comma-separated list (`ordering=`) may be empty, as the schema's array may.
        single = [name for name, field in self.fields.items() if not isinstance(field, BaseCSVField)]
        for name, messages in _empty_errors(self.data, single).items():
            self.add_error(name, messages)
        return cleaned


class StrictFilterSet(filters.FilterSet):
    """A FilterSet whose filters refuse an empty value (django-filter would skip the filter)."""

    def get_form_class(self):
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (StrictFilterForm,), fields)


@extend_schema_field({"type": "string", "minLength": 1})
class TextFilter(filters.CharFilter):
    """A text filter; the schema says it may not be empty, as the form refuses it."""


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false`, as the schema's boolean: django-filter's own also reads `null`,
    `unknown`, `1`…, and takes what it cannot read as no filter at all."""

    widget = forms.TextInput  # hands over the text as given

    def to_python(self, value):
        if value in (None, ""):
            return None  # absent (an empty parameter is refused by the form)
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")

    def validate(self, value) -> None:
        """Any value to_python let through is one."""


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
