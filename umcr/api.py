"""Pieces every app's API shares: the responder behind a request, the permission that
requires one, and the bounded parsing of input (serializer fields, query filters) that
keeps every stored value one every reader can serialize (bounds in umcr/bounds.py)."""

from datetime import datetime
from typing import Any

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from . import bounds
from .actors import user_responder

# A router lookup that only matches a UUID (any case), so a malformed id is a 404, not a query.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def request_responder(request) -> Any:
    """The signed-in responder (loaded with the token in one query): a
    `responders.models.Responder`, typed `Any` as umcr/actors.py says why."""
    responder = user_responder(request.user)
    if responder is None:
        raise PermissionDenied("This account has no responder profile.")
    return responder


class IsResponder(BasePermission):
    """Signed in, with a responder profile (every field endpoint needs one)."""

    message = "This account has no responder profile."

    def has_permission(self, request, view) -> bool:
        return bool(request.user) and user_responder(request.user) is not None


class StrictCursorPagination(CursorPagination):
    """DRF's cursor pagination, but a bad `cursor` or `page_size` is a 400 naming it (DRF
    answers 404 and ignores the size)."""

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from None

    def get_page_size(self, request):
        return parse_page_size(
            request, self.page_size_query_param, self.page_size, self.max_page_size
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = page_size_schema(self.page_size, self.max_page_size)
        return parameters


def page_size_schema(default: int, maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}


def parse_page_size(request, param: str, default: int, maximum: int) -> int:
    """`?page_size=`, or a 400 naming it when it is not a whole number in range."""
    raw = request.query_params.get(param)
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({param: ["Must be a whole number."]}) from None
    if not 1 <= size <= maximum:
        raise ValidationError({param: [f"Must be between 1 and {maximum}."]})
    return size


def strict_boolean_filter(**kwargs):
    """A true/false query filter that refuses anything else with a 400 (django-filter's
    BooleanFilter silently ignores `?open=maybe`)."""
    return django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        **kwargs,
    )


# --- bounded input fields -------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": "ISO 8601 with an offset of whole minutes under 16 hours; "
        "from 2000-01-01 to 2100-01-01 (UTC).",
    }
)
class BoundedDateTimeField(serializers.DateTimeField):
    """A time every reader can serialize back: an offset PostgreSQL takes, years 2000-2100."""

    def enforce_timezone(self, value):
        if value.tzinfo is not None:
            problem = bounds.offset_problem(value)
            if problem is not None:
                raise serializers.ValidationError(problem, code="invalid")
        value = super().enforce_timezone(value)
        problem = bounds.time_problem(value)
        if problem is not None:
            raise serializers.ValidationError(problem, code="out_of_range")
        return value


class BirthDateField(serializers.DateField):
    """A date of birth: 1900-01-01 to today."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        problem = bounds.birth_date_problem(parsed)
        if problem is not None:
            raise serializers.ValidationError(problem, code="out_of_range")
        return parsed


def id_field(**kwargs) -> serializers.IntegerField:
    """An integer id (a PostgreSQL bigint): anything outside 1..2^63-1 names no row."""
    return serializers.IntegerField(min_value=1, max_value=bounds.MAX_ID, **kwargs)


# --- strict query filters ----------------------------------------------------------------


class StrictFilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, strict, for every list: a NUL character in a filter's value,
    an empty value for a filter that is not free text (an enum, a UUID, a boolean, a time)
    and a time out of bounds (umcr/bounds.py) are each a 400 naming the parameter.
    django-filter itself takes an empty value as no filter, and hands PostgreSQL offsets
    it refuses (`+16:00`)."""

    def get_form_class(self):
        base = super().get_form_class()
        filters = self.filters

        def clean(form):
            cleaned = base.clean(form)
            for name in form.fields:
                values = form.data.getlist(name) if hasattr(form.data, "getlist") else []
                if any(bounds.NUL in value for value in values):
                    form.add_error(name, "Contains a NUL character.")
                elif "" in values and not _is_free_text(filters.get(name)):
                    form.add_error(
                        name, "Must not be empty; leave the parameter out to not filter by it."
                    )
                elif isinstance(cleaned.get(name), datetime):
                    problem = bounds.time_problem(cleaned[name])
                    if problem is not None:
                        form.add_error(name, problem)
            return form.cleaned_data

        return type(base.__name__, (base,), {"clean": clean})


def _is_free_text(filter_obj) -> bool:
    return isinstance(filter_obj, django_filters.CharFilter) and not isinstance(
        filter_obj, django_filters.ChoiceFilter
    )


@extend_schema_field(OpenApiTypes.DATETIME)
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter whose bounds (umcr/bounds.py) StrictFilterSet enforces."""


def query_text(request, name: str, max_length: int) -> str:
    """A free-text query parameter ('' when absent), or a 400 naming it: too long, or holding
    a NUL character (PostgreSQL refuses one in a query)."""
    raw = request.query_params.get(name, "")
    problem = bounds.text_problem(raw, max_length)
    if problem is not None:
        raise ValidationError({name: [problem]})
    return raw


def query_choice(request, name: str, choices) -> str | None:
    """An enum query parameter (None when absent), or a 400 naming it, empty included."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise ValidationError({name: [f"Not one of {', '.join(choices)}."]})
    return raw


def query_bool(request, name: str) -> bool | None:
    """`true`/`false` (None when absent), or a 400 naming it, empty included."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise ValidationError({name: ["Must be true or false."]})
    return raw == "true"
