"""The sync registry: each app declares its synced tables here, from its own `sync.py`,
as it registers models with the admin. The engine hard-codes no table.

A table names its model, its raw columns (WatermelonDB's snake_case, mapped to ORM paths),
who sees which rows (`audience`), and - if phones may write it - a push handler that calls
the app's services, so a pushed record meets the same rules as the REST API.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import orjson
from django.db import models
from django.db.models import Q

SCHEMA_VERSION = 1
MIN_SCHEMA_VERSION = 1


class PushHandler(Protocol):
    """Applies one pushed record through the app's services; raises umcr.errors.DomainError
    (or Http404) to refuse it, which sends it to the quarantine."""

    def create(self, ctx, record: dict) -> None: ...

    def update(self, ctx, record: dict, existing: models.Model) -> None: ...


@dataclass
class SyncTable:
    name: str
    model: type[models.Model]
    # raw column -> ORM path for values_list(); "id" is always the primary key.
    columns: dict[str, str]
    audience: Callable[[Any], Q]
    push: PushHandler | None = None
    # Mutable tables (people, follow-ups, referrals) refuse stale writes with 409;
    # append-only tables merge to the union and never conflict.
    mutable: bool = False
    # Applied in this order within a push (parents before children).
    push_order: int = 100
    since_version: int = 1
    column_versions: dict[str, int] = field(default_factory=dict)
    # Rows with voided_at set are sent as deleted.
    voidable: bool = False
    _converters: list | None = None

    def paths(self) -> list[str]:
        paths = [self.columns[name] for name in self.columns]
        paths += ["sync_seq", "created_seq"]
        if self.voidable:
            paths.append("voided_at")
        return paths

    def converters(self) -> list:
        """One function per column turning a database value into a raw JSON value."""
        if self._converters is None:
            self._converters = [
                _converter_for(self.model, path, name) for name, path in self.columns.items()
            ]
        return self._converters

    def columns_added_after(self, version: int) -> list[str]:
        return [c for c, v in self.column_versions.items() if v > version]


registry: dict[str, SyncTable] = {}


def register(table: SyncTable) -> SyncTable:
    if table.name in registry:
        raise ValueError(f"Sync table {table.name!r} is registered twice.")
    if "id" not in table.columns:
        raise ValueError(f"Sync table {table.name!r} needs an 'id' column.")
    registry[table.name] = table
    return table


def tables() -> list[SyncTable]:
    return sorted(registry.values(), key=lambda t: (t.push_order, t.name))


def epoch_ms(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _identity(value):
    return value


def _to_str(value):
    return None if value is None else str(value)


def _to_float(value):
    return None if value is None else float(value)


def _to_iso_date(value):
    return None if value is None else value.isoformat()


def _to_json_text(value):
    return orjson.dumps(value).decode()


def _converter_for(model, path: str, name: str):
    """WatermelonDB columns are strings, numbers and booleans: times become epoch
    milliseconds, ids and decimals their string and number, JSON a string."""
    field_obj = _resolve(model, path)
    if name == "id" or name.endswith("_id"):
        return _to_str
    if isinstance(field_obj, models.DateTimeField):
        return epoch_ms
    if isinstance(field_obj, models.DateField):
        return _to_iso_date
    if isinstance(field_obj, models.DecimalField):
        return _to_float
    if isinstance(field_obj, models.JSONField):
        return _to_json_text
    if isinstance(field_obj, models.UUIDField):
        return _to_str
    return _identity


def _resolve(model, path: str):
    parts = path.split("__")
    current = model
    field_obj = None
    for part in parts:
        field_obj = current._meta.get_field(part)
        if field_obj.is_relation and part != parts[-1]:
            current = field_obj.related_model
    return field_obj


def default_json(value):
    """orjson's fallback for the few types it lacks."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Cannot encode {type(value).__name__}")
