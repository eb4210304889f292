"""The write rules of calls.services without HTTP: which timelines can have happened
(check_timeline), how the stored status and timestamps follow from the events whatever
order they arrive in, and the append-only, keyed-by-UUID writes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls import services
from calls.choices import BackupStatus, CallStatus, Disposition, EventKind
from calls.models import BackupRequest, Call, Note, Outcome, StatusEvent
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    NoteFactory,
    OutcomeFactory,
    TeamFactory,
)
from umcr.errors import Conflict, Invalid, NotAllowed

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(kind: str, minutes: float) -> StatusEvent:
    return StatusEvent(kind=kind, occurred_at=at(minutes))


def outcome(disposition: str = Disposition.RESOLVED_ON_SCENE) -> Outcome:
    return Outcome(disposition=disposition, occurred_at=at(0))


def conflict_code(excinfo) -> str:
    return excinfo.value.code


# --- check_timeline -----------------------------------------------------------------------------


def test_whole_timeline_with_an_outcome_is_possible():
    events = [
        event(EventKind.DISPATCHED, 0),
        event(EventKind.ACKNOWLEDGED, 1),
        event(EventKind.EN_ROUTE, 2),
        event(EventKind.ON_SCENE, 10),
        event(EventKind.TRANSPORTING, 30),
        event(EventKind.CLEARED, 50),
    ]

    assert services.check_timeline(events=events, outcome=outcome()) is None


def test_timeline_is_checked_in_the_order_events_happened_not_the_order_given():
    events = [event(EventKind.CLEARED, 50), event(EventKind.ON_SCENE, 10)]

    assert services.check_timeline(events=events, outcome=outcome()) is None


def test_cleared_before_any_on_scene_cannot_have_happened():
    events = [event(EventKind.EN_ROUTE, 2), event(EventKind.CLEARED, 5)]

    with pytest.raises(Conflict) as excinfo:
        services.check_timeline(events=events, outcome=outcome())

    assert conflict_code(excinfo) == "cleared_before_on_scene"
    assert "on scene" in str(excinfo.value.detail)


def test_on_scene_after_the_clearing_does_not_make_the_clearing_possible():
    events = [event(EventKind.CLEARED, 5), event(EventKind.ON_SCENE, 10)]

    with pytest.raises(Conflict) as excinfo:
        services.check_timeline(events=events, outcome=outcome())

    assert conflict_code(excinfo) == "cleared_before_on_scene"


def test_cleared_without_on_scene_is_possible_when_gone_on_arrival():
    events = [event(EventKind.EN_ROUTE, 2), event(EventKind.CLEARED, 5)]

    assert (
        services.check_timeline(events=events, outcome=outcome(Disposition.GONE_ON_ARRIVAL)) is None
    )


def test_cleared_without_an_outcome_cannot_have_happened():
    events = [event(EventKind.ON_SCENE, 2), event(EventKind.CLEARED, 5)]

    with pytest.raises(Conflict) as excinfo:
        services.check_timeline(events=events, outcome=None)

    assert conflict_code(excinfo) == "cleared_without_outcome"


@pytest.mark.parametrize("closing", [EventKind.CLEARED, EventKind.CANCELLED])
def test_nothing_can_happen_after_the_call_closed(closing):
    events = [event(EventKind.ON_SCENE, 2), event(closing, 5), event(EventKind.TRANSPORTING, 6)]

    with pytest.raises(Conflict) as excinfo:
        services.check_timeline(events=events, outcome=outcome())

    assert conflict_code(excinfo) == "after_closed"
    assert "transporting" in str(excinfo.value.detail)


def test_event_that_happened_before_the_clearing_is_possible_whenever_it_arrives():
    events = [
        event(EventKind.ON_SCENE, 2),
        event(EventKind.CLEARED, 5),
        event(EventKind.EN_ROUTE, 1),
    ]

    assert services.check_timeline(events=events, outcome=outcome()) is None


def test_call_cannot_be_both_cleared_and_cancelled():
    events = [
        event(EventKind.ON_SCENE, 2),
        event(EventKind.CLEARED, 5),
        event(EventKind.CANCELLED, 4),
    ]

    with pytest.raises(Conflict) as excinfo:
        services.check_timeline(events=events, outcome=outcome())

    assert conflict_code(excinfo) == "after_closed"


def test_timeline_without_events_is_possible():
    assert services.check_timeline(events=[], outcome=None) is None


# --- the services on the database -----------------------------------------------------------------


@pytest.fixture
def clinician(db):
    return ClinicianFactory()


@pytest.fixture
def call(clinician):
    return CallFactory(team=clinician.team)


def post_event(call, responder, kind, occurred_at, event_id=None):
    return services.record_status_event(
        call=call,
        responder=responder,
        device=None,
        kind=kind,
        occurred_at=occurred_at,
        event_id=event_id or uuid.uuid4(),
    )


def test_recording_an_event_stores_it_and_the_derived_state(call, clinician):
    written = post_event(call, clinician, EventKind.EN_ROUTE, at(3))

    assert written.created is True
    stored = Call.objects.get(pk=call.pk)
    assert (stored.status, stored.en_route_at) == (CallStatus.EN_ROUTE, at(3))
    assert StatusEvent.objects.get().responder == clinician


def test_a_phone_a_minute_slow_acknowledges_a_dispatch_made_on_the_servers_clock(clinician):
    call = CallFactory(team=None, routed_provider=clinician.team.provider)
    call = services.assign_call(call=call, team=clinician.team, assigned_by=DispatcherFactory())

    post_event(call, clinician, EventKind.ACKNOWLEDGED, timezone.now() - timedelta(seconds=30))

    assert Call.objects.get(pk=call.pk).status == CallStatus.ACKNOWLEDGED


def test_recording_the_same_event_id_again_returns_the_stored_event(call, clinician):
    event_id = uuid.uuid4()
    first = post_event(call, clinician, EventKind.EN_ROUTE, at(3), event_id)

    again = post_event(call, clinician, EventKind.EN_ROUTE, at(3), event_id)

    assert again.created is False
    assert again.record.pk == first.record.pk
    assert StatusEvent.objects.count() == 1


def test_refused_event_leaves_the_call_as_it_was(call, clinician):
    post_event(call, clinician, EventKind.EN_ROUTE, at(3))

    with pytest.raises(Conflict):
        post_event(call, clinician, EventKind.CLEARED, at(5))

    stored = Call.objects.get(pk=call.pk)
    assert (stored.status, stored.cleared_at) == (CallStatus.EN_ROUTE, None)
    assert StatusEvent.objects.count() == 1


def test_event_on_a_call_with_no_team_is_refused(db):
    desk = DispatcherFactory()
    unassigned = CallFactory(team=None, routed_provider=None)

    with pytest.raises(Conflict) as excinfo:
        post_event(unassigned, desk, EventKind.DISPATCHED, at(0))

    assert excinfo.value.code == "not_assigned"
    assert not StatusEvent.objects.exists()


def test_desk_cancels_a_call_with_no_team(db):
    desk = DispatcherFactory()
    unassigned = CallFactory(team=None, routed_provider=None)

    post_event(unassigned, desk, EventKind.CANCELLED, at(0))

    assert Call.objects.get(pk=unassigned.pk).status == CallStatus.CANCELLED


def test_clinician_of_another_team_may_not_post_events(call):
    outsider = ClinicianFactory(team=TeamFactory(provider=call.routed_provider))

    with pytest.raises(NotAllowed):
        post_event(call, outsider, EventKind.ACKNOWLEDGED, at(1))

    assert not StatusEvent.objects.exists()


def test_refresh_recomputes_the_stored_state_from_the_events(call, clinician):
    post_event(call, clinician, EventKind.ON_SCENE, at(10))
    Call.objects.filter(pk=call.pk).update(status=CallStatus.PENDING, on_scene_at=None)

    services.refresh_call_state(call=call)

    stored = Call.objects.get(pk=call.pk)
    assert (stored.status, stored.on_scene_at) == (CallStatus.ON_SCENE, at(10))


def test_current_outcome_is_the_one_nothing_supersedes(call):
    original = OutcomeFactory(call=call)
    correction = OutcomeFactory(call=call, supersedes=original)
    OutcomeFactory(call=CallFactory(team=call.team))

    assert services.current_outcome(call) == correction


def test_note_amending_a_note_of_another_call_is_invalid(call, clinician):
    foreign = NoteFactory(call=CallFactory(team=call.team))

    with pytest.raises(Invalid) as excinfo:
        services.add_note(
            call=call,
            responder=clinician,
            device=None,
            body="Correction.",
            written_at=at(1),
            note_id=uuid.uuid4(),
            amends=foreign.pk,
        )

    assert "amends" in excinfo.value.detail
    assert Note.objects.count() == 1


def test_outcome_handed_to_police_without_police_is_invalid(call, clinician):
    with pytest.raises(Invalid) as excinfo:
        services.record_outcome(
            call=call,
            responder=clinician,
            device=None,
            outcome_id=uuid.uuid4(),
            disposition=Disposition.HANDED_TO_POLICE,
            police_involved=False,
            people_served=1,
            summary="",
            occurred_at=at(1),
        )

    assert "police_involved" in excinfo.value.detail
    assert not Outcome.objects.exists()


def test_backup_request_queues_its_alert_only_when_the_transaction_commits(
    call, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.request_backup(
            call=call,
            responder=clinician,
            device=None,
            request_id=uuid.uuid4(),
            reason="weapon_seen",
            details="",
            occurred_at=timezone.now(),
        )

    assert len(callbacks) == 1
    assert BackupRequest.objects.count() == 1


def test_backup_on_a_cancelled_call_is_refused(call, clinician):
    Call.objects.filter(pk=call.pk).update(status=CallStatus.CANCELLED)
    call.refresh_from_db()

    with pytest.raises(Conflict) as excinfo:
        services.request_backup(
            call=call,
            responder=clinician,
            device=None,
            request_id=uuid.uuid4(),
            reason="weapon_seen",
            details="",
            occurred_at=timezone.now(),
        )

    assert excinfo.value.code == "call_closed"
    assert not BackupRequest.objects.exists()


def test_desk_may_move_a_backup_request_past_steps_it_skipped(call):
    backup = BackupRequestFactory(call=call)

    moved = services.move_backup_request(
        backup=backup, responder=DispatcherFactory(), to_status=BackupStatus.POLICE_ON_SCENE
    )

    assert moved.status == BackupStatus.POLICE_ON_SCENE
    assert BackupRequest.objects.get().status == BackupStatus.POLICE_ON_SCENE


def test_moving_a_backup_request_to_its_own_status_changes_nothing(call):
    backup = BackupRequestFactory(call=call, status=BackupStatus.ACKNOWLEDGED)

    moved = services.move_backup_request(
        backup=backup, responder=DispatcherFactory(), to_status=BackupStatus.ACKNOWLEDGED
    )

    assert moved.status == BackupStatus.ACKNOWLEDGED
    assert BackupRequest.objects.get().status_changed_at is None


# --- property: arrival order does not matter ----------------------------------------------------

# A call's timeline as a pair reports it, in the order it happens; `cleared` needs an outcome.
CANONICAL = [
    EventKind.ACKNOWLEDGED,
    EventKind.EN_ROUTE,
    EventKind.ON_SCENE,
    EventKind.TRANSPORTING,
    EventKind.CLEARED,
]


@st.composite
def timelines(draw):
    """A valid timeline (a prefix of CANONICAL, transporting optional, each kind maybe
    reported by both phones) with distinct increasing times, and an order of arrival."""
    # Weighted towards whole timelines, where the clearing's rules come into play.
    length = draw(st.sampled_from([1, 2, 3, 4, 5, 5, 5, 5]))
    kinds = CANONICAL[:length]
    if EventKind.TRANSPORTING in kinds and draw(st.booleans()):
        kinds = [k for k in kinds if k != EventKind.TRANSPORTING]
    reported = []
    for kind in kinds:
        reported.append(kind)
        if kind != EventKind.CLEARED and draw(st.booleans()):
            reported.append(kind)  # the partner's phone reports it too, a little later
    gaps = draw(st.lists(st.integers(1, 30), min_size=len(reported), max_size=len(reported)))
    minutes, total = [], 0
    for gap in gaps:
        total += gap
        minutes.append(total)
    timeline = list(zip(reported, minutes, strict=True))
    arrival = draw(st.permutations(range(len(timeline))))
    return timeline, arrival


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=timelines())
def test_derived_state_is_the_same_whatever_order_the_events_arrive_in(db, drawn):
    timeline, arrival = drawn
    start = timezone.now() - timedelta(hours=6)
    team = TeamFactory()
    first, second = ClinicianFactory(team=team), ClinicianFactory(team=team)
    call = CallFactory(team=team)
    if any(kind == EventKind.CLEARED for kind, _ in timeline):
        OutcomeFactory(call=call, occurred_at=start)
    posts = [
        (uuid.uuid4(), kind, start + timedelta(minutes=m), (first, second)[i % 2])
        for i, (kind, m) in enumerate(timeline)
    ]

    # Post in the drawn order; a clearing that arrives before any on-scene is refused, and
    # the phone sends it again after the rest (the 409 tells it to).
    refused = []
    for index in arrival:
        event_id, kind, occurred_at, responder = posts[index]
        try:
            post_event(call, responder, kind, occurred_at, event_id)
        except Conflict as exc:
            assert exc.code == "cleared_before_on_scene"
            refused.append(posts[index])
    for event_id, kind, occurred_at, responder in refused:
        post_event(call, responder, kind, occurred_at, event_id)

    stored = Call.objects.get(pk=call.pk)
    in_order = services.derive_call_state(
        StatusEvent(kind=k, occurred_at=t) for _, k, t, _ in posts
    )
    assert stored.status == in_order.status == timeline[-1][0]
    for field, value in in_order.timestamps.items():
        assert getattr(stored, field) == value, field
    first_of_kind = {}
    for _, kind, occurred_at, _ in posts:
        first_of_kind.setdefault(kind, occurred_at)
    assert stored.on_scene_at == first_of_kind.get(EventKind.ON_SCENE)
    assert stored.acknowledged_at == first_of_kind[EventKind.ACKNOWLEDGED]
    assert StatusEvent.objects.filter(call=call).count() == len(posts)
    on_scene_first = min(
        (arrival.index(i) for i, p in enumerate(posts) if p[1] == EventKind.ON_SCENE),
        default=None,
    )
    cleared_at = next(
        (arrival.index(i) for i, p in enumerate(posts) if p[1] == EventKind.CLEARED), None
    )
    assert bool(refused) == (cleared_at is not None and cleared_at < on_scene_first)
