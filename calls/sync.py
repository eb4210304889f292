"""The calls app's synced tables: calls (read-only for phones), their field records, and
the people served. Pushed records go through calls.services, like the REST API."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db import DataError, IntegrityError, transaction
from django.db.models import Exists, Model, OuterRef, Q
from rest_framework import serializers

from responders.api.serializers import AvailabilitySerializer, PingSerializer
from responders.models import Device, PositionPing, Responder, Team
from responders.permissions import team_scope
from responders.services import Ping, record_positions, set_availability
from umcr.errors import Conflict, DomainError, Invalid, NotAllowed
from umcr.sync.context import PushContext, Reason
from umcr.sync.parsing import RecordParser, record_ids
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record
from umcr.sync.window import NOTHING, Window, among, terms

from . import checkins, permissions, services
from .api.checkins import CheckInInputSerializer
from .api.serializers import (
    BackupInputSerializer,
    BackupStatusInputSerializer,
    EventInputSerializer,
    NoteInputSerializer,
    OutcomeInputSerializer,
    PersonInputSerializer,
)
from .choices import CallStatus
from .models import (
    BackupRequest,
    Call,
    CheckIn,
    DeskNote,
    Note,
    Outcome,
    Person,
    SafetyAlert,
    StatusEvent,
)
from .permissions import LockedCall, call_records_scope, call_scope, people_scope
from .selectors import find_in_scope

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
# The calls' table, an anchor of a first sync's window that its records' rules use.
CALLS = "calls"


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


def scoped_records_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """The same for records seen through their call (records_of), which on a first sync's
    pages test their call against the calls table's anchor: the same answer, since each of
    these records' calls is one of the caller's (calls.permissions.call_records_scope)."""
    if w.anchors is None or CALLS not in w.anchors:
        return call_records_window(responder, w)
    return among("call__pk", w.anchors[CALLS]), call_moved(w, "call__")


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
    # The recent ones first: PostgreSQL then looks for their calls only, not every call.
    inside = Q(Exists(on_calls)) | held_people() | (Q(created_at__gte=w.start) & on_no_call)
    if w.first_sync:
        return inside, Q(pk__in=[])
    # One EXISTS per way a call moves: an OR inside one makes PostgreSQL scan every call.
    on_moved_calls = NOTHING
    for term in terms(
        call_moved(w) | Q(sync_seq__gt=w.last, received_at__lt=w.moved_to or w.start)
    ):
        on_moved_calls |= Q(Exists(Call.objects.filter(term, person=OuterRef("pk")).order_by()))
    moved = (
        on_moved_calls
        | holders_changed("pk", w, target="person_id")
        | w.moved_by_time("created_at")
    )
    return inside, moved


def open_calls_first(responder: Responder, snapshot: int) -> Q:
    """A first sync's first page: the open calls (unchanged since its snapshot, so that the
    pages after it can tell them), for the app to show before the rest arrives."""
    return ~Q(status__in=CLOSED_CALL) & Q(sync_seq__lte=snapshot)


def open_call_records_first(responder: Responder, snapshot: int) -> Q:
    """... with their records: those of the caller's open calls (a few, whose records
    PostgreSQL finds through each table's call index)."""
    open_calls = Call.objects.filter(
        call_scope(responder), ~Q(status__in=CLOSED_CALL), sync_seq__lte=snapshot
    ).order_by()
    return Q(call_id__in=open_calls.values("pk")) & Q(sync_seq__lte=snapshot)


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


def unchanged_or_refuse(existing: Any, what: str, **values: Any) -> None:
    """Append-only: an update of a stored record is a replay (same values) or refused."""
    if any(getattr(existing, name) != value for name, value in values.items()):
        raise Conflict(
            f"{what} are append-only; write a correction instead of editing.",
            code="append_only",
        )


# A field record names its call in a column (`call_id`); REST takes it from the URL.
def _call_field() -> serializers.UUIDField:
    return serializers.UUIDField()


class CallRecordPush:
    """The push of one kind of a call's field records (events, notes, outcomes, backup
    requests): each record read by the REST endpoint's serializer (umcr.sync.parsing), and
    the calls a slice of them names found in the pusher's scope, locked and checked once
    (calls.permissions.lock_calls_for_writing); the service writes on the call it is given
    (a LockedCall). Subclasses name the serializer, the matrix resource and the service."""

    serializer: type[serializers.Serializer]
    resource: str

    def prepare(self, ctx: Context, records: list[Record]) -> None:
        """Each record parsed (no query): its values, or why it is refused."""
        parser = RecordParser(self.serializer, extra={"call": _call_field()})
        # By the record itself, not its id: a push may send one id twice (a replay, or an
        # id reused with other values, refused).
        parsed: dict[int, dict[str, Any] | Invalid] = {}
        for record in records:
            try:
                parsed[id(record)] = parser.parse(record)
            except Invalid as exc:
                parsed[id(record)] = exc
        ctx.held.put("parsed", parsed)

    def begin(self, ctx: Context, records: list[Record]) -> None:
        """The slice's calls, found in scope and locked in one query (after the counter)."""
        parsed = ctx.held.get("parsed", {})
        call_ids = {data["call"] for data in parsed.values() if isinstance(data, dict)}
        try:
            calls = permissions.lock_calls_for_writing(ctx.responder, call_ids, self.resource)
        except NotAllowed as exc:
            ctx.held.put("not_allowed", exc)
            calls = {}
        ctx.held.put("calls", calls)

    def parsed(self, ctx: Context, record: Record) -> dict[str, Any]:
        data = ctx.held.get("parsed", {}).get(id(record))
        if data is None:  # not prepared: a record outside the slice's list
            data = RecordParser(self.serializer, extra={"call": _call_field()}).parse(record)
        if isinstance(data, Invalid):
            raise data
        return cast(dict[str, Any], data)

    def call(self, ctx: Context, data: dict[str, Any]) -> LockedCall:
        not_allowed = ctx.held.get("not_allowed")
        if not_allowed is not None:
            raise not_allowed
        locked = ctx.held.get("calls", {}).get(data["call"])
        if locked is None:
            raise Invalid({"call": ["No such call in your scope."]})
        return cast(LockedCall, locked)

    def new_id(self, ctx: Context, data: dict[str, Any]) -> bool:
        """Whether the record's id is new: not stored (the engine's lookup of the slice's
        ids found it unused, after the counter) and not created earlier in this slice
        (one id sent twice: the service then looks for the replay itself)."""
        created: set[Any] = ctx.held.get("created") or set()
        ctx.held.put("created", created)
        if data["id"] in created:
            return False
        created.add(data["id"])
        return True

    def refused(self, ctx: Context, record: Record) -> None:
        """A refused record's savepoint was rolled back: its call is read again (still
        locked), in case the service had changed it in memory before the refusal."""
        data = ctx.held.get("parsed", {}).get(id(record))
        locked = ctx.held.get("calls", {}).get(data["call"]) if isinstance(data, dict) else None
        if locked is not None and not self.queues_writes:
            locked.call.refresh_from_db()

    queues_writes = False


class StatusEventPush(CallRecordPush):
    serializer = EventInputSerializer
    resource = "status_events"

    def create(self, ctx: Context, record: Record) -> None:
        data = self.parsed(ctx, record)
        services.record_status_event(
            call=self.call(ctx, data),
            responder=ctx.responder,
            device=ctx.device,
            kind=data["kind"],
            occurred_at=data["occurred_at"],
            event_id=data["id"],
            new_id=self.new_id(ctx, data),
        )

    def update(self, ctx: Context, record: Record, existing: StatusEvent) -> None:
        data = self.parsed(ctx, record)
        unchanged_or_refuse(
            existing, "Status events", kind=data["kind"], occurred_at=data["occurred_at"]
        )


class NotePush(CallRecordPush):
    """Notes are written a slice at a time: create() queues each (checked), flush() appends
    the slice's notes in one INSERT (calls.services.add_notes), or each alone if that fails."""

    serializer = NoteInputSerializer
    resource = "notes"
    queues_writes = True
    # One INSERT a slice. The slice holds the sync counter from its first statement to its
    # commit, so its size is what another writer may wait: measured on a 2-core machine,
    # 100 notes held it ~14 ms, 250 ~30 ms, 500 ~55 ms (the old push's chunks: 20 ms),
    # while each slice more costs its own commit. 100 keeps a backup request's wait
    # within the old chunk's; 500 notes still push in well under 400 ms.
    slice_size = 100

    def create(self, ctx: Context, record: Record) -> None:
        data = self.parsed(ctx, record)
        queued: list[tuple[Record, services.NewNote]] = ctx.held.get("queued") or []
        new = services.NewNote(
            note_id=data["id"],
            call=self.call(ctx, data),
            body=data["body"],
            written_at=data["written_at"],
            amends=data.get("amends"),
        )
        queued.append((record, new))
        ctx.held.put("queued", queued)

    def update(self, ctx: Context, record: Record, existing: Note) -> None:
        data = self.parsed(ctx, record)
        unchanged_or_refuse(existing, "Notes", body=data["body"])

    def flush(self, ctx: Context) -> list[tuple[Record, Reason]]:
        queued: list[tuple[Record, services.NewNote]] = ctx.held.pop("queued", None) or []
        if not queued:
            return []
        if len({new.note_id for _, new in queued}) == len(queued):
            try:
                refused = services.add_notes(
                    responder=ctx.responder, device=ctx.device, notes=[n for _, n in queued]
                )
                return [
                    (record, refused[new.note_id].as_body())
                    for record, new in queued
                    if new.note_id in refused
                ]
            except (IntegrityError, DataError):
                pass  # rolled back: each note alone below, refused alone
        # An id sent twice (a replay, or reused with other values), or an INSERT refused.
        return self._each_alone(ctx, queued)

    def _each_alone(
        self, ctx: Context, queued: list[tuple[Record, services.NewNote]]
    ) -> list[tuple[Record, Reason]]:
        reasons: list[tuple[Record, Reason]] = []
        for record, new in queued:
            try:
                with transaction.atomic():
                    services.add_note(
                        call=new.call,
                        responder=ctx.responder,
                        device=ctx.device,
                        body=new.body,
                        written_at=new.written_at,
                        note_id=new.note_id,
                        amends=new.amends,
                    )
            except DomainError as exc:
                reasons.append((record, exc.as_body()))
            except (IntegrityError, DataError) as exc:
                detail = f"The record could not be stored: {exc}"[:500]
                reasons.append((record, {"detail": detail, "code": "invalid"}))
        return reasons


class OutcomePush(CallRecordPush):
    serializer = OutcomeInputSerializer
    resource = "outcome_codes"

    def create(self, ctx: Context, record: Record) -> None:
        data = self.parsed(ctx, record)
        services.record_outcome(
            call=self.call(ctx, data),
            responder=ctx.responder,
            device=ctx.device,
            outcome_id=data["id"],
            disposition=data["disposition"],
            police_involved=data["police_involved"],
            people_served=data["people_served"],
            summary=data["summary"],
            occurred_at=data["occurred_at"],
            supersedes=data.get("supersedes"),
            new_id=self.new_id(ctx, data),
        )

    def update(self, ctx: Context, record: Record, existing: Outcome) -> None:
        data = self.parsed(ctx, record)
        unchanged_or_refuse(existing, "Outcomes", disposition=data["disposition"])


class BackupRequestPush(CallRecordPush):
    serializer = BackupInputSerializer
    resource = "backup_requests"

    def create(self, ctx: Context, record: Record) -> None:
        data = self.parsed(ctx, record)
        services.request_backup(
            call=self.call(ctx, data),
            responder=ctx.responder,
            device=ctx.device,
            request_id=data["id"],
            reason=data["reason"],
            details=data["details"],
            occurred_at=data["occurred_at"],
            new_id=self.new_id(ctx, data),
        )

    def update(self, ctx: Context, record: Record, existing: BackupRequest) -> None:
        status = record.get("status")
        if status and status != existing.status:
            # The team's one move: calling its request off (the REST status endpoint's).
            move = RecordParser(BackupStatusInputSerializer).parse({"status": status})
            services.move_backup_request(
                backup=existing, responder=ctx.responder, to_status=move["status"]
            )
            return
        data = self.parsed(ctx, record)
        unchanged_or_refuse(existing, "Backup requests", reason=data["reason"])


class PersonPush:
    """People are read by PersonInputSerializer; a change names only the columns sent."""

    def parse(self, record: Record) -> dict[str, Any]:
        return RecordParser(PersonInputSerializer).parse(record)

    def begin(self, ctx: Context, records: list[Record]) -> None:
        """The calls the slice's people were met on, found in scope once."""
        calls = record_ids(records, "call_id")
        ctx.held.put("found", find_in_scope(responder=ctx.responder, call_ids=calls))

    def create(self, ctx: Context, record: Record) -> None:
        # An id stored already and out of the pusher's scope is refused by the engine
        # (id_taken), saying nothing of whom it names.
        fields = self.parse(record)
        person_id, call_id = fields.pop("id"), fields.pop("call", None)
        services.create_person(
            responder=ctx.responder,
            person_id=person_id,
            fields=fields,
            call_id=call_id,
            found=ctx.held.get("found"),
        )

    def update(self, ctx: Context, record: Record, existing: Person) -> None:
        # `existing` is in the pusher's scope: the engine looks ids up in the audience.
        fields = self.parse(record)
        fields.pop("id")
        fields.pop("call", None)
        services.update_person(person=existing, responder=ctx.responder, fields=fields)


# The columns every field record starts with (its id, its call's, who wrote it).
FIELD_RECORD = ["id", "call_id", "responder_id"]
# Field records' server receipt time; the phone's own time has its own column.
RECORDED_AT = {"recorded_at": "created_at"}

register(
    SyncTable(
        name=CALLS,
        model=Call,
        columns=[
            "id",
            "program_id",
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
        anchor=True,
        first_page=open_calls_first,
        # The program's id (GET /programs/ names each): phones on schema 1 get it through a
        # migration sync, which sends the calls again.
        column_versions={"program_id": 2},
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
        anchor=True,
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
        window=scoped_records_window,
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
        window=scoped_records_window,
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
        window=scoped_records_window,
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
        window=scoped_records_window,
        first_page=open_call_records_first,
        push=BackupRequestPush(),
        voidable=True,
        push_order=50,
    )
)
# Notes from the desk to the team (calls/desk_notes.py): pulled with the call, never pushed
# (no push handler: a phone's write is refused as read-only and kept in the quarantine).
register(
    SyncTable(
        name="desk_notes",
        model=DeskNote,
        columns=["id", "call_id", "body", "author_id", "recorded_at"],
        renames=RECORDED_AT,
        audience=records_of("desk_notes"),
        window=scoped_records_window,
        first_page=open_call_records_first,
        push_order=60,
        since_version=3,  # new in schema 3 (issue 16)
    )
)


# --- a team's availability and position pings, pushed (push-only tables) -----------------------
# What POST /team/availability/ and /team/positions/ take, sent in a sync push instead: each
# record read by the same serializer and applied by the same service (responders.services),
# so a bad one is refused with the same error keys. Nothing to pull: the desk reads teams
# from GET /teams/ and the board.


class TeamAvailabilityPush:
    """A record `{"id": <the phone's id>, "status": "out_of_service", "reason": "break"}`:
    the team set available or out of service, as the REST endpoint does, in push order."""

    def create(self, ctx: Context, record: Record) -> None:
        data = RecordParser(AvailabilitySerializer).parse(record)
        set_availability(
            responder=ctx.responder,
            out_of_service=data["reason"],
            changed_at=data.get("changed_at"),
        )

    def update(self, ctx: Context, record: Record, existing: Any) -> None:
        self.create(ctx, record)  # never reached: a push-only table looks no id up


class PositionPingPush:
    """A record per ping `{"id", "latitude", "longitude", "accuracy", "taken_at"}` (taken_at
    in epoch milliseconds or ISO 8601): each read as the REST batch's pings are, the slice's
    pings stored by one record_positions, as one REST batch - out of order, within 30 s of
    another or older than the retention as over REST (kept or ignored, never refused); a
    push sent again stores nothing twice."""

    queues_writes = True
    # The REST batch's largest (PositionsSerializer).
    slice_size = 200

    def prepare(self, ctx: Context, records: list[Record]) -> None:
        ctx.held.put("parser", RecordParser(PingSerializer))

    def create(self, ctx: Context, record: Record) -> None:
        parser = ctx.held.get("parser") or RecordParser(PingSerializer)
        data = parser.parse(record)
        queued: list[tuple[Record, Ping]] = ctx.held.get("pings") or []
        ping = Ping(
            latitude=data["latitude"],
            longitude=data["longitude"],
            accuracy_m=data.get("accuracy"),
            taken_at=data["taken_at"],
        )
        queued.append((record, ping))
        ctx.held.put("pings", queued)

    def update(self, ctx: Context, record: Record, existing: Any) -> None:
        self.create(ctx, record)  # never reached: a push-only table looks no id up

    def flush(self, ctx: Context) -> list[tuple[Record, Reason]]:
        queued: list[tuple[Record, Ping]] = ctx.held.pop("pings", None) or []
        if not queued:
            return []
        try:
            # One savepoint (the service's own atomic): refused, nothing of it stays.
            record_positions(responder=ctx.responder, pings=[ping for _, ping in queued])
        except DomainError as exc:
            return [(record, exc.as_body()) for record, _ in queued]
        return []


register(
    SyncTable(
        name="team_availability",
        model=Team,
        columns=["id", "status", "reason", "changed_at"],
        audience=team_scope,
        push=TeamAvailabilityPush(),
        pulled=False,
        push_order=90,
    )
)
register(
    SyncTable(
        name="position_pings",
        model=PositionPing,
        columns=["id", "latitude", "longitude", "accuracy", "taken_at"],
        audience=team_scope,
        push=PositionPingPush(),
        pulled=False,
        push_order=91,
    )
)


# --- on-scene safety check-ins (calls/checkins.py) -------------------------------------------


class CheckInPush(CallRecordPush):
    """A check-in pushed is read by the REST endpoint's serializer and written by the same
    service: a late one closes the call's open safety alerts, "need help" asks for police."""

    serializer = CheckInInputSerializer
    resource = "check_ins"

    def create(self, ctx: Context, record: Record) -> None:
        data = self.parsed(ctx, record)
        checkins.record_check_in(
            call=self.call(ctx, data),
            responder=ctx.responder,
            device=ctx.device,
            check_in_id=data["id"],
            answer=data["answer"],
            check_again_minutes=data.get("check_again_minutes"),
            details=data["details"],
            occurred_at=data["occurred_at"],
            new_id=self.new_id(ctx, data),
        )

    def update(self, ctx: Context, record: Record, existing: CheckIn) -> None:
        data = self.parsed(ctx, record)
        unchanged_or_refuse(existing, "Check-ins", answer=data["answer"])


register(
    SyncTable(
        name="check_ins",
        model=CheckIn,
        columns=[
            *FIELD_RECORD,
            "answer",
            "check_again_minutes",
            "occurred_at",
            "recorded_at",
            "backup_request_id",
        ],
        renames=RECORDED_AT,
        audience=records_of("check_ins"),
        window=scoped_records_window,
        first_page=open_call_records_first,
        push=CheckInPush(),
        voidable=True,
        # After status events (an answer on scene follows arriving), before backup requests.
        push_order=45,
        since_version=4,
    )
)
# Read-only for phones: the team sees that its missed check-in alerted the desk, and when
# someone acknowledged it or its own late answer closed it.
register(
    SyncTable(
        name="safety_alerts",
        model=SafetyAlert,
        columns=[
            "id",
            "call_id",
            "team_id",
            "due_at",
            "raised_at",
            "acknowledged_at",
            "closed_at",
            "closed_by_id",
            "updated_at",
        ],
        audience=records_of("safety_alerts"),
        window=scoped_records_window,
        first_page=open_call_records_first,
        push_order=46,
        since_version=4,
    )
)
