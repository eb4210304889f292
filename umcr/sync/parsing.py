"""Reading raw WatermelonDB records with the REST API's own serializers: one parser for
both ways in, so a value is checked in one place and an error names the same field both
ways. Not the applying (push.py) nor the rules (the apps' services).

Two things differ between a pushed record and a REST body, and only these:
- Times: WatermelonDB stores epoch milliseconds; `EpochMillisDateTimeField` takes them (and
  ISO 8601, as REST does) wherever the REST serializer has a time field, within the same
  bounds (umcr/bounds.py).
- Names: a WatermelonDB column `<name>_id` is the REST field `<name>` (`call_id` is `call`,
  `service_id` is `service`, `amends_id` is `amends`); every other column has its REST
  field's name. A refused record's error keys are the REST field names (`api_name`).
"""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from .. import bounds
from ..api import BoundedDateTimeField
from ..errors import Invalid
from .types import Record

# Any DRF field (the stubs make Field generic in four types).
AnyField = serializers.Field[Any, Any, Any, Any]


def api_name(column: str) -> str:
    """The REST field a WatermelonDB column is: `call_id` -> `call`; `id` and every column
    not ending in `_id` keep their name."""
    return column[:-3] if column.endswith("_id") and column != "id" else column


class EpochMillisDateTimeField(BoundedDateTimeField):
    """A REST time field that also takes epoch milliseconds (WatermelonDB's times), with
    the same bounds: 2000-01-01 to 2100-01-01 (UTC)."""

    default_error_messages = {
        "invalid": "Must be epoch milliseconds or ISO 8601 with a time zone.",
        "out_of_range": bounds.TIME_RANGE_MESSAGE,
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, bool):
            self.fail("invalid")
        if isinstance(value, int | float):
            try:
                moment = datetime.fromtimestamp(value / 1000, tz=UTC)
            except (OverflowError, OSError, ValueError):
                self.fail("out_of_range")
            bounded: datetime = self.enforce_timezone(moment)
            return bounded
        if isinstance(value, str) and len(value) > 64:  # longer is no ISO 8601 time
            self.fail("invalid")
        parsed: datetime = super().to_internal_value(value)
        return parsed


def _for_records(field: AnyField) -> AnyField:
    """The field as a pushed record is read: a time also as epoch milliseconds."""
    if isinstance(field, serializers.DateTimeField):
        args: Any = getattr(field, "_args", ())
        kwargs: Any = getattr(field, "_kwargs", {})
        return EpochMillisDateTimeField(*args, **kwargs)
    return field


class RecordParser:
    """One table's pushed records read by the REST serializer of the same records.

    Built once per push and table (a serializer's fields are built once, then each record
    is run through them: `Serializer.run_validation`, as DRF's `many=True` does), so the
    parsing costs no query and no per-record set-up. `extra` names REST fields a record
    carries as a column but REST takes from the URL (a note's call: `call_id`)."""

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],  # type: ignore[type-arg]
        *,
        extra: dict[str, AnyField] | None = None,
        partial: bool = False,
    ):
        self.serializer = serializer_class(partial=partial)
        fields = self.serializer.fields
        for name, field in (extra or {}).items():
            fields[name] = field
        for name, field in list(fields.items()):
            replaced = _for_records(field)
            if replaced is not field:
                fields[name] = replaced

    def parse(self, record: Record) -> dict[str, Any]:
        """The record's values under their REST names, validated; Invalid naming each bad
        field by its REST name otherwise."""
        data = {api_name(column): value for column, value in record.items()}
        try:
            validated: dict[str, Any] = self.serializer.run_validation(data)
        except serializers.ValidationError as exc:
            raise Invalid(_plain(exc.detail)) from None
        return validated


def _plain(detail: Any) -> Any:
    """DRF's error detail as plain JSON (ErrorDetail strings become str)."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def record_ids(records: Iterable[Record], column: str) -> list[uuid.UUID]:
    """The UUIDs a column of these records holds, to find their rows at once (a slice's
    calls); a value that is no UUID is left out, refused when its record is parsed."""
    found = []
    for record in records:
        value = record.get(column)
        if isinstance(value, str):
            try:
                found.append(uuid.UUID(value))
            except ValueError:
                continue
    return found
