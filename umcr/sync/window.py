"""The sync window: what a phone holds, and how records leave and re-enter it.

A phone holds its scope's open calls, the calls received since the window's start (local
midnight SYNC_WINDOW_DAYS days ago; 0 turns the window off), whatever open follow-ups and
referrals point at, and the children of all those (events, notes, outcomes, backup
requests, follow-ups, referrals, people). The services directory stays whole. Each synced
table says what of it is inside (SyncTable.window: the apps spell it, umcr names no model;
an app built on calls extends the calls' window by registering, calls/sync.py).

Leaving and re-entering. A pull sends, besides the rows written since the cursor, the rows
whose membership *may* have changed since the phone's previous pull (`moved`): those now
inside go as updated (a re-entry: the phone had dropped them), those now outside as deleted
(the phone drops its copy; the server keeps the row; the same `deleted` as leaving scope).
Membership changes two ways, both caught:
- by a write: an old call reopened or closed, a follow-up scheduled on an old call or closed
  (the call's or the holder's sync_seq is past the cursor);
- by time alone: the window's start moves forward at midnight, and a closed call received
  before it ages out with no write at all. For that a pull must know the window start the
  phone's previous pull used, and the cursor is only a sequence number (WatermelonDB treats it
  as opaque). So the start is recorded, not guessed: each time it moves (once a day, or when
  the setting changes) the first pull to see it writes a SyncMark (start, claimed sequence
  number) before its snapshot. A pull that answered cursor `c` ran after the latest mark at or
  below `c` and used that mark's start or a later one's; so calls received between the
  smallest and largest start used since that mark and the start now are `moved`. A cursor
  below every mark (older than the feature) takes the whole history before now's start as
  moved: a one-off burst of deletes, never a lost one.

Why not a daily task writing SyncExit rows for the calls crossing the edge: one exit per
record per audience (a team, a provider, the desk) each day, a task that must never miss a
day, and a window that changes with no task to match; the marks cost one tiny row a day and
a pull computes the same answer from the rows themselves. Sending a delete of a record the
phone never had, or an update of one it has, is harmless (WatermelonDB skips the first and
applies the second with sendCreatedAsUpdated); losing one is not, so every bound here errs
on the wide side.
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, transaction
from django.db.models import Lookup, Q, UUIDField
from django.utils import timezone

from ..models import SyncMark
from . import sequence

# A filter that matches nothing (Q(pk__in=[]) compiles to no query at all).
NOTHING = Q(pk__in=[])
# The start of a window that is off: every call is inside.
WHOLE_HISTORY = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Window:
    """One pull's window: its start, the cursor, and the received times whose membership
    may have changed since the cursor (`moved_from` <= received < `moved_to`)."""

    start: dt.datetime
    # The cursor: rows written after it are sent anyway; -1 on a first sync.
    last: int
    first_sync: bool
    # None: unbounded below (a cursor older than every mark).
    moved_from: dt.datetime | None = None
    # Calls received before this may have entered or left the window by a write since the
    # cursor (were they inside at the previous pull? unknown, so they are looked at).
    moved_to: dt.datetime | None = None
    enabled: bool = True
    # A first sync's window, fixed at its first page's snapshot S: for each anchor table
    # (SyncTable.anchor), the ids of its rows inside, found once by the full rules on that
    # page. Its pages read rows up to S, so they test membership by id instead of
    # re-deriving it on every page (at benchmark scale, most of a first sync's time); what
    # changed after S comes with the incremental pull from S that follows. Other tables'
    # rules may use an anchor too (a call's records, their call's). None: no anchors.
    anchors: Mapping[str, "Ids"] | None = None

    # "in": the rows a pull re-sends (time brings a row in only when the window grew);
    # "out": the rows it sends as deleted (time takes a row out as the start moves on).
    direction: str = "in"

    def moved_by_time(self, field: str) -> Q:
        """Rows whose `field` (a received or changed time) lies where the window's start
        moved since the previous pull, in this window's direction."""
        if self.first_sync or self.moved_to is None:
            return NOTHING
        low: dt.datetime | None
        if self.direction == "in":
            low, high = self.start, self.moved_to
        else:
            low, high = self.moved_from, self.start
        if low is None:
            return Q(**{f"{field}__lt": high})
        if low >= high:
            return NOTHING
        return Q(**{f"{field}__gte": low, f"{field}__lt": high})

    def leaving(self) -> "Window":
        return replace(self, direction="out")

    @property
    def still(self) -> bool:
        """Nothing moved by time since the cursor (an empty pull may answer at once)."""
        return (
            self.first_sync
            or not self.enabled
            or (self.moved_from is not None and self.moved_from == self.start == self.moved_to)
        )


_UUID = r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
CANONICAL_UUIDS = re.compile(rf"\{{(?:{_UUID}(?:,{_UUID})*)?\}}")


@dataclass(frozen=True)
class Ids:
    """An anchor's ids (Window.anchors): UUIDs, as one lookup value (Django would walk a
    list item by item)."""

    values: tuple[str, ...]

    @cached_property
    def literal(self) -> str:
        """A PostgreSQL array literal, built (and checked) once per page."""
        literal = "{" + ",".join(self.values) + "}"
        if not CANONICAL_UUIDS.fullmatch(literal):
            raise ValueError("An anchor holds something other than canonical UUIDs.")
        return literal


def among(column: str, ids: Ids) -> Q:
    """Rows whose UUID `column` is one of `ids` (PostgreSQL): one array literal, where an IN
    list of thousands of parameters (or a list adapted item by item) takes several times as
    long to build, send and parse, on every page."""
    return Q(**{f"{column}__among": ids})


def terms(q: Q) -> list[Q]:
    """`q` as a flat OR of terms, each with no OR left at its top: an AND holding one OR is
    distributed over it (`a & (b | c)`: `a & b`, `a & c`), as an OR inside one branch
    defeats the indexes just as at the top (a follow-up's "its call moved": a scan of
    every call, 80 ms a pull). NOTHING has no term."""
    if q.negated:
        return [q]
    if q.connector == Q.OR and len(q.children) > 1:
        found: list[Q] = []
        for child in q.children:
            found.extend(terms(child if isinstance(child, Q) else Q(child)))
        return found
    if q == NOTHING:
        return []
    ors = [c for c in q.children if isinstance(c, Q) and c.connector == Q.OR and not c.negated]
    if q.connector == Q.AND and len(ors) == 1 and len(ors[0].children) > 1:
        rest = [c for c in q.children if c is not ors[0]]
        return [Q(*rest, term) for term in terms(ors[0])]
    return [q]


def is_among(q: Q) -> bool:
    """Whether `q` is one anchor test (`among`) and nothing else."""
    return (
        not q.negated
        and len(q.children) == 1
        and isinstance(q.children[0], tuple)
        and q.children[0][0].endswith("__among")
    )


@UUIDField.register_lookup
class Among(Lookup):
    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        # Anchors exist on PostgreSQL only (umcr.sync.pull._anchored).
        raise NotSupportedError("The among lookup needs PostgreSQL.")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::uuid[])", (*lhs_params, self.rhs.literal)


def window_days() -> int:
    return int(settings.SYNC_WINDOW_DAYS)


def current_start(now: dt.datetime | None = None) -> dt.datetime:
    """Local midnight SYNC_WINDOW_DAYS days ago (WHOLE_HISTORY when the window is off): a
    bound that moves once a day, so pulls of one day agree."""
    days = window_days()
    if days <= 0:
        return WHOLE_HISTORY
    today = timezone.localdate(now)
    midnight = dt.datetime.combine(today - dt.timedelta(days=days), dt.time())
    return timezone.make_aware(midnight)


def ensure_mark(start: dt.datetime) -> None:
    """Record that pulls from now on use `start` (one query; a write once a day). Runs
    before the pull's snapshot, in its own short transaction, so the snapshot sees it."""
    latest = (
        SyncMark.objects.filter(window_start__isnull=False)
        .order_by("-seq")
        .values_list("window_start", flat=True)
        .first()
    )
    if latest == start:
        return
    with transaction.atomic():
        SyncMark.objects.create(seq=sequence.claim(), window_start=start)


def marks() -> list[tuple[int, dt.datetime | None]]:
    """Every mark, oldest first (a row a day within the exit retention: a short list)."""
    return list(SyncMark.objects.order_by("seq").values_list("seq", "window_start"))


def horizon(all_marks: list[tuple[int, dt.datetime | None]]) -> int:
    """The highest sequence number of a purged exit (0 if none was purged)."""
    return max((seq for seq, start in all_marks if start is None), default=0)


def latest_start(
    all_marks: list[tuple[int, dt.datetime | None]], fallback: dt.datetime
) -> dt.datetime:
    """The start pulls use now: the latest mark's (ensure_mark wrote it before the
    snapshot), so that the marks at or below a cursor name the start its pull used."""
    starts = [start for _, start in all_marks if start is not None]
    return starts[-1] if starts else fallback


def resumed(
    start: dt.datetime, last: int, window_from: dt.datetime | None, window_to: dt.datetime | None
) -> Window:
    """The window of a page after the first (umcr.models.SyncPage): the pages before it
    used starts from `window_from` to `window_to`."""
    return Window(
        start=start,
        last=last,
        first_sync=False,
        moved_from=None if window_from is None else min(window_from, start),
        moved_to=max(window_to or start, start),
        enabled=start != WHOLE_HISTORY,
    )


def for_pull(
    last: int | None, all_marks: list[tuple[int, dt.datetime | None]], start: dt.datetime
) -> Window:
    """The window of a pull from cursor `last` (None: a first sync)."""
    enabled = start != WHOLE_HISTORY
    if last is None:
        return Window(start=start, last=-1, first_sync=True, enabled=enabled)
    starts = [(seq, s) for seq, s in all_marks if s is not None]
    at_or_below = [i for i, (seq, _) in enumerate(starts) if seq <= last]
    if not at_or_below:
        used = [s for _, s in starts] + [start]
        return Window(
            start=start,
            last=last,
            first_sync=False,
            moved_from=None,
            moved_to=max(used),
            enabled=enabled,
        )
    used = [s for _, s in starts[at_or_below[-1] :]] + [start]
    return Window(
        start=start,
        last=last,
        first_sync=False,
        moved_from=min(used),
        moved_to=max(used),
        enabled=enabled,
    )
