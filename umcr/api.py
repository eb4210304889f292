"""Pieces every app's API shares: the responder behind a request, and the permission that
requires one."""

from contextlib import contextmanager

from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from responders.models import Responder

from .errors import Invalid

# A router lookup that only matches a UUID (any case), so a malformed id is a 404, not a query.
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def request_responder(request) -> Responder:
    """The signed-in responder (loaded with the token in one query)."""
    try:
        return request.user.responder
    except Responder.DoesNotExist as exc:
        raise PermissionDenied("This account has no responder profile.") from exc


class IsResponder(BasePermission):
    """Signed in, with a responder profile (every field endpoint needs one)."""

    message = "This account has no responder profile."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return hasattr(request.user, "responder")


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


@contextmanager
def api_field_names(**renames):
    """Services name arguments (`person_id`); the API's fields are `person`. Re-raise a
    service's field errors under the names the client sent."""
    try:
        yield
    except Invalid as exc:
        if isinstance(exc.detail, dict):
            exc.detail = {renames.get(key, key): value for key, value in exc.detail.items()}
        raise


def strict_boolean_filter(**kwargs):
    """A true/false query filter that refuses anything else with a 400 (django-filter's
    BooleanFilter silently ignores `?open=maybe`)."""
    import django_filters

    return django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        **kwargs,
    )
