"""The calls app's synced tables: calls (read-only for phones), their field records, and
the people served. Pushed records go through calls.services, like the REST API."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q

from responders.models import Device, Responder
from umcr.errors import Conflict, Invalid
from umcr.sync.context import PushContext
from umcr.sync.parsing import record_text, record_time, record_uuid
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record
from umcr.sync.window import Window

from . import services
from .choices import BackupReason, CallStatus, Disposition, EventKind
from .models import BackupRequest, Call, Note, Outcome, Person, StatusEvent
from .permissions import call_records_scope, call_scope, people_scope

Context = PushContext[Responder, Device]


def calls_audience(responder: Responder) -> Q:
    return call_scope(responder)


def records_of(resource: str) -> Callable[[Responder], Q]:
    """The audience of a call's records of one kind: whoever sees the call, if their role
    reads that kind (the desk pulls events and backup requests, not notes or outcomes:
    it gets each call's disposition and police involvement on the call itself)."""

    def audience(responder: Responder) -> Q:
        return call_records_scope(responder, resource)

    return audience


def people_audience(responder: Responder) -> Q:
    return people_scope(responder)


# --- the sync window (umcr/sync/window.py) --------------------------------------------------

CLOSED_CALL = (CallStatus.CLEARED, CallStatus.CANCELLED)


@dataclass(frozen=True)
class WindowHolder:
    """Records of an app built on calls (follow-ups, referrals) that keep the call and the
    person they point at (their `call` and `person` foreign keys) on the phones while
    `open`. Registered by the app (hold_in_window), so calls never imports it."""

    model: type[Model]
    open: Q


_holders: list[WindowHolder] = []


def hold_in_window(model: type[Model], open_filter: Q) -> None:
    """Keep the calls and people that `model`'s open records point at in the window."""
    _holders.append(WindowHolder(model, open_filter))


def _holder_rows(holder: WindowHolder) -> Any:
    return holder.model._default_manager.order_by()


def held_calls(column: str) -> Q:
    """Rows whose call (`column`: "pk" on Call, "call_id" on its records) an open holder
    points at."""
    q = Q(pk__in=[])
    for holder in _holders:
        rows = _holder_rows(holder).filter(holder.open, call_id__isnull=False)
        q |= Q(**{f"{column}__in": rows.values("call_id")})
    return q


def holders_changed(column: str, w: Window, target: str = "call_id", also: Q | None = None) -> Q:
    """Rows whose call (or person, `target`) a holder written since the cursor points at:
    a follow-up scheduled on an old call, or closed, moves it in or out of the window. A
    flat OR, one term per holder (each ANDed with `also`): the pull reads each term as its
    own indexed branch (umcr/sync/pull.py)."""
    q = Q(pk__in=[])
    for holder in _holders:
        rows = _holder_rows(holder).filter(**{"sync_seq__gt": w.last, f"{target}__isnull": False})
        term = Q(**{f"{column}__in": rows.values(target)})
        q |= term if also is None else term & also
    return q


def call_inside(w: Window, prefix: str = "") -> Q:
    """Calls in the window (a filter on Call, or with prefix "call__" on its records): open,
    received since the window's start, or held by an open follow-up or referral."""
    column = f"{prefix}pk" if not prefix else prefix.removesuffix("__") + "_id"
    return (
        ~Q(**{f"{prefix}status__in": CLOSED_CALL})
        | Q(**{f"{prefix}received_at__gte": w.start})
        | held_calls(column)
    )


def call_moved(w: Window, prefix: str = "") -> Q:
    """Calls (or their records) whose place in the window may have changed since the
    cursor with no write to the row itself: received where the window's start moved; an old
    call a holder written since points at; for a call's records, their old call written
    since (reopened, closed)."""
    if w.first_sync:
        return Q(pk__in=[])
    column = "pk" if not prefix else prefix.removesuffix("__") + "_id"
    moved = w.moved_by_time(f"{prefix}received_at")
    if w.moved_to is not None:
        # A recent call was inside at the previous pull and is inside now, holder or not.
        moved |= holders_changed(column, w, also=Q(**{f"{prefix}received_at__lt": w.moved_to}))
    if prefix and w.moved_to is not None:
        moved |= Q(**{f"{prefix}sync_seq__gt": w.last, f"{prefix}received_at__lt": w.moved_to})
    return moved


def calls_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    return call_inside(w), call_moved(w)


def call_records_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """A call's records are inside while their call is."""
    return call_inside(w, "call__"), call_moved(w, "call__")


def linked_window(w: Window, changed_at: str) -> tuple[Q, Q]:
    """For the records of apps built on calls (follow-ups, referrals), with their own rule
    for open ones: inside if their call is, or if closed (`changed_at`: when their status
    last moved) since the window's start. Their app ORs in its open records."""
    inside = Q(call__isnull=False) & call_inside(w, "call__") | Q(**{f"{changed_at}__gte": w.start})
    moved = w.moved_by_time(changed_at) | (Q(call__isnull=False) & call_moved(w, "call__"))
    return inside, moved


def people_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """The people on calls in the window, those an open follow-up or referral points at,
    and those on no call recorded since the window's start (on a phone, say)."""
    on_calls = Call.objects.filter(call_inside(w), person=OuterRef("pk")).order_by()
    on_no_call = ~Q(Exists(Call.objects.filter(person=OuterRef("pk")).order_by()))
    inside = Q(Exists(on_calls)) | held_people() | (on_no_call & Q(created_at__gte=w.start))
    if w.first_sync:
        return inside, Q(pk__in=[])
    moved_calls = Call.objects.filter(
        call_moved(w) | Q(sync_seq__gt=w.last, received_at__lt=w.moved_to or w.start),
        person=OuterRef("pk"),
    ).order_by()
    moved = (
        Q(Exists(moved_calls))
        | holders_changed("pk", w, target="person_id")
        | w.moved_by_time("created_at")
    )
    return inside, moved


def open_calls_first(responder: Responder, snapshot: int) -> Q:
    """A first sync's first page: the open calls (unchanged since its snapshot, so that the
    pages after it can tell them), for the app to show before the rest arrives."""
    return ~Q(status__in=CLOSED_CALL) & Q(sync_seq__lte=snapshot)


def open_call_records_first(responder: Responder, snapshot: int) -> Q:
    """... with their records."""
    return (
        ~Q(call__status__in=CLOSED_CALL)
        & Q(call__sync_seq__lte=snapshot)
        & Q(sync_seq__lte=snapshot)
    )


def open_call_people_first(responder: Responder, snapshot: int) -> Q:
    """... and the people they are about."""
    calls = Call.objects.filter(
        call_scope(responder),
        ~Q(status__in=CLOSED_CALL),
        sync_seq__lte=snapshot,
        person=OuterRef("pk"),
    ).order_by()
    return Q(Exists(calls)) & Q(sync_seq__lte=snapshot)


def held_people() -> Q:
    q = Q(pk__in=[])
    for holder in _holders:
        rows = _holder_rows(holder).filter(holder.open, person_id__isnull=False)
        q |= Q(pk__in=rows.values("person_id"))
    return q


def call_for(ctx: Context, record: Record) -> Call:
    """The record's call, within the pusher's scope (looked up once per push)."""
    call_id = record_uuid(record, "call_id")
    call = ctx.lookups.get(
        Call, call_id, lambda: Call.objects.filter(call_scope(ctx.responder), pk=call_id).first()
    )
    if call is None:
        raise Invalid({"call_id": ["No such call in your scope."]})
    return call


def unchanged_or_refuse(existing: Any, what: str, **values: Any) -> None:
    """Append-only: an update of a stored record is a replay (same values) or refused."""
    if any(getattr(existing, name) != value for name, value in values.items()):
        raise Conflict(
            f"{what} are append-only; write a correction instead of editing.",
            code="append_only",
        )


class StatusEventPush:
    def create(self, ctx: Context, record: Record) -> None:
        kind = record_text(record, "kind", 16)
        if kind not in EventKind.values:
            raise Invalid({"kind": [f"Not one of {', '.join(EventKind.values)}."]})
        services.record_status_event(
            call=call_for(ctx, record),
            responder=ctx.responder,
            device=ctx.device,
            kind=kind,
            occurred_at=record_time(record, "occurred_at"),
            event_id=record_uuid(record),
        )

    def update(self, ctx: Context, record: Record, existing: StatusEvent) -> None:
        unchanged_or_refuse(
            existing,
            "Status events",
            kind=record.get("kind"),
            occurred_at=record_time(record, "occurred_at"),
        )


class NotePush:
    def create(self, ctx: Context, record: Record) -> None:
        services.add_note(
            call=call_for(ctx, record),
            responder=ctx.responder,
            device=ctx.device,
            body=record_text(record, "body"),
            written_at=record_time(record, "written_at"),
            note_id=record_uuid(record),
            amends=record_uuid(record, "amends_id", required=False),
        )

    def update(self, ctx: Context, record: Record, existing: Note) -> None:
        unchanged_or_refuse(existing, "Notes", body=record_text(record, "body"))


class OutcomePush:
    def create(self, ctx: Context, record: Record) -> None:
        police = record.get("police_involved")
        served = record.get("people_served", 1)
        if not isinstance(police, bool):
            raise Invalid({"police_involved": ["Must be true or false."]})
        if isinstance(served, bool) or not isinstance(served, int) or not 0 <= served <= 100:
            raise Invalid({"people_served": ["Must be a whole number from 0 to 100."]})
        disposition = record_text(record, "disposition", 32)
        if disposition not in Disposition.values:
            raise Invalid({"disposition": [f"Not one of {', '.join(Disposition.values)}."]})
        services.record_outcome(
            call=call_for(ctx, record),
            responder=ctx.responder,
            device=ctx.device,
            outcome_id=record_uuid(record),
            disposition=disposition,
            police_involved=police,
            people_served=served,
            summary=record_text(record, "summary"),
            occurred_at=record_time(record, "occurred_at"),
            supersedes=record_uuid(record, "supersedes_id", required=False),
        )

    def update(self, ctx: Context, record: Record, existing: Outcome) -> None:
        unchanged_or_refuse(existing, "Outcomes", disposition=record.get("disposition"))


class BackupRequestPush:
    def create(self, ctx: Context, record: Record) -> None:
        reason = record_text(record, "reason", 32)
        if reason not in BackupReason.values:
            raise Invalid({"reason": [f"Not one of {', '.join(BackupReason.values)}."]})
        services.request_backup(
            call=call_for(ctx, record),
            responder=ctx.responder,
            device=ctx.device,
            request_id=record_uuid(record),
            reason=reason,
            details=record_text(record, "details", 5000),
            occurred_at=record_time(record, "occurred_at"),
        )

    def update(self, ctx: Context, record: Record, existing: BackupRequest) -> None:
        status = record.get("status")
        if status and status != existing.status:
            # The team's one move: calling its request off.
            services.move_backup_request(backup=existing, responder=ctx.responder, to_status=status)
            return
        unchanged_or_refuse(existing, "Backup requests", reason=record.get("reason"))


class PersonPush:
    def create(self, ctx: Context, record: Record) -> None:
        # An id stored already and out of the pusher's scope is refused by the service
        # (id_taken), saying nothing of whom it names.
        services.create_person(
            responder=ctx.responder,
            person_id=record_uuid(record),
            fields=services.person_fields(record),
            call_id=record_uuid(record, "call_id", required=False),
        )

    def update(self, ctx: Context, record: Record, existing: Person) -> None:
        # `existing` is in the pusher's scope: the engine looks ids up in the audience.
        services.update_person(
            person=existing, responder=ctx.responder, fields=services.person_fields(record)
        )


# The columns every field record starts with (its id, its call's, who wrote it).
FIELD_RECORD = ["id", "call_id", "responder_id"]
# Field records' server receipt time; the phone's own time has its own column.
RECORDED_AT = {"recorded_at": "created_at"}

register(
    SyncTable(
        name="calls",
        model=Call,
        columns=[
            "id",
            "cad_incident_number",
            "call_type",
            "priority",
            "status",
            "address",
            "latitude",
            "longitude",
            "division_id",
            "narrative",
            "caller_account",
            "safety_flags",
            "person_id",
            "team_id",
            "received_at",
            "dispatched_at",
            "acknowledged_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "cleared_at",
            "cancelled_at",
            "disposition",
            "police_involved",
            "updated_at",
        ],
        audience=calls_audience,
        window=calls_window,
        first_page=open_calls_first,
        push_order=10,
    )
)
register(
    SyncTable(
        name="people",
        model=Person,
        columns=[
            "id",
            "given_name",
            "family_name",
            "preferred_name",
            "birth_date",
            "approximate_age",
            "phone",
            "language",
            "updated_at",
        ],
        audience=people_audience,
        window=people_window,
        first_page=open_call_people_first,
        push=PersonPush(),
        mutable=True,
        voidable=True,
        push_order=5,
    )
)
register(
    SyncTable(
        name="outcomes",
        model=Outcome,
        columns=[
            *FIELD_RECORD,
            "disposition",
            "police_involved",
            "people_served",
            "summary",
            "occurred_at",
            "recorded_at",
            "supersedes_id",
        ],
        renames=RECORDED_AT,
        audience=records_of("outcome_details"),
        window=call_records_window,
        first_page=open_call_records_first,
        push=OutcomePush(),
        voidable=True,
        # Before status events: a call is cleared only with an outcome.
        push_order=20,
    )
)
register(
    SyncTable(
        name="status_events",
        model=StatusEvent,
        columns=[*FIELD_RECORD, "kind", "occurred_at", "recorded_at"],
        renames=RECORDED_AT,
        audience=records_of("status_events"),
        window=call_records_window,
        first_page=open_call_records_first,
        push=StatusEventPush(),
        voidable=True,
        push_order=30,
    )
)
register(
    SyncTable(
        name="notes",
        model=Note,
        columns=[*FIELD_RECORD, "body", "written_at", "recorded_at", "amends_id"],
        # The phone's name for when the note was written.
        renames={"written_at": "occurred_at", **RECORDED_AT},
        audience=records_of("notes"),
        window=call_records_window,
        first_page=open_call_records_first,
        push=NotePush(),
        voidable=True,
        push_order=40,
    )
)
register(
    SyncTable(
        name="backup_requests",
        model=BackupRequest,
        columns=[
            *FIELD_RECORD,
            "reason",
            "details",
            "status",
            "occurred_at",
            "status_changed_at",
        ],
        audience=records_of("backup_requests"),
        window=call_records_window,
        first_page=open_call_records_first,
        push=BackupRequestPush(),
        voidable=True,
        push_order=50,
    )
)
