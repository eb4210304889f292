"""Pull: every change in the caller's scope since their cursor, from one consistent
snapshot, in WatermelonDB's shape. A bounded number of queries per table, whatever the data.

- Each record appears once, in its latest state (rows are read, not change logs).
- Records that left the caller's scope or were voided/deleted come back in `deleted`.
- `limit` pages a large first sync; pages are cut only at sequence boundaries, so each page
  is a consistent prefix and its `timestamp` is the cursor for the next.
- A cursor from before the caller's scope last changed (a new team, provider or role) is
  refused with 409 `resync_required`: the phone resets its database and pulls from null.
"""

import sys
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypedDict

from django.db import connection, transaction

from .. import audit
from ..errors import Invalid
from ..models import AccessChannel, SyncExit
from . import audience, sequence
from .registry import SyncTable, registry, tables
from .types import Record, ResponderLike

# A row as values_list() reads it: the table's columns, sync_seq, created_seq (voided_at).
Row = tuple[Any, ...]
# (table, record id, sequence number) of a SyncExit.
Exit = tuple[str, str, int]


class TableChanges(TypedDict):
    """One table's part of a pull, as WatermelonDB reads it (serializers.py documents it)."""

    created: list[Record]
    updated: list[Record]
    deleted: list[str]


class PullBody(TypedDict):
    changes: dict[str, TableChanges]
    # The cursor of the next pull: a server sequence number, not a clock.
    timestamp: int
    has_more: bool


@dataclass(frozen=True)
class PullRequest:
    last_pulled_at: int | None
    # WatermelonDB migration sync: tables and columns new to the client since `from`.
    migration: dict[str, Any] | None = None
    limit: int | None = None


class ResyncRequired(Exception):
    """The phone's cursor predates the caller's current scope: no incremental pull can
    remove the old scope's records from it or bring the new scope's older records."""

    status = 409

    def __init__(self, scope_changed_seq: int):
        super().__init__(scope_changed_seq)
        self.body = {
            "detail": "Your team, provider or role changed since your last pull: reset the "
            "local database and pull from the start (last_pulled_at null).",
            "code": "resync_required",
        }


def cursor_predates_scope(responder: ResponderLike, last_pulled_at: int | None) -> bool:
    """A cursor 0 or null already means "from the start"; any other below the responder's
    scope epoch was pulled under the old scope. Pull and push ask the same question."""
    return last_pulled_at is not None and 0 < last_pulled_at < responder.scope_changed_seq


def reload_scope(responder: ResponderLike) -> None:
    """The responder as this transaction sees them (pull's snapshot, push's lock). The one
    loaded with the token came before it: a scope change committed in between would
    otherwise be synced with the old audience under a cursor at or past its epoch, and never
    be noticed."""
    responder.refresh_from_db(fields=["team", "provider", "role", "scope_changed_seq"])


def _full_tables(request: PullRequest) -> set[str]:
    """Tables whose every row the client needs on a migration sync: those (or those with
    columns) new to it. Not asked on a first sync, which takes every row anyway."""
    if not request.migration:
        return set()
    names = set(request.migration.get("tables") or [])
    for entry in request.migration.get("columns") or []:
        names.add(entry.get("table"))
    from_version = request.migration.get("from")
    if isinstance(from_version, int):
        for table in tables():
            if table.since_version > from_version or table.columns_added_after(from_version):
                names.add(table.name)
    return names


class snapshot:
    """A read-only transaction that sees one instant of the database (REPEATABLE READ on
    PostgreSQL), so the cursor and every table agree."""

    def __enter__(self) -> "snapshot":
        # Inside a transaction already (a task, a test), its snapshot is what we have; the
        # isolation level can only be set as a transaction's first statement.
        outermost = not connection.in_atomic_block
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            except BaseException:
                self.atomic.__exit__(*sys.exc_info())
                raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.atomic.__exit__(exc_type, exc, traceback)


def pull_changes(*, responder: ResponderLike, request: PullRequest) -> PullBody:
    first_sync = request.last_pulled_at is None
    # On a first sync every row is new: -1 also takes rows stamped before sync existed.
    last = -1 if request.last_pulled_at is None else request.last_pulled_at
    whole = _full_tables(request) if not first_sync else set()
    with snapshot():
        reload_scope(responder)
        if cursor_predates_scope(responder, request.last_pulled_at):
            raise ResyncRequired(responder.scope_changed_seq)
        now = sequence.current()
        if last > now:
            raise Invalid(
                {
                    "last_pulled_at": [
                        f"Is ahead of the server's sequence ({now}): send the "
                        "timestamp of your last pull, not a clock."
                    ]
                }
            )
        if not first_sync and now == last and not whole:
            # Nothing at all was written since the cursor: no table needs a look.
            return {"changes": _no_changes(), "timestamp": now, "has_more": False}
        fetched = {
            table.name: _rows(table, responder, last, now, table.name in whole, request.limit)
            for table in tables()
        }
        exits = [] if first_sync else _exits(responder, last, now, request.limit)
        cut, has_more = _cut(fetched, exits, whole, request.limit, now)
        if request.limit:
            truncated = _complete_last_sequence(fetched, responder, cut, whole, request.limit)
            has_more = has_more or truncated
            if not first_sync and len(exits) > request.limit:
                # Every deletion up to the cut, however many one reassignment wrote.
                exits = _exits(responder, last, cut, None)

    changes = {
        table.name: _changes_for(
            table, fetched[table.name], exits, last, now if table.name in whole else cut, first_sync
        )
        for table in tables()
    }
    return {"changes": changes, "timestamp": cut, "has_more": has_more}


def note_pulled(body: PullBody, *, responder: ResponderLike) -> None:
    """Note the records of personal data a pull delivers (created and updated: deleted ids
    carry no data) for the access log, per table, from the ids already in hand. A pull holds
    only the caller's provider's records, so the rows name that provider; the desk's pulls
    span providers and name none. Tables of no personal kind (audit.PERSONAL_KINDS: status
    events, the services directory) are not logged."""
    for name, change in body["changes"].items():
        kind = registry[name].model._meta.model_name
        if kind in audit.PERSONAL_KINDS and (change["created"] or change["updated"]):
            audit.note_reads(
                channel=AccessChannel.SYNC,
                kind=kind,
                record_ids=[
                    record["id"] for part in ("created", "updated") for record in change[part]
                ],
                provider_id=responder.provider_id,
            )


def _no_changes() -> dict[str, TableChanges]:
    return {t.name: {"created": [], "updated": [], "deleted": []} for t in tables()}


def _rows(
    table: SyncTable,
    responder: ResponderLike,
    last: int,
    now: int,
    whole: bool,
    limit: int | None,
) -> list[Row]:
    # No ORDER BY unless paging needs one: the models' default orderings cost a sort.
    qs = table.model.objects.filter(table.audience(responder)).filter(sync_seq__lte=now).order_by()
    if whole:
        # A table or columns new to this client after a schema migration: all of it.
        return list(qs.values_list(*table.paths()))
    qs = qs.filter(sync_seq__gt=last)
    if limit:
        # Enough to decide the page; rows past the cut wait for the next page.
        qs = qs.order_by("sync_seq")[: limit + 1]
    return list(qs.values_list(*table.paths()))


def _exits(responder: ResponderLike, last: int, now: int, limit: int | None) -> list[Exit]:
    qs = SyncExit.objects.filter(
        audience__in=audience.keys_of(responder), seq__gt=last, seq__lte=now
    ).order_by("seq")
    if limit:
        qs = qs[: limit + 1]
    return list(qs.values_list("table", "record_id", "seq"))


def _cut(
    fetched: dict[str, list[Row]], exits: list[Exit], whole: set[str], limit: int | None, now: int
) -> tuple[int, bool]:
    """The last sequence number this page covers, and whether more remain."""
    if not limit:
        return now, False
    seqs: list[int] = []
    for table in tables():
        if table.name not in whole:
            width = len(table.columns)
            seqs.extend(row[width] for row in fetched[table.name])
    seqs.extend(seq for _, _, seq in exits)
    if len(seqs) <= limit:
        return now, False
    seqs.sort()
    cut = seqs[limit - 1]
    if seqs[limit] == cut:
        # A page never ends inside one sequence number: rows written together stay
        # together (the page is shorter, or longer if one number holds more than a page).
        below = [s for s in seqs[:limit] if s < cut]
        cut = below[-1] if below else cut
    # More than a page was fetched, so something lies past the cut (or, when one number
    # holds more than a page, the next page may be empty: harmless).
    return cut, True


def _complete_last_sequence(
    fetched: dict[str, list[Row]], responder: ResponderLike, cut: int, whole: set[str], limit: int
) -> bool:
    """A table's fetch stopped at limit + 1 rows: if it stopped inside the cut's sequence
    number (one bulk update holding more than a page), fetch all of that number's rows, so
    the page ends after it, never inside it. Returns whether any fetch was truncated."""
    truncated = False
    for table in tables():
        rows = fetched[table.name]
        width = len(table.columns)
        if table.name in whole or len(rows) <= limit:
            continue
        truncated = True
        if rows[-1][width] <= cut:
            extra = (
                table.model.objects.filter(table.audience(responder))
                .filter(sync_seq=cut)
                .values_list(*table.paths())
            )
            known = {row[0] for row in rows}
            rows.extend(row for row in extra if row[0] not in known)
    return truncated


def _changes_for(
    table: SyncTable,
    rows: list[Row],
    exits: list[Exit],
    last: int,
    cut: int,
    first_sync: bool,
) -> TableChanges:
    created: list[Record] = []
    updated: list[Record] = []
    deleted: list[str] = []
    names = list(table.columns)
    converters = table.converters()
    width = len(names)
    seen: set[str] = set()
    for row in rows:
        seq, created_seq = row[width], row[width + 1]
        if seq > cut:
            continue
        record = {
            name: convert(value)
            for name, convert, value in zip(names, converters, row, strict=False)
        }
        seen.add(record["id"])
        if table.voidable and row[width + 2] is not None:
            if not first_sync:
                deleted.append(record["id"])
            continue
        if first_sync or created_seq > last:
            created.append(record)
        else:
            updated.append(record)
    for exit_table, record_id, seq in exits:
        if exit_table == table.name and seq <= cut and record_id not in seen:
            deleted.append(record_id)
            seen.add(record_id)
    return {"created": created, "updated": updated, "deleted": deleted}
