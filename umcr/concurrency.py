"""Optimistic concurrency for REST changes of mutable records (follow-ups, referrals): the
client sends the version it last saw - the record's `version` field, as `If-Match: "<n>"`
or `"version": n` in the body - and a change based on an older version is a 409 naming the
current one (umcr.errors.StaleVersion). A change without a version is applied as before
(last write wins), so older clients keep working; the field app always sends it.

The version is the record's sync sequence number, which every write moves.
"""

from rest_framework.exceptions import ValidationError

from .errors import StaleVersion


def expected_version(request) -> int | None:
    """The version the client based its change on, or None if it named none."""
    header = request.headers.get("If-Match", "").strip()
    raw = None
    if header and header != "*":
        raw = header.removeprefix("W/").strip('"')
        name = "If-Match"
    elif isinstance(request.data, dict) and request.data.get("version") is not None:
        raw = request.data["version"]
        name = "version"
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValidationError({"version": ["Must be a whole number."]})
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ['Must be the record\'s version, e.g. "1042".']}) from None
    if not 0 <= version < 2**63:
        raise ValidationError({name: ["Out of range."]})
    return version


def check_version(record, expected: int | None, what: str) -> None:
    """Refuse a change based on an older version of `record` (locked by the caller)."""
    if expected is not None and expected != record.sync_seq:
        raise StaleVersion(what, record.sync_seq)


def if_match_parameter():
    """The If-Match header as the OpenAPI schema documents it on each change endpoint."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiParameter

    return OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description='The record\'s `version` as you last read it, e.g. `"1042"` (or send '
        "`version` in the body). A change based on an older version is a 409 with code "
        "`stale` and `current_version`.",
    )
