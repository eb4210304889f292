"""Writes of the calls app: status events, notes, outcomes, police-backup requests.

The REST API, the sync push and the desk all come through here, so the rules hold whichever
way a record arrives: field records are append-only and keyed by the phone's UUID (posting
the same id again returns the stored row), a call's status and timestamps are derived from
its events, and a timeline that cannot have happened is refused with a Conflict.
"""

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from responders.models import Device, Responder, Team
from umcr.bounds import EARLIEST_TIME
from umcr.errors import Conflict, DomainError, IdTaken, Invalid, NotAllowed
from umcr.policy import CREATE
from umcr.sync import audience, sequence
from umcr.sync.base import SyncQuerySet
from umcr.sync.exits import record_exits

from . import alerts, children, permissions
from .choices import BackupStatus, CallStatus, Disposition, EventKind
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
from .permissions import LockedCall
from .selectors import FoundInScope, find_in_scope

# How far ahead of the server's clock a phone's clock may run before its times are refused.
CLOCK_SKEW_ALLOWED = timedelta(minutes=10)
# Stands for the arrival time of an event not stored yet: after every stored one.
ARRIVING_NOW = datetime.max.replace(tzinfo=UTC)
# A phone whose clock was reset (to 1970, say) sends times no call can have (umcr/bounds.py).
EARLIEST_PLAUSIBLE = EARLIEST_TIME

# Which call field each event kind stamps (the first time it happens).
EVENT_TIMESTAMP_FIELDS = {
    EventKind.DISPATCHED: "dispatched_at",
    EventKind.ACKNOWLEDGED: "acknowledged_at",
    EventKind.EN_ROUTE: "en_route_at",
    EventKind.ON_SCENE: "on_scene_at",
    EventKind.TRANSPORTING: "transporting_at",
    EventKind.CLEARED: "cleared_at",
    EventKind.CANCELLED: "cancelled_at",
}
DERIVED_FIELDS = ["status", *EVENT_TIMESTAMP_FIELDS.values()]


@dataclass(frozen=True)
class CallState:
    status: str
    timestamps: dict[str, datetime | None]


def _arrival(event: StatusEvent) -> datetime:
    # When the server recorded it; an event being written now has no created_at yet.
    return event.created_at or ARRIVING_NOW


def _received(event: StatusEvent) -> tuple[datetime, datetime]:
    # Arrival first; among events of one arrival (none stored yet), when they happened.
    return _arrival(event), event.occurred_at


def derive_call_state(events: Iterable[StatusEvent]) -> CallState:
    """The call's status and timestamps from its events, ordered by when they happened.

    Each timestamp is the first event of its kind. The status is that of the latest event
    since the latest dispatch, except that a cleared or cancelled call stays closed whatever
    arrives late from a phone. "Since the latest dispatch" goes by when the server recorded
    the events, not by their times: a dispatch is stamped by the server's clock and the
    team's events by the phone's, so a phone a minute slow would otherwise report
    "acknowledged" before the dispatch it acknowledges, and the call would look unanswered.
    A team's event always reaches the server after the dispatch it answers (the phone
    learned of the call from it); a reassignment's dispatch arrives after the old team's.
    """
    live = [e for e in events if getattr(e, "voided_at", None) is None]
    ordered = sorted(live, key=lambda e: (e.occurred_at, _arrival(e)))
    timestamps: dict[str, datetime | None] = dict.fromkeys(EVENT_TIMESTAMP_FIELDS.values())
    for event in ordered:
        field = EVENT_TIMESTAMP_FIELDS[EventKind(event.kind)]
        if timestamps[field] is None:
            timestamps[field] = event.occurred_at
    dispatches = [e for e in live if e.kind == EventKind.DISPATCHED]
    status = CallStatus.PENDING
    if dispatches:
        latest = max(dispatches, key=_received)
        answers = [e for e in ordered if e is not latest and _received(e) > _received(latest)]
        status = CallStatus(answers[-1].kind) if answers else CallStatus.DISPATCHED
    elif ordered:
        status = CallStatus(ordered[-1].kind)
    if timestamps["cancelled_at"] is not None:
        status = CallStatus.CANCELLED
    elif timestamps["cleared_at"] is not None:
        status = CallStatus.CLEARED
    return CallState(status=status, timestamps=timestamps)


def apply_call_state(call: Call, events: Iterable[StatusEvent]) -> CallState:
    """Set the call's derived fields from its events, in memory (the caller saves them)."""
    state = derive_call_state(events)
    call.status = state.status
    for field, value in state.timestamps.items():
        setattr(call, field, value)
    return state


def refresh_call_state(*, call: Call, events: Iterable[StatusEvent] | None = None) -> Call:
    """Recompute and store the call's derived fields from its events."""
    state = apply_call_state(call, call.events.all() if events is None else events)
    call.updated_at = timezone.now()
    Call.objects.filter(pk=call.pk).update(
        status=state.status, updated_at=call.updated_at, **state.timestamps
    )
    return call


@dataclass(frozen=True)
class Written:
    """A field record and whether this request created it (False: a replay of its id)."""

    record: object
    created: bool


def find_replay(
    model: type[Model],
    record_id: uuid.UUID,
    *,
    scope: Q,
    call: Call | None = None,
    content: Mapping[str, object] | None = None,
) -> Written | None:
    """A client-generated id sent again (a phone's retry): None if the id is new, else the
    stored record, not created.

    An id naming a record the sender may not read now (`scope`) - another team's, or their
    own that has left their scope since - is IdTaken, which says nothing of what it holds.
    For a call's append-only field records, `call` (locked, in the sender's scope) and
    `content` are the write's: the same id on another call, or with other content, is
    id_reused. Mutable records (people, follow-ups, referrals) pass neither: a replay of
    their creation returns them as they stand."""
    stored = model._default_manager.filter(pk=record_id).first()
    if stored is None:
        return None
    # A record of the call being written is readable: that call is in the sender's scope.
    on_the_call = call is not None and getattr(stored, "call_id", None) == call.pk
    if not on_the_call and not model._default_manager.filter(scope, pk=stored.pk).exists():
        raise IdTaken()
    differs = any(getattr(stored, field) != value for field, value in (content or {}).items())
    if (call is not None and not on_the_call) or differs:
        raise Conflict(
            f"The id {record_id} is already used by a different record.", code="id_reused"
        )
    return Written(stored, created=False)


def check_not_in_future(occurred_at: datetime, field: str = "occurred_at") -> None:
    """A time a phone reports, at most CLOCK_SKEW_ALLOWED ahead of the server's clock."""
    if occurred_at > timezone.now() + CLOCK_SKEW_ALLOWED:
        raise Invalid({field: ["Is in the future; check the phone's clock."]})
    if occurred_at < EARLIEST_PLAUSIBLE:
        raise Invalid({field: ["Is before 2000; check the phone's clock."]})


def _locked_call(call: Call) -> Call:
    # Writes on one call are applied one at a time, so two clinicians posting at once
    # both see each other's events when the timeline is checked, a retry in flight finds
    # the first attempt's row (a replay, not a key clash), and who may write is checked
    # again on the locked row (a reassignment may have committed since the call was read).
    # The sync counter is taken first: the lock order every writer follows
    # (umcr/sync/sequence.py).
    sequence.hold()
    return Call.objects.select_for_update().get(pk=call.pk)


def _writable_call(
    responder: Responder, call: Call | LockedCall, resource: str, check_input: Callable[[], None]
) -> Call:
    """The call to write a `resource` record on, locked. A LockedCall was found, locked and
    checked by its caller and is taken as it is; a call as read is checked, locked, and
    checked again on the locked row (see _locked_call). `check_input` runs the record's own
    checks, after the first access check."""
    if isinstance(call, LockedCall):
        check_input()
        return call.call
    permissions.check_can_write_field_record(responder, call, resource)
    check_input()
    call = _locked_call(call)
    permissions.check_can_write_field_record(responder, call, resource)
    return call


NO_SUCH_NOTE = "No note with this id on this call."


def _check_note(body: str, written_at: datetime) -> None:
    check_not_in_future(written_at, "written_at")
    if not body.strip():
        raise Invalid({"body": ["A note needs some text."]})


@dataclass(frozen=True)
class NewNote:
    """A note to append (add_notes): what add_note takes, on a call already locked."""

    note_id: uuid.UUID
    call: LockedCall
    body: str
    written_at: datetime
    amends: uuid.UUID | None = None


@transaction.atomic
def add_notes(
    *, responder: Responder, device: Device | None, notes: list[NewNote]
) -> dict[uuid.UUID, DomainError]:
    """Append many new notes at once (a phone's shift pushed): each checked as add_note
    checks it, those that pass written in one INSERT; returns the refused ones by id, with
    why. The ids must be new (the push looked them up after holding the sync counter, so no
    other writer can have stored one since): an id stored after all makes the INSERT fail
    whole, and the caller applies each note alone with add_note. An addendum may amend a note
    stored on its call or one earlier in `notes` (the push sends a note before its addenda),
    looked up in one query."""
    refused: dict[uuid.UUID, DomainError] = {}
    targets = {new.amends for new in notes if new.amends is not None}
    stored = dict(
        Note.objects.filter(pk__in=targets).values_list("pk", "call_id") if targets else []
    )
    rows: list[Note] = []
    for new in notes:
        try:
            _check_note(new.body, new.written_at)
            if new.amends is not None and stored.get(new.amends) != new.call.call.pk:
                raise Invalid({"amends": [NO_SUCH_NOTE]})
        except DomainError as exc:
            refused[new.note_id] = exc
            continue
        stored[new.note_id] = new.call.call.pk
        rows.append(
            Note(
                id=new.note_id,
                call=new.call.call,
                body=new.body,
                occurred_at=new.written_at,
                amends_id=new.amends,
                responder=responder,
                device=device,
            )
        )
    Note.objects.bulk_create(rows)
    return refused


def check_timeline(*, events: list[StatusEvent], outcome: Outcome | None) -> None:
    """Refuse a timeline that cannot have happened, with a sentence saying why."""
    ordered = sorted(
        (e for e in events if getattr(e, "voided_at", None) is None), key=lambda e: e.occurred_at
    )
    closed_at = None
    closing_kind = None
    seen_on_scene = False
    for event in ordered:
        # The partner's own `cleared` arriving later merges in; anything else after the
        # call closed cannot have happened.
        if closed_at is not None and event.occurred_at > closed_at and event.kind != closing_kind:
            raise Conflict(
                f"'{event.kind}' at {event.occurred_at.isoformat()} comes after the call "
                f"was {closing_kind} at {closed_at.isoformat()}; nothing can follow that.",
                code="after_closed",
            )
        if event.kind == EventKind.ON_SCENE:
            seen_on_scene = True
        if event.kind == EventKind.CLEARED:
            gone = outcome is not None and outcome.disposition == Disposition.GONE_ON_ARRIVAL
            if not seen_on_scene and not gone:
                raise Conflict(
                    "A call can be cleared only after the team was on scene, unless its "
                    "outcome is gone-on-arrival.",
                    code="cleared_before_on_scene",
                )
        if event.kind in (EventKind.CLEARED, EventKind.CANCELLED) and closed_at is None:
            closed_at, closing_kind = event.occurred_at, event.kind
    kinds = {e.kind for e in ordered}
    if EventKind.CLEARED in kinds and outcome is None:
        raise Conflict(
            "A call can be cleared only with an outcome: record the outcome first.",
            code="cleared_without_outcome",
        )
    if EventKind.CLEARED in kinds and EventKind.CANCELLED in kinds:
        raise Conflict("A call is either cleared or cancelled, not both.", code="after_closed")


def current_outcome(call: Call) -> Outcome | None:
    """The call's outcome: its newest one not voided (`Outcome.current_of`)."""
    return call.outcomes.filter(voided_at=None).order_by("-created_seq", "-created_at").first()


def refresh_call_outcome(*, call: Call, outcome: Outcome | None = None) -> None:
    """Copy the current outcome's disposition and police involvement onto the call (pass
    `outcome` when it is known to be the current one, e.g. just written)."""
    outcome = outcome or current_outcome(call)
    Call.objects.filter(pk=call.pk).update(
        disposition=outcome.disposition if outcome else "",
        police_involved=outcome.police_involved if outcome else None,
    )


@transaction.atomic
def record_status_event(
    *,
    call: Call | LockedCall,
    responder: Responder,
    device: Device | None,
    kind: str,
    occurred_at: datetime,
    event_id: uuid.UUID,
    new_id: bool = False,
) -> Written:
    """Append a status event and re-derive the call's status and timestamps. `call` is a
    call as read, or a LockedCall (the push's: found, locked and checked once for its
    batch), which is written on as it is. `new_id`: the caller found the id unused after
    holding the sync counter (the push looks a slice's ids up at once), so no replay of it
    is looked for; a record stored under it after all makes the INSERT fail."""
    if isinstance(call, LockedCall):
        permissions.check_event_kind(responder, kind)
        check_not_in_future(occurred_at)
        call = call.call
    else:
        permissions.check_can_post_event(responder, call, kind)
        check_not_in_future(occurred_at)
        call = _locked_call(call)
        # On the locked row: see _locked_call.
        permissions.check_can_post_event(responder, call, kind)
    replay = (
        None
        if new_id
        else find_replay(
            StatusEvent,
            event_id,
            scope=permissions.call_records_scope(responder, "status_events"),
            call=call,
            content={"kind": kind, "occurred_at": occurred_at},
        )
    )
    if replay is not None:
        return replay
    if call.team_id is None and kind != EventKind.CANCELLED:
        raise Conflict("The call is not assigned to a team yet.", code="not_assigned")
    event = StatusEvent(
        id=event_id,
        call=call,
        kind=kind,
        occurred_at=occurred_at,
        responder=responder,
        device=device,
    )
    check_new_event(call=call, event=event, outcome=current_outcome(call))
    event.save(force_insert=True)
    apply_new_event(call=call, event=event)
    return Written(event, created=True)


# What a call's next event is checked against and derived with, without loading its
# timeline: the call's stored timestamps (the first event of each kind) and a few indexed
# lookups. Writing an event costs the same at 10 and at 10,000 events. The rules are
# check_timeline's and derive_call_state's, for a timeline that already holds (every stored
# timeline passed them); tests/calls/test_event_increments.py checks that both agree.


def _live_events(call: Call) -> SyncQuerySet[StatusEvent]:
    return StatusEvent.objects.filter(call_id=call.pk, voided_at=None)


def _after_closed(kind: str, at: datetime, closing_kind: str, closed_at: datetime) -> Conflict:
    return Conflict(
        f"'{kind}' at {at.isoformat()} comes after the call was {closing_kind} at "
        f"{closed_at.isoformat()}; nothing can follow that.",
        code="after_closed",
    )


def check_new_event(*, call: Call, event: StatusEvent, outcome: Outcome | None) -> None:
    """check_timeline for the call's events plus `event`, from the call's stored state."""
    closes = [
        (at, kind)
        for at, kind in (
            (call.cleared_at, EventKind.CLEARED),
            (call.cancelled_at, EventKind.CANCELLED),
        )
        if at is not None
    ]
    # The first close in time; of two at one instant, the one stored first (cleared).
    first_close = min(closes, key=lambda close: close[0]) if closes else None
    closing = event.kind in (EventKind.CLEARED, EventKind.CANCELLED)
    # In the order check_timeline meets them: this event after the call closed; this
    # clearing without an on-scene before it; then a stored event after this first close.
    after_close = first_close is not None and event.occurred_at > first_close[0]
    if after_close and first_close is not None and event.kind != first_close[1]:
        raise _after_closed(event.kind, event.occurred_at, first_close[1], first_close[0])
    if event.kind == EventKind.CLEARED:
        gone = outcome is not None and outcome.disposition == Disposition.GONE_ON_ARRIVAL
        on_scene_before = call.on_scene_at is not None and call.on_scene_at <= event.occurred_at
        if not on_scene_before and not gone:
            raise Conflict(
                "A call can be cleared only after the team was on scene, unless its "
                "outcome is gone-on-arrival.",
                code="cleared_before_on_scene",
            )
    if closing and not after_close:
        later = (
            _live_events(call)
            .filter(occurred_at__gt=event.occurred_at)
            .exclude(kind=event.kind)
            .order_by("occurred_at", "created_at")
            .first()
        )
        if later is not None:
            raise _after_closed(later.kind, later.occurred_at, event.kind, event.occurred_at)
    cleared = event.kind == EventKind.CLEARED or call.cleared_at is not None
    cancelled = event.kind == EventKind.CANCELLED or call.cancelled_at is not None
    if cleared and outcome is None:
        raise Conflict(
            "A call can be cleared only with an outcome: record the outcome first.",
            code="cleared_without_outcome",
        )
    if cleared and cancelled:
        raise Conflict("A call is either cleared or cancelled, not both.", code="after_closed")


def apply_new_event(*, call: Call, event: StatusEvent) -> CallState:
    """derive_call_state after `event` (just stored), from the call's stored state and two
    indexed lookups; stores the result on the call."""
    timestamps = {field: getattr(call, field) for field in EVENT_TIMESTAMP_FIELDS.values()}
    field = EVENT_TIMESTAMP_FIELDS[EventKind(event.kind)]
    if timestamps[field] is None or event.occurred_at < timestamps[field]:
        timestamps[field] = event.occurred_at
    if timestamps["cancelled_at"] is not None:
        status = CallStatus.CANCELLED
    elif timestamps["cleared_at"] is not None:
        status = CallStatus.CLEARED
    elif event.kind == EventKind.DISPATCHED:
        status = CallStatus.DISPATCHED  # the latest dispatch: nothing answers it yet
    else:
        live = _live_events(call)
        latest = (
            live.filter(kind=EventKind.DISPATCHED).order_by("-created_at", "-occurred_at").first()
        )
        if latest is not None:
            live = live.filter(
                Q(created_at__gt=latest.created_at)
                | Q(created_at=latest.created_at, occurred_at__gt=latest.occurred_at)
            )
        answer = live.order_by("-occurred_at", "-created_at").only("kind").first()
        status = CallStatus(answer.kind) if answer is not None else CallStatus.DISPATCHED
    state = CallState(status=status, timestamps=timestamps)
    call.status = status
    for name, value in timestamps.items():
        setattr(call, name, value)
    call.updated_at = timezone.now()
    Call.objects.filter(pk=call.pk).update(status=status, updated_at=call.updated_at, **timestamps)
    return state


@transaction.atomic
def add_note(
    *,
    call: Call | LockedCall,
    responder: Responder,
    device: Device | None,
    body: str,
    written_at: datetime,
    note_id: uuid.UUID,
    amends: uuid.UUID | None = None,
) -> Written:
    """Append an on-scene note; a correction is an addendum that `amends` an earlier note.
    `call` as for record_status_event."""
    call = _writable_call(responder, call, "notes", partial(_check_note, body, written_at))
    replay = find_replay(
        Note,
        note_id,
        scope=permissions.call_records_scope(responder, "notes"),
        call=call,
        content={"body": body, "amends_id": amends},
    )
    if replay is not None:
        return replay
    if amends is not None and not Note.objects.filter(pk=amends, call=call).exists():
        raise Invalid({"amends": [NO_SUCH_NOTE]})
    note = Note.objects.create(
        id=note_id,
        call=call,
        body=body,
        occurred_at=written_at,
        amends_id=amends,
        responder=responder,
        device=device,
    )
    return Written(note, created=True)


@transaction.atomic
def record_outcome(
    *,
    call: Call | LockedCall,
    responder: Responder,
    device: Device | None,
    outcome_id: uuid.UUID,
    disposition: str,
    police_involved: bool,
    people_served: int,
    summary: str,
    occurred_at: datetime,
    supersedes: uuid.UUID | None = None,
    new_id: bool = False,
) -> Written:
    """Record how the call ended, or correct it: a correction `supersedes` the current
    outcome (a new row; the old one stays). `call` as for record_status_event."""

    def check_outcome() -> None:
        check_not_in_future(occurred_at)
        if disposition == Disposition.HANDED_TO_POLICE and not police_involved:
            raise Invalid({"police_involved": ["A call handed to police had police involved."]})

    call = _writable_call(responder, call, "outcome_codes", check_outcome)
    replay = (
        None
        if new_id
        else find_replay(
            Outcome,
            outcome_id,
            scope=permissions.call_records_scope(responder, "outcome_codes"),
            call=call,
            content={"disposition": disposition, "supersedes_id": supersedes},
        )
    )
    if replay is not None:
        return replay
    if call.status == CallStatus.CANCELLED and disposition != Disposition.CANCELLED:
        raise Conflict("The call was cancelled; its only outcome can be 'cancelled'.")
    current = current_outcome(call)
    if supersedes is None and current is not None:
        raise Conflict(
            "The call already has an outcome; send a correction that supersedes it "
            f"({current.pk}).",
            code="outcome_exists",
        )
    if supersedes is not None and (current is None or current.pk != supersedes):
        raise Conflict(
            "A correction must supersede the call's current outcome"
            + (f" ({current.pk})." if current else "; the call has none yet."),
            code="stale_outcome",
        )
    if current is not None and disposition != Disposition.GONE_ON_ARRIVAL:
        # Correcting away from gone-on-arrival must keep the timeline possible.
        check_timeline(
            events=list(call.events.all()),
            outcome=Outcome(call=call, disposition=disposition),
        )
    outcome = Outcome.objects.create(
        id=outcome_id,
        call=call,
        disposition=disposition,
        police_involved=police_involved,
        people_served=people_served,
        summary=summary,
        occurred_at=occurred_at,
        supersedes=current,
        responder=responder,
        device=device,
    )
    refresh_call_outcome(call=call, outcome=outcome)
    return Written(outcome, created=True)


@transaction.atomic
def request_backup(
    *,
    call: Call | LockedCall,
    responder: Responder,
    device: Device | None,
    request_id: uuid.UUID,
    reason: str,
    details: str,
    occurred_at: datetime,
    new_id: bool = False,
) -> Written:
    """Accept a police-backup request at once and alert the desk and the supervisor
    (a django-q2 task, queued when this transaction commits). `call` as for
    record_status_event."""

    def check_request() -> None:
        check_not_in_future(occurred_at)
        if reason == "other" and not details.strip():
            raise Invalid({"details": ["Say what is happening when the reason is 'other'."]})

    call = _writable_call(responder, call, "backup_requests", check_request)
    replay = (
        None
        if new_id
        else find_replay(
            BackupRequest,
            request_id,
            # One's own requests too: a team rerouted away retries on a call it no longer sees.
            scope=permissions.call_records_scope(responder, "backup_requests")
            | Q(responder=responder),
            call=call,
            content={"reason": reason},
        )
    )
    if replay is not None:
        return replay
    if not call.is_open:
        raise Conflict(
            f"The call is {call.status}; call the desk directly for police.", code="call_closed"
        )
    backup = BackupRequest.objects.create(
        id=request_id,
        call=call,
        reason=reason,
        details=details,
        occurred_at=occurred_at,
        responder=responder,
        device=device,
    )
    # Written with the request, in its transaction: an alert is never lost to a broker
    # outage or a killed worker, and a retry of the request (a replay) needs none.
    alerts.backup_requested(backup)
    return Written(backup, created=True)


# Forward moves the desk may make; resolved and cancelled are final.
BACKUP_ORDER: list[str] = [
    BackupStatus.REQUESTED,
    BackupStatus.ACKNOWLEDGED,
    BackupStatus.POLICE_EN_ROUTE,
    BackupStatus.POLICE_ON_SCENE,
    BackupStatus.RESOLVED,
]


@transaction.atomic
def move_backup_request(
    *, backup: BackupRequest, responder: Responder, to_status: str
) -> BackupRequest:
    """Move a backup request forward (the desk), or call it off."""
    sequence.hold()
    backup = BackupRequest.objects.select_for_update().select_related("call").get(pk=backup.pk)
    permissions.check_can_move_backup(responder, backup.call, to_status)
    current = backup.status
    if current == to_status:
        return backup
    if current in (BackupStatus.RESOLVED, BackupStatus.CANCELLED):
        raise Conflict(f"The backup request is already {current}.", code="backup_closed")
    if to_status != BackupStatus.CANCELLED and BACKUP_ORDER.index(to_status) < BACKUP_ORDER.index(
        current
    ):
        raise Conflict(
            f"A backup request cannot go back from {current} to {to_status}.",
            code="backup_backwards",
        )
    backup.status = to_status
    backup.status_changed_at = timezone.now()
    backup.status_changed_by = responder.user
    backup.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    alerts.backup_moved(backup, to_status)
    return backup


@transaction.atomic
def create_person(
    *,
    responder: Responder,
    person_id: uuid.UUID,
    fields: dict[str, Any],
    call_id: uuid.UUID | None = None,
    found: FoundInScope | None = None,
) -> Written:
    """Record someone a team served. With `call_id`, they become that call's person (if the
    call has none yet), so the pair's partner pulls them with the call. The person stays
    with the recording team and provider, wherever the clinician moves later. `found`: the
    call already found in the responder's scope (the push finds a slice's at once)."""
    permissions.check(responder, CREATE, "people")
    replay = find_replay(Person, person_id, scope=permissions.people_scope(responder))
    if replay is not None:
        return replay
    if responder.provider_id is None:
        # A person's record belongs to a provider; a clinician not yet given one keeps none.
        raise NotAllowed("You work for no provider yet; ask a supervisor to add you to one.")
    call = None
    if call_id is not None:
        found = found or find_in_scope(responder=responder, call_ids=[call_id])
        call, _ = found.call_and_person(call_id, None)
    person = Person.objects.create(
        id=person_id,
        provider_id=responder.provider_id,
        team_id=responder.team_id,
        created_by=responder,
        **fields,
    )
    if call is not None and call.person_id is None:
        Call.objects.filter(pk=call.pk).update(person=person, updated_at=timezone.now())
    return Written(person, created=True)


@transaction.atomic
def update_person(*, person: Person, responder: Responder, fields: dict[str, Any]) -> Person:
    """Change a person's identifying details (a mutable record: last write wins, stale
    writes are refused by the sync push before they get here). `person` is in the
    responder's scope."""
    permissions.check_can_change_person(responder, person)
    changed = [name for name, value in fields.items() if getattr(person, name) != value]
    if not changed:
        return person
    for name in changed:
        setattr(person, name, fields[name])
    person.save(update_fields=[*changed, "updated_at"])
    return person


def person_left_team(person_id: uuid.UUID | None, team_id: int) -> None:
    """After a call or a visit left a pair, the person the pair saw through it leaves the
    pair's phones too, unless the pair still sees them (another of its calls, a visit it
    was given, a record it made). Call once the record has moved."""
    if person_id is None:
        return
    if not Person.objects.filter(permissions.team_people_scope(team_id), pk=person_id).exists():
        record_exits("people", [person_id], audience.team(team_id))


def _leave_team(call: Call) -> dict[str, SyncQuerySet[Any]]:
    """The call's synced rows by table (its own and those of the apps built on calls,
    calls/children.py); the phones of the team it had (if any) lose the call and each of them
    on their next pull. Call with the call locked, before it moves."""
    records: dict[str, SyncQuerySet[Any]] = {
        "status_events": StatusEvent.objects.filter(call=call),
        "notes": Note.objects.filter(call=call),
        "outcomes": Outcome.objects.filter(call=call),
        "backup_requests": BackupRequest.objects.filter(call=call),
        "desk_notes": DeskNote.objects.filter(call=call),
        "check_ins": CheckIn.objects.filter(call=call),
        "safety_alerts": SafetyAlert.objects.filter(call=call),
        **{child.sync_table: child.of_call(call) for child in children.registered()},
    }
    if call.team_id is not None:
        leaving = audience.team(call.team_id)
        record_exits("calls", [call.pk], leaving)
        for table, rows in records.items():
            record_exits(table, rows.values_list("pk", flat=True), leaving)
    return records


@transaction.atomic
def assign_call(
    *, call: Call, team: Team, assigned_by: permissions.Actor, occurred_at: datetime | None = None
) -> Call:
    """Assign (or reassign) a call to a team of its provider and record `dispatched`.
    `assigned_by` is the desk's or a supervisor's responder, or a superuser in the admin.

    The previous team's phones lose the call and its records on their next pull (exits);
    the new team's phones get it whole, with its children (re-stamped), its own and those
    of the apps built on calls (calls/children.py)."""
    sequence.hold()
    call = Call.objects.select_for_update().get(pk=call.pk)
    permissions.check_can_assign(assigned_by, call, team)
    assigned_by, _ = permissions.acting_responder(assigned_by)
    if team.provider_id != call.routed_provider_id and call.routed_provider_id is not None:
        raise Invalid({"team": ["The team belongs to another provider than the call's."]})
    if team.program_id != call.program_id:
        raise Invalid({"team": ["The team works for another program than the call's."]})
    previous = call.team_id
    if previous == team.pk:
        return call
    if call.status in (CallStatus.CLEARED, CallStatus.CANCELLED):
        raise Conflict(f"The call is {call.status}; it can no longer be reassigned.")
    records = _leave_team(call)
    Call.objects.filter(pk=call.pk).update(
        team=team, routed_provider_id=team.provider_id, updated_at=timezone.now()
    )
    if previous is not None:
        person_left_team(call.person_id, previous)
    for rows in records.values():
        rows.touch()
    if call.person_id is not None:
        Person.objects.filter(pk=call.person_id).touch()
    call.refresh_from_db()
    event = StatusEvent.objects.create(
        call=call,
        kind=EventKind.DISPATCHED,
        occurred_at=occurred_at or timezone.now(),
        responder=assigned_by,
    )
    refresh_call_state(call=call)
    alerts.team_assigned(call, event)
    return call


@transaction.atomic
def void_field_record(
    *, record: permissions.CallRecord, voided_by: User, reason: str
) -> permissions.CallRecord:
    """Void a clinical record entered in error: it stays, with who, when and why, and
    phones drop it on their next pull. A voided status event no longer counts towards the
    call's status."""
    permissions.check_can_void(voided_by, record)
    if not reason.strip():
        raise Invalid({"reason": ["Say why the record is voided."]})
    if record.voided_at is not None:
        return record
    sequence.hold()
    record.voided_at = timezone.now()
    record.voided_by = voided_by
    record.void_reason = reason
    record.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    if isinstance(record, StatusEvent):
        refresh_call_state(call=record.call)
    if isinstance(record, Outcome):
        refresh_call_outcome(call=record.call)
    return record
