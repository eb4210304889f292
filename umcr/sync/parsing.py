"""Reading raw WatermelonDB records: times are epoch milliseconds (ISO 8601 accepted),
ids are strings. Each failure names the column, for the quarantine and the phone."""

import uuid
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from ..errors import Invalid


def record_uuid(record: dict, column: str = "id", required: bool = True) -> uuid.UUID | None:
    raw = record.get(column)
    if raw in (None, ""):
        if required:
            raise Invalid({column: ["This column is required."]})
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Invalid({column: ["Not a valid UUID."]}) from None


def record_int(
    record: dict, column: str, *, required: bool = True, message: str = "Must be an id."
) -> int | None:
    """An integer id, as a number or its digits. Not `true` (Python's 1) and not 1.9 (which
    int() would quietly make 1): a wrong id is refused, never bent into another one."""
    value = record.get(column)
    if value in (None, "") and not required:
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise Invalid({column: [message]})
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise Invalid({column: [message]}) from None


def record_time(record: dict, column: str, required: bool = True) -> datetime | None:
    raw = record.get(column)
    if raw in (None, ""):
        if required:
            raise Invalid({column: ["This column is required (epoch milliseconds)."]})
        return None
    if isinstance(raw, bool):
        raise Invalid({column: ["Must be epoch milliseconds."]})
    if isinstance(raw, int | float):
        try:
            return datetime.fromtimestamp(raw / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise Invalid({column: ["Out of range."]}) from None
    try:
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid({column: ["Must be epoch milliseconds or ISO 8601 with a time zone."]})
    return parsed


def record_text(record: dict, column: str, max_length: int = 20000) -> str:
    raw = record.get(column)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid({column: ["Must be text."]})
    if len(raw) > max_length:
        raise Invalid({column: [f"At most {max_length} characters."]})
    if "\x00" in raw:
        raise Invalid({column: ["Contains a NUL character."]})
    return raw
