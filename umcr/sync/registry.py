"""The sync registry: each app declares its synced tables here, from its own `sync.py`,
as it registers models with the admin. The engine hard-codes no table.

A table names its model, its raw columns (WatermelonDB's snake_case; only those read from an
ORM path of another name are mapped), who sees which rows (`audience`), and - if phones may
write it - a push handler that calls the app's services, so a pushed record meets the same
rules as the REST API.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from django.db import models
from django.db.models import Func, Q, QuerySet
from django.db.models.functions import Cast

from .types import Record
from .window import Window

# 2: calls carry their program (program_id; issue 15).
# 3: the tables transports and destination_refusals (issue 15).
# 4: on-scene safety check-ins and safety alerts (check_ins, safety_alerts; issue 16).
SCHEMA_VERSION = 4
MIN_SCHEMA_VERSION = 1

# Turns one database value into a raw JSON value.
Converter = Callable[[Any], Any]
# A table's part of the sync window (umcr/sync/window.py), given the responder and the
# pull's window: (inside, moved) - the rows a phone holds, and those whose membership may
# have changed since the cursor. Filters on the table's model.
WindowRule = Callable[[Any, Window], tuple[Q, Q]]


class PushHandler(Protocol):
    """Applies one pushed record through the app's services; raises umcr.errors.DomainError
    (or Http404) to refuse it, which sends it to the quarantine. An app types `ctx` with its
    own models, e.g. `PushContext[Responder, Device]` (umcr/sync/context.py)."""

    def create(self, ctx: Any, record: Record) -> None: ...

    def update(self, ctx: Any, record: Record, existing: Any) -> None: ...


@dataclass
class SyncTable:
    """One synced table. `columns` are its raw columns (WatermelonDB's snake_case) in the
    order a pull sends them; each is the model field of the same name (`call_id` is the
    call's id) unless `renames` maps it to another ORM path for values_list(), e.g.
    `{"recorded_at": "created_at"}`. "id" is always the primary key."""

    name: str
    # A SyncedModel, unless the table is push-only (`pulled` False).
    model: type[models.Model]
    columns: Sequence[str]
    audience: Callable[[Any], Q]
    renames: Mapping[str, str] = field(default_factory=dict)
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
    # What of the table phones hold; None: all of the audience (the services directory).
    window: WindowRule | None = None
    # The rows of a first sync's first page (the open calls and theirs), given the
    # responder and the page's snapshot; None: the table waits for the pages after it.
    first_page: Callable[[Any, int], Q] | None = None
    # An anchor of a first sync's window (umcr.sync.window.Window.anchors): its first page
    # finds the ids of the rows inside once, by the full rule, and the pages after it test
    # membership by id. For tables whose rule is costly on every page (subqueries over
    # other tables); the table's primary key must be a UUID.
    anchor: bool = False
    # False: a push-only table of reports the phone sends and the server folds into its own
    # rows (a team's availability, its position pings): no pull carries it, and its records'
    # ids are the phone's own, never looked up (the handler makes a replay harmless).
    pulled: bool = True
    _converters: list[Converter] | None = None

    def __post_init__(self) -> None:
        self.columns = tuple(self.columns)
        unknown = set(self.renames) - set(self.columns)
        if unknown:
            raise ValueError(
                f"Sync table {self.name!r} renames columns it does not have: {sorted(unknown)}."
            )
        if len(set(self.columns)) != len(self.columns):
            raise ValueError(f"Sync table {self.name!r} names a column twice.")

    def path(self, column: str) -> str:
        """The ORM path a raw column is read from."""
        return self.renames.get(column, column)

    def paths(self) -> list[str]:
        paths = [self.path(name) for name in self.columns]
        paths += ["sync_seq", "created_seq"]
        if self.voidable:
            paths.append("voided_at")
        return paths

    def converters(self) -> list[Converter]:
        """One function per column turning a database value into a raw JSON value."""
        if self._converters is None:
            self._converters = [
                _converter_for(self.model, self.path(name), name) for name in self.columns
            ]
        return self._converters

    def reading(self, vendor: str) -> tuple[list[Any], list[Converter]]:
        """What a pull selects for each column (a path or an expression), and the converter
        that makes it a raw JSON value. PostgreSQL sends times as epoch milliseconds (the
        same values), which spares parsing a datetime in Python for each, a third of a
        row's cost; and ids as text, which spares making a UUID object of each and turning
        it back into text. (Ids read as text once seemed to grow a worker more: that was
        each page kept alive by a cycle until the collector ran, fixed in
        umcr/sync/views.py FreedAfterUse.)"""
        converters = self.converters()
        if vendor != "postgresql":
            return [self.path(name) for name in self.columns], converters
        picked: list[Any] = []
        ready: list[Converter] = []
        for name, convert in zip(self.columns, converters, strict=True):
            if convert is epoch_ms:
                picked.append(EpochMs(self.path(name)))
                ready.append(identity)
            elif convert is _to_str:
                picked.append(Cast(self.path(name), models.TextField()))
                ready.append(identity)
            else:
                picked.append(self.path(name))
                ready.append(convert)
        return picked, ready

    def select(self, rows: QuerySet[Any], vendor: str) -> QuerySet[Any]:
        """`rows` as a pull reads them: its columns (reading()), then sync_seq and
        created_seq (and voided_at)."""
        picked, _ = self.reading(vendor)
        named = {f"sync_wire_{i}": p for i, p in enumerate(picked) if not isinstance(p, str)}
        names = [p if isinstance(p, str) else f"sync_wire_{i}" for i, p in enumerate(picked)]
        if named:
            rows = rows.annotate(**named)
        return rows.values_list(*names, *self.paths()[len(self.columns) :])

    def columns_added_after(self, version: int) -> list[str]:
        return [c for c, v in self.column_versions.items() if v > version]


registry: dict[str, SyncTable] = {}


def register(table: SyncTable) -> SyncTable:
    if table.name in registry:
        raise ValueError(f"Sync table {table.name!r} is registered twice.")
    if "id" not in table.columns:
        raise ValueError(f"Sync table {table.name!r} needs an 'id' column.")
    if table.anchor and not isinstance(table.model._meta.pk, models.UUIDField):
        raise ValueError(f"Sync table {table.name!r} is an anchor without a UUID primary key.")
    registry[table.name] = table
    return table


def tables(*, pushed: bool = False) -> list[SyncTable]:
    """The tables a pull sends, in push order; with `pushed`, every table a push takes (the
    push-only ones too)."""
    return sorted(
        (t for t in registry.values() if pushed or t.pulled), key=lambda t: (t.push_order, t.name)
    )


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MILLISECOND = dt.timedelta(milliseconds=1)


def epoch_ms(value: dt.datetime | None) -> int | None:
    """Whole milliseconds since the epoch, rounded down (exactly, as EpochMs does)."""
    return None if value is None else (value - EPOCH) // MILLISECOND


class EpochMs(Func):
    """epoch_ms in SQL (PostgreSQL): whole milliseconds since the epoch, rounded down."""

    template = "floor(extract(epoch from %(expressions)s) * 1000)::bigint"
    output_field = models.BigIntegerField()

    def get_db_converters(self, connection: Any) -> list[Any]:
        # The bigint arrives as an int: no int() of every time of every row.
        return []


def identity(value: Any) -> Any:
    return value


def _to_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _to_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _to_iso_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _to_json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _converter_for(model: type[models.Model], path: str, name: str) -> Converter:
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
    return identity


def _resolve(model: type[models.Model], path: str) -> Any:
    parts = path.split("__")
    current: Any = model
    field_obj: Any = None
    for part in parts:
        field_obj = current._meta.get_field(part)
        if field_obj.is_relation and part != parts[-1]:
            current = field_obj.related_model
    return field_obj
