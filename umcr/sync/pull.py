"""Pull: every change in the caller's scope and sync window since their cursor, from one
consistent snapshot, in WatermelonDB's shape. A bounded number of queries per table,
whatever the data; a bounded amount of memory, whatever the history.

- Each record appears once, in its latest state (rows are read, not change logs).
- Records that left the caller's scope or were voided/deleted come back in `deleted`; so
  do those that left the window (umcr/sync/window.py: by a write or by time alone), and
  those that re-entered it come back as updated.
- Paging is the rule: a page holds at most SYNC_MAX_PAGE records (`limit` asks for fewer),
  whether or not the client asked; a first sync's planned pages (below) at most
  SYNC_FIRST_SYNC_PAGE. Pages are cut only at sequence boundaries, so each page is a
  consistent prefix. The page's sequence numbers are decided first (a query per table of at
  most a page of integers), then its rows are streamed from server-side cursors in chunks
  and kept as JSON text (packed.Packed): a worker holds one page's text, never a history.
- The cursor stays a whole number the client treats as opaque. The last page answers the
  sequence number it reached. A page with more to come answers PAGE_CURSOR_BASE + the id of
  a SyncPage row (written after the read-only snapshot) holding its position, the window
  starts its pages used (so records that aged out mid-way are still sent as deleted), and
  for a first sync the snapshot of its first page. Both kinds stay below 2**53 (exact in
  JavaScript). The push reads a page cursor as its position (seq_of_cursor).
- Open calls first: a first sync larger than a page sends on its first page only the rows
  each table names for it (SyncTable.first_page: the open calls, their person and records,
  as of snapshot S). The pages after it, planned on the first (_plan) and up to
  SYNC_FIRST_SYNC_PAGE records each (fewer requests and reads for the window's download),
  read rows up to S as a first sync would, leaving out those first-page rows (a row still
  matching first_page(S) is unchanged since S, so it was sent), then go on as an
  incremental pull from S. Over all pages each record arrives once
  (a record of an open call changed between the pages may come twice: a newer version).
- A cursor from before the caller's scope last changed (a new team, provider or role), from
  before the exits the server keeps (SYNC_EXIT_RETENTION_DAYS), or naming an unknown page is
  refused with 409 `resync_required` (with its `reason`): the phone resets its database and
  pulls from null.
"""

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, TextField, UUIDField, Value
from django.db.models.functions import Cast

from .. import audit
from ..errors import Invalid
from ..models import AccessChannel, SyncExit, SyncPage
from . import audience, sequence, window
from .packed import Packed
from .registry import SyncTable, identity, registry, tables
from .types import Record, ResponderLike
from .window import Window

# Rows read from the database per round trip (a server-side cursor on PostgreSQL).
CHUNK = 2_000
# Why a pull is refused with resync_required.
SCOPE = "scope"
RETENTION = "retention"
EXPIRED = "expired"
# (table, record id, sequence number) of a SyncExit.
Exit = tuple[str, str, int]


class TableChanges(TypedDict):
    """One table's part of a pull, as WatermelonDB reads it (serializers.py documents it)."""

    created: Packed
    updated: Packed
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
    """The phone's cursor predates the caller's current scope (no incremental pull can
    remove the old scope's records from it or bring the new scope's older records), or the
    exits it would need were purged (umcr/sync/exits.py): the phone starts again."""

    status = 409

    def __init__(self, seq: int, reason: str = SCOPE):
        super().__init__(seq)
        why = {
            SCOPE: "Your team, provider or role changed since your last pull",
            RETENTION: "Your last pull is older than the server keeps deletions "
            f"({settings.SYNC_EXIT_RETENTION_DAYS} days)",
            EXPIRED: "The page you asked for is unknown or expired",
        }[reason]
        self.body = {
            "detail": f"{why}: reset the local database and pull from the start "
            "(last_pulled_at null).",
            "code": "resync_required",
            "reason": reason,
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
                    # Rows are read through server-side cursors (a page is streamed, never
                    # listed), which PostgreSQL plans for their first tenth unless told the
                    # whole answer is read: nested loops that take a page from 2 s to 45 s.
                    # No JIT: once the tables are analyzed, the window's subqueries cost
                    # more than jit_above_cost, and compiling them took 850 ms of a 1 s page
                    # query (a first pull at benchmark scale went from 4 s to 11 s). Random
                    # reads priced as on SSD or in cache (1.1, not the spinning disk's 4):
                    # else PostgreSQL scans a whole table for rows an index finds in a
                    # fraction of the time (a first sync's plan at benchmark scale: 190 ms
                    # at 4, 52 at 1.1).
                    cursor.execute(
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; "
                        "SET LOCAL cursor_tuple_fraction = 1.0; SET LOCAL jit = off; "
                        "SET LOCAL random_page_cost = 1.1"
                    )
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


# Cursors at or above this are pages (umcr.models.SyncPage ids), below it sequence numbers:
# both whole numbers under 2**53, exact as JavaScript numbers.
PAGE_CURSOR_BASE = 2**52


@dataclass(frozen=True)
class Cursor:
    """What a pull's `last_pulled_at` stands for."""

    # Rows written after this are sent (-1: from the start).
    last: int
    # Rows are sent as a first sync's (all created, nothing deleted).
    first_sync: bool
    # A first sync's open calls were sent as of this snapshot: rows up to it are sent as a
    # first sync's, but not those (the table's first_page rows) already on the first page.
    open_snapshot: int | None = None
    page: SyncPage | None = None

    @property
    def scope_seq(self) -> int | None:
        """The sequence number whose scope the phone's records are from."""
        if self.open_snapshot is not None:
            return self.open_snapshot
        return None if self.last < 0 else self.last


def seq_of_cursor(last_pulled_at: int | None) -> int | None:
    """The sequence number a cursor stands for (a page's position), for the push's
    staleness check: the phone has seen every change up to it."""
    if last_pulled_at is None or last_pulled_at < PAGE_CURSOR_BASE:
        return last_pulled_at
    page = SyncPage.objects.filter(pk=last_pulled_at - PAGE_CURSOR_BASE).first()
    return None if page is None else max(page.position, 0)


def _cursor(responder: ResponderLike, raw: int | None) -> Cursor:
    if raw is None:
        return Cursor(last=-1, first_sync=True)
    if raw < PAGE_CURSOR_BASE:
        return Cursor(last=raw, first_sync=False)
    if raw >= 2**53:
        raise Invalid({"last_pulled_at": ["Is no cursor this server gave: too large."]})
    page = (
        SyncPage.objects.select_related("first_page")
        .filter(pk=raw - PAGE_CURSOR_BASE, responder_id=responder.pk)
        .first()
    )
    if page is None:
        raise ResyncRequired(raw, reason=EXPIRED)
    snapshot_seq = page.open_snapshot
    if snapshot_seq is not None and page.position < snapshot_seq:
        return Cursor(page.position, True, snapshot_seq, page)
    return Cursor(page.position, False, None, page)


def pull_changes(*, responder: ResponderLike, request: PullRequest) -> PullBody:
    """One page of the caller's changes since their cursor (see the module's docstring)."""
    whole = _full_tables(request) if request.last_pulled_at is not None else set()
    # Paging is the rule: no answer holds more than a page, asked for or not; a first
    # sync's planned pages (the window's download after its open calls) hold more.
    limits = Limits.asked(request.limit)
    window.ensure_mark(window.current_start())
    with snapshot():
        reload_scope(responder)
        cursor = _cursor(responder, request.last_pulled_at)
        if cursor_predates_scope(responder, cursor.scope_seq):
            raise ResyncRequired(responder.scope_changed_seq)
        now = sequence.current()
        if cursor.page is None and cursor.last > now:
            raise Invalid(
                {
                    "last_pulled_at": [
                        f"Is ahead of the server's sequence ({now}): send the "
                        "timestamp of your last pull, not a clock."
                    ]
                }
            )
        all_marks = window.marks()
        purged = window.horizon(all_marks)
        seen_up_to = cursor.scope_seq
        if seen_up_to is not None and 0 < seen_up_to < purged:
            raise ResyncRequired(purged, reason=RETENTION)
        start = window.latest_start(all_marks, window.current_start())
        if cursor.page is not None:
            w = window.resumed(start, cursor.last, cursor.page.window_from, cursor.page.window_to)
            if cursor.first_sync:
                # A first sync's later pages: its window as its first page fixed it.
                w = replace(w, first_sync=True, anchors=_kept_anchors(cursor.page))
        else:
            w = window.for_pull(request.last_pulled_at, all_marks, start)
            if cursor.first_sync:
                w = _anchored(responder, w, now)
        if (
            cursor.page is None
            and not cursor.first_sync
            and now == cursor.last
            and not whole
            and w.still
        ):
            # Nothing at all was written since the cursor, and the window did not move:
            # no table needs a look.
            return {"changes": _no_changes(), "timestamp": now, "has_more": False}
        page = _page(responder, w, cursor, now, limits, whole)
    return _answer(responder, w, cursor, now, page)


# The most ids an anchor holds: a window larger than that (the desk's, city-wide) is
# re-derived on every page, as its ids would cost more to send with each query.
ANCHOR_MAX = 20_000


def _page_row(**fields: Any) -> SyncPage:
    with transaction.atomic():
        return SyncPage.objects.create(**fields)


def _kept_anchors(page: SyncPage) -> dict[str, window.Ids] | None:
    """The anchors a first sync's first page kept (its own row, or the one it names)."""
    kept = (page.first_page or page).anchors
    if kept is None:
        return None
    return {name: window.Ids(tuple(ids)) for name, ids in kept.items()}


def _anchored(responder: ResponderLike, w: Window, now: int) -> Window:
    """A first sync's window with its anchors (Window.anchors): each anchor table's ids
    inside, found once by the full rules in this snapshot. On PostgreSQL only: elsewhere (the
    development server on SQLite) the rules are re-derived on every page, as they can be."""
    anchor_tables = [table for table in tables() if table.anchor and table.window is not None]
    if not w.enabled or not anchor_tables or connection.vendor != "postgresql":
        return w
    found = {}
    for table in anchor_tables:
        view = _view(table, responder, w, now)
        ids = _bounded_ids(_pk_texts(view.rows.filter(view.inside)))
        if ids is not None:
            found[table.name] = ids
    return replace(w, anchors=found)


def _bounded_ids(pks: QuerySet[Any]) -> window.Ids | None:
    """The keys `pks` reads (_pk_texts), as one anchor-style value; None past ANCHOR_MAX,
    where holding and sending them would cost more than the rule they stand for."""
    found = tuple(pks[: ANCHOR_MAX + 1])
    return None if len(found) > ANCHOR_MAX else window.Ids(found)


def _pk_texts(rows: QuerySet[Any]) -> QuerySet[Any]:
    """The (UUID) primary keys of `rows` as PostgreSQL writes them: text, with no UUID
    object made and turned back into text for each."""
    texts: QuerySet[Any] = rows.annotate(sync_pk=Cast("pk", TextField())).values_list(
        "sync_pk", flat=True
    )
    return texts


@dataclass
class Page:
    changes: dict[str, TableChanges]
    # The sequence number the page reached; None for a first sync's first page.
    cut: int | None
    has_more: bool
    # A first sync's planned page ends (SyncPage.cuts), and how its pages are read
    # (SyncPage.plan_reads).
    plan: list[int] | None = None
    plan_reads: dict[str, Any] | None = None


@dataclass(frozen=True)
class Limits:
    # Records a page holds at most.
    page: int
    # Records a first sync's planned page holds at most (never fewer than `page`).
    planned: int

    @classmethod
    def asked(cls, limit: int | None) -> "Limits":
        """The server's pages, or fewer records if the phone asked for fewer."""
        page, planned = max_page(), first_sync_page()
        return cls(min(limit or page, page), min(limit or planned, planned))


def _page(
    responder: ResponderLike, w: Window, cursor: Cursor, now: int, limits: Limits, whole: set[str]
) -> Page:
    last, limit = cursor.last, limits.page
    # A first sync's later pages reach only its first page's snapshot, then go on as an
    # incremental pull from it.
    upto = now if cursor.open_snapshot is None else cursor.open_snapshot
    views = {table.name: _view(table, responder, w, upto) for table in tables()}
    # The window did not move and nothing of the caller's windowed tables was written since
    # the cursor (others' were): nothing can have changed, moved in or moved out there.
    quiet = not cursor.first_sync and w.still and not _written_since(views.values(), last)
    if quiet:
        views = {
            name: replace(v, rows=v.rows.none(), moved=window.NOTHING)
            if v.windowed and name not in whole
            else v
            for name, v in views.items()
        }
    if cursor.open_snapshot is not None:
        views = {name: _without_first_page(v, responder, upto) for name, v in views.items()}
    plan = None if cursor.page is None or cursor.open_snapshot is None else cursor.page.cuts
    opening = cursor.first_sync and cursor.open_snapshot is None
    if opening and _more_than([views[t.name] for t in tables()], limit):
        # More than a page: the open calls and theirs go first, so the app can show them;
        # the pages after them are planned now, once.
        rest = {n: _without_first_page(v, responder, now) for n, v in views.items()}
        plan, how = _plan([rest[t.name] for t in tables()], last, limits.planned, now)
        return Page(_first_page(responder, views, now), None, True, plan, how)
    seqs = {
        table.name: _seqs(views[table.name], last, limit)
        for table in tables()
        if table.name not in whole
        and plan is None
        and not opening
        and not (quiet and views[table.name].windowed)
    }
    exits = [] if cursor.first_sync else _exits(responder, last, upto, limit)
    if plan is not None:
        ahead = [c for c in plan if c > last]
        cut, has_more = (ahead[0], True) if ahead else (upto, False)
    else:
        cut, has_more = _cut(seqs, exits, limit, upto)
    if not cursor.first_sync and len(exits) > limit:
        # Every deletion up to the cut, however many one reassignment wrote.
        exits = _exits(responder, last, cut, None)
    leaving = w.leaving()
    # A planned page of a first sync reads only the tables its plan found rows in (a row up
    # to the snapshot is the one the plan saw: any change since gave it a later sequence
    # number), and reads them whole, as the plan bounds them to a page (unless one sequence
    # number holds more): a plain cursor lets PostgreSQL scan in parallel, where a streamed
    # one may not.
    reads = None if plan is None or cursor.page is None else cursor.page.plan_reads
    streamed = reads is None or cut in reads["streamed"]
    changes = _no_changes()
    for table in tables():
        if reads is not None and table.name not in reads["tables"]:
            continue
        changes[table.name] = _changes_for(
            table,
            views[table.name],
            # A first sync sends nothing as deleted: no leaving view to build.
            views[table.name]
            if quiet or cursor.first_sync
            else _view(table, responder, leaving, upto),
            exits,
            Span(last, cut, cursor.first_sync, streamed),
            table.name in whole,
        )
    if cursor.open_snapshot is not None and not has_more and upto < now:
        # The first sync reached its snapshot; what was written since comes next.
        has_more = True
    return Page(changes, cut, has_more, plan, reads)


def _answer(responder: ResponderLike, w: Window, cursor: Cursor, now: int, page: Page) -> PullBody:
    """The page with its cursor: the sequence number it reached when it is the last,
    else a SyncPage (written after the read-only snapshot) naming where the next starts."""
    if not page.has_more:
        assert page.cut is not None
        return {"changes": page.changes, "timestamp": page.cut, "has_more": False}
    starts = [w.start] + ([] if w.first_sync or w.moved_to is None else [w.moved_to])
    if cursor.page is not None and cursor.page.window_to is not None:
        # The starts the pages before used (a first sync's, whose anchors used its first
        # page's): a window grown since must still bring in what lies between.
        starts.append(cursor.page.window_to)
    earliest = (
        None
        if not w.first_sync and w.moved_from is None
        else min([w.start] + ([w.moved_from] if w.moved_from is not None else []))
    )
    if cursor.page is not None and cursor.page.window_from is not None and earliest is not None:
        earliest = min(earliest, cursor.page.window_from)
    plan = None
    reads = None
    anchors = None
    first_page = None
    if page.cut is None:
        position, open_snapshot, plan, reads = -1, now, page.plan, page.plan_reads
        # A first sync's window is kept once, on its first page's row.
        if w.anchors is not None:
            anchors = {name: list(ids.values) for name, ids in w.anchors.items()}
    elif cursor.open_snapshot is not None and page.cut < cursor.open_snapshot:
        position, open_snapshot = page.cut, cursor.open_snapshot
        plan, reads = page.plan, page.plan_reads
        assert cursor.page is not None
        first_page = cursor.page.first_page or cursor.page
    else:
        position, open_snapshot = page.cut, None
    try:
        row = _page_row(
            responder_id=responder.pk,
            position=position,
            open_snapshot=open_snapshot,
            window_from=earliest,
            window_to=max(starts),
            cuts=plan,
            plan_reads=reads,
            anchors=anchors,
            first_page=first_page,
        )
    except IntegrityError:
        # Its first page was purged meanwhile (umcr.sync.exits.FIRST_SYNC_KEPT).
        raise ResyncRequired(PAGE_CURSOR_BASE, reason=EXPIRED) from None
    return {
        "changes": page.changes,
        "timestamp": PAGE_CURSOR_BASE + row.pk,
        "has_more": True,
    }


def _first_page(
    responder: ResponderLike, views: dict[str, "TableView"], now: int
) -> dict[str, TableChanges]:
    """A first sync's first page: the rows each table names for it (the open calls, their
    person and records), all created."""
    changes = _no_changes()
    for table in tables():
        if table.first_page is None:
            continue
        # Open calls are inside any window, and so are theirs: no window test.
        rows = views[table.name].rows.filter(table.first_page(responder, now))
        created = changes[table.name]["created"]
        for record, voided in _records(table, table.select(rows, connection.vendor)):
            record.pop(CREATED_SEQ)
            if not voided:
                created.append(record)
    return changes


def _without_first_page(
    view: "TableView", responder: ResponderLike, snapshot_seq: int
) -> "TableView":
    if view.table.first_page is None:
        return view
    return replace(view, rows=view.rows.exclude(view.table.first_page(responder, snapshot_seq)))


def max_page() -> int:
    return max(1, int(settings.SYNC_MAX_PAGE))


def first_sync_page() -> int:
    return max(max_page(), int(settings.SYNC_FIRST_SYNC_PAGE))


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
                record_ids=change["created"].ids + change["updated"].ids,
                provider_id=responder.provider_id,
            )


def _no_changes() -> dict[str, TableChanges]:
    return {t.name: {"created": Packed(), "updated": Packed(), "deleted": []} for t in tables()}


@dataclass(frozen=True)
class TableView:
    """A table as one pull sees it: the caller's rows up to the snapshot, what of them is
    inside the window, and what may have moved in or out of it since the cursor."""

    table: SyncTable
    rows: QuerySet[Any]
    inside: Q
    moved: Q
    windowed: bool
    # `inside` is an anchor's test (a first sync's later pages, umcr/sync/window.py).
    anchored: bool = False


def _view(table: SyncTable, responder: ResponderLike, w: Window, now: int) -> TableView:
    # No ORDER BY unless paging needs one: the models' default orderings cost a sort.
    audience_of = table.audience(responder)
    rows = table.model._default_manager.filter(audience_of).filter(sync_seq__lte=now)
    if table.window is None or not w.enabled:
        return TableView(table, rows.order_by(), Q(), window.NOTHING, False)
    inside, moved = table.window(responder, w)
    if w.anchors is not None and table.name in w.anchors:
        inside = window.among("pk", w.anchors[table.name])
    # A table the caller may not read at all (the desk and notes) is no anchor's.
    anchored = window.is_among(inside) and window.terms(audience_of) != []
    return TableView(table, rows.order_by(), inside, moved, True, anchored)


def _written_since(views: Iterable[TableView], last: int) -> bool:
    """Whether any windowed table has a row of the caller's written since the cursor: one
    query (a UNION of one-row probes, each on the sync_seq index)."""
    probes = [
        view.rows.filter(sync_seq__gt=last).values_list("sync_seq")[:1]
        for view in views
        if view.windowed
    ]
    if not probes:
        return False
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (the development server) takes no LIMIT inside a UNION: one probe each.
        return any(probe.exists() for probe in probes)
    first, rest = probes[0], probes[1:]
    return bool(list(first.union(*rest, all=True)[:1] if rest else first))


def _more_than(views: list[TableView], limit: int) -> bool:
    """Whether a first sync holds more than `limit` rows: a bounded count per table until
    the answer is known. Unordered, so PostgreSQL finds a window's rows through its anchors'
    indexes; the first sequence numbers in order would read the whole history first."""
    counted = 0
    for view in views:
        counted += view.rows.filter(view.inside)[: limit + 1 - counted].count()
        if counted > limit:
            return True
    return False


def _seqs(view: TableView, last: int, limit: int) -> list[int]:
    """The first limit + 1 sequence numbers past the cursor: enough to decide the page."""
    qs = view.rows.filter(view.inside).filter(sync_seq__gt=last).order_by("sync_seq")
    return list(qs.values_list("sync_seq", flat=True)[: limit + 1])


def _plan(
    views: list[TableView], last: int, limit: int, end: int
) -> tuple[list[int], dict[str, Any]]:
    """Where each page of a first sync ends: the tables' sequence numbers past `last`, in
    order, from one streamed query (never listed), cut every `limit` rows, never inside one
    sequence number (a page is shorter, or longer if one number holds more than a page).
    The rows after the last cut make the last page, which ends at `end`. And how the pages
    are read (SyncPage.plan_reads): the tables with any row, and the ends of the pages
    longer than `limit`, which are streamed."""
    cuts: list[int] = []
    longer: list[int] = []
    found: set[int] = set()
    count = 0
    before = 0  # rows of the page before the current sequence number
    current: int | None = None
    previous: int | None = None
    for seq, index in _raw_rows(_tagged(views, last, end), CHUNK * 5):
        found.add(index)
        if seq != current:
            previous, current, before = current, seq, count
        count += 1
        if count > limit and before > 0 and previous is not None:
            cuts.append(previous)
            if before > limit:
                longer.append(previous)
            count -= before
            before = 0
    if count > limit:
        longer.append(end)
    tables_read = [views[index].table.name for index in sorted(found)]
    return cuts, {"tables": tables_read, "streamed": longer}


def _raw_rows(rows: QuerySet[Any], chunk: int) -> Iterator[tuple[Any, ...]]:
    """The rows of `rows` as the database sends them, a chunk at a time (a server-side
    cursor on PostgreSQL), without Django's iterator and converters for each row: for
    queries of plain numbers (a first sync's plan: 26,600 rows at benchmark scale)."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return  # every branch is empty (none of the tables is readable)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while fetched := cursor.fetchmany(chunk):
            yield from fetched


def _tagged(views: list[TableView], last: int, end: int) -> QuerySet[Any]:
    """Every table's sequence numbers in (last, end], each with the table's index in
    `views`, as one query in sequence order: PostgreSQL merges them, where merging one
    stream per table in Python took a generator step per row and table. For a table
    inside its anchor, those of every row the anchor names: more than the pages read (no
    audience, the first page's rows too), which only makes a page shorter, and found
    through the anchor's index alone, where the audience's joins made PostgreSQL scan the
    whole table (status events at benchmark scale: 81 ms, now 14)."""
    parts = []
    for index, view in enumerate(views):
        rows = view.table.model._default_manager.order_by() if view.anchored else view.rows
        rows = rows.filter(view.inside, sync_seq__gt=last, sync_seq__lte=end)
        parts.append(rows.annotate(sync_table=Value(index)).values_list("sync_seq", "sync_table"))
    return _union(parts).order_by("sync_seq")


def _exits(responder: ResponderLike, last: int, now: int, limit: int | None) -> list[Exit]:
    qs = SyncExit.objects.filter(
        audience__in=audience.keys_of(responder), seq__gt=last, seq__lte=now
    ).order_by("seq")
    if limit:
        qs = qs[: limit + 1]
    return list(qs.values_list("table", "record_id", "seq"))


def _cut(
    seqs_by_table: dict[str, list[int]], exits: list[Exit], limit: int, now: int
) -> tuple[int, bool]:
    """The last sequence number this page covers, and whether more remain."""
    seqs = [seq for table_seqs in seqs_by_table.values() for seq in table_seqs]
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
    # More than a page was counted, so something lies past the cut (or, when one number
    # holds more than a page, the next page may be empty: harmless).
    return cut, True


def branches(rows: QuerySet[Any], moved: Q) -> list[QuerySet[Any]]:
    """`rows` filtered by each term of `moved` (a flat OR), each its own query: one OR of
    "written since the cursor" and "moved" defeats every index (a 9 s empty pull at
    benchmark scale); apart, each term finds its few rows through its own index."""
    return [rows.filter(term) for term in window.terms(moved)]


def _written_or_moved(view: TableView, span: "Span", rule: Q) -> list[QuerySet[Any]]:
    """The view's rows up to the span's cut, written in it or moved (view.moved) since its
    start, that pass `rule` (a window's test), as querysets to read. An incremental pull
    on PostgreSQL takes two steps: the candidates' ids, then the rule on those rows alone,
    which PostgreSQL tests row by row; with the rule in every branch, it evaluated the
    rule's subqueries over every call of the city for each (a pull after one note of the
    team at benchmark scale: 1.25 s, now under 0.3 s; bench/RESULTS.md). A first sync's
    page has no moved branch and reads its rows inside in one step."""
    rows = view.rows.filter(sync_seq__lte=span.cut)
    parts = [rows.filter(sync_seq__gt=span.last), *branches(rows, view.moved)]
    two_steps = (
        view.windowed
        and not span.first_sync
        and connection.vendor == "postgresql"
        and isinstance(rows.model._meta.pk, UUIDField)
    )
    # Past ANCHOR_MAX (the window's start moved a long way) the rule goes into each part.
    ids = (
        _bounded_ids(_union([_pk_texts(part) for part in parts], every=False))
        if two_steps
        else None
    )
    if ids is None:
        return [part.filter(rule) for part in parts]
    if not ids.values:
        return [rows.none()]
    return [rows.filter(window.among("pk", ids)).filter(rule)]


def _union(parts: list[QuerySet[Any]], every: bool = True) -> QuerySet[Any]:
    """One query of UNION ALL branches (duplicates are dropped by the reader), or of UNION
    (`every` False: duplicates dropped by the database)."""
    first, rest = parts[0], parts[1:]
    return first.union(*rest, all=every) if rest else first


def _records(
    table: SyncTable, rows: QuerySet[Any], streamed: bool = True
) -> Iterator[tuple[Record, bool]]:
    """Each row as a raw record, and whether it is voided; streamed in chunks (or read
    whole, when a plan bounds them). `rows` is a queryset or a union of them, each as
    SyncTable.select reads it."""
    names = list(table.columns)
    width = len(names)
    converters = table.reading(connection.vendor)[1]
    # Only the columns whose value needs converting (most arrive as sent).
    converting = [
        (name, index, convert)
        for index, (name, convert) in enumerate(zip(names, converters, strict=True))
        if convert is not identity
    ]
    for row in rows.iterator(chunk_size=CHUNK) if streamed else rows:
        record = dict(zip(names, row, strict=False))
        for name, index, convert in converting:
            record[name] = convert(row[index])
        record[CREATED_SEQ] = row[width + 1]
        yield record, table.voidable and row[width + 2] is not None


# Carried in a record between _records and _changes_for, removed before it is sent.
CREATED_SEQ = "__created_seq"


@dataclass(frozen=True)
class Span:
    """What of each table a page reads: the rows written in (last, cut], as a first sync's
    (all created) or not, streamed in chunks or read whole (a planned page)."""

    last: int
    cut: int
    first_sync: bool
    streamed: bool = True


def _changes_for(
    table: SyncTable,
    view: TableView,
    leaving_view: TableView,
    exits: list[Exit],
    span: Span,
    whole: bool,
) -> TableChanges:
    """One table's part of the page: the rows inside the window written in the span's
    (last, cut] (all of them for a table new to the client), those that moved into the
    window, and as deleted the voided ones, those that moved out (window) and those that
    left (exits). Rows are streamed from the database in chunks (a server-side cursor),
    never listed, unless a plan bounds them."""
    last, cut, first_sync = span.last, span.cut, span.first_sync
    created = Packed()
    updated = Packed()
    deleted: list[str] = []
    seen: set[str] = set()
    if whole:
        selected = table.select(view.rows.filter(view.inside), connection.vendor)
    else:
        inside = _written_or_moved(view, span, view.inside)
        selected = _union([table.select(part, connection.vendor) for part in inside])
    for record, voided in _records(table, selected, span.streamed):
        created_seq = record.pop(CREATED_SEQ)
        if record["id"] in seen:
            continue  # read by two branches
        seen.add(record["id"])
        if voided:
            if not first_sync:
                deleted.append(record["id"])
            continue
        if first_sync or created_seq > last:
            created.append(record)
        else:
            updated.append(record)
    if first_sync:
        return {"created": created, "updated": updated, "deleted": deleted}
    if leaving_view.windowed:
        # Out of the window now, and written or moved since the cursor: the phone drops
        # its copy (if it has one); the server keeps the row.
        outside = _written_or_moved(leaving_view, span, ~leaving_view.inside)
        leaving = _union([part.values_list("pk", flat=True) for part in outside])
        for pk in leaving.iterator(chunk_size=CHUNK):
            record_id = str(pk)
            if record_id not in seen:
                deleted.append(record_id)
                seen.add(record_id)
    for exit_table, record_id, seq in exits:
        if exit_table == table.name and seq <= cut and record_id not in seen:
            deleted.append(record_id)
            seen.add(record_id)
    return {"created": created, "updated": updated, "deleted": deleted}
