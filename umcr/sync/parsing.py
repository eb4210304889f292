"""Reading raw WatermelonDB records: times are epoch milliseconds (ISO 8601 accepted),
ids are strings. Each failure names the column, for the quarantine and the phone. The
bounds are the REST API's (umcr/bounds.py), so a value refused there is refused here."""

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal, overload

from django.utils.dateparse import parse_datetime

from .. import bounds
from ..errors import Invalid
from .types import Record


@overload
def record_uuid(
    record: Record, column: str = "id", required: Literal[True] = True
) -> uuid.UUID: ...
@overload
def record_uuid(record: Record, column: str, required: bool) -> uuid.UUID | None: ...
def record_uuid(record: Record, column: str = "id", required: bool = True) -> uuid.UUID | None:
    raw = record.get(column)
    if raw in (None, ""):
        if required:
            raise Invalid({column: ["This column is required."]})
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Invalid({column: ["Not a valid UUID."]}) from None


@overload
def record_int(
    record: Record, column: str, *, required: Literal[True] = True, message: str = ...
) -> int: ...
@overload
def record_int(
    record: Record, column: str, *, required: bool, message: str = ...
) -> int | None: ...
def record_int(
    record: Record, column: str, *, required: bool = True, message: str = "Must be an id."
) -> int | None:
    """An integer id, as a number or its digits. Not `true` (Python's 1) and not 1.9 (which
    int() would quietly make 1): a wrong id is refused, never bent into another one; nor one
    outside a bigint, which no row has."""
    value: Any = record.get(column)
    if value in (None, "") and not required:
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise Invalid({column: [message]})
    if isinstance(value, str) and len(value) > 20:
        raise Invalid({column: [message]})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise Invalid({column: [message]}) from None
    if bounds.id_problem(number) is not None:
        raise Invalid({column: [message]})
    return number


@overload
def record_time(record: Record, column: str, required: Literal[True] = True) -> datetime: ...
@overload
def record_time(record: Record, column: str, required: bool) -> datetime | None: ...
def record_time(record: Record, column: str, required: bool = True) -> datetime | None:
    raw = record.get(column)
    if raw in (None, ""):
        if required:
            raise Invalid({column: ["This column is required (epoch milliseconds)."]})
        return None
    if isinstance(raw, bool):
        raise Invalid({column: ["Must be epoch milliseconds."]})
    if isinstance(raw, int | float):
        try:
            parsed = datetime.fromtimestamp(raw / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise Invalid({column: [bounds.TIME_RANGE_MESSAGE]}) from None
    else:
        parsed = _iso_time(raw, column)
    problem = bounds.time_problem(parsed)
    if problem is not None:
        raise Invalid({column: [problem]})
    return parsed


def _iso_time(raw: object, column: str) -> datetime:
    try:
        # 64 characters hold any ISO 8601 time; longer is not one.
        parsed = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 64 else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid({column: ["Must be epoch milliseconds or ISO 8601 with a time zone."]})
    return parsed


def record_date(record: Record, column: str) -> date | None:
    """A date of birth, YYYY-MM-DD, from 1900-01-01 to today; None when empty."""
    raw = record.get(column)
    if raw in (None, ""):
        return None
    try:
        parsed = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise Invalid({column: ["Must be a date, YYYY-MM-DD."]})
    problem = bounds.birth_date_problem(parsed)
    if problem is not None:
        raise Invalid({column: [problem]})
    return parsed


def record_text(record: Record, column: str, max_length: int = bounds.MAX_TEXT_LENGTH) -> str:
    raw = record.get(column)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise Invalid({column: ["Must be text."]})
    problem = bounds.text_problem(raw, max_length)
    if problem is not None:
        raise Invalid({column: [problem]})
    return raw
