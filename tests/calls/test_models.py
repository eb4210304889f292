"""The rules the calls models keep (database constraints), and how a call's status and
timestamps follow from its events (calls.services.derive_call_state)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from calls.choices import BackupReason, CallSource, CallStatus, EventKind
from calls.models import BackupRequest, Call, Outcome, StatusEvent
from calls.services import derive_call_state
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ProviderFactory,
)

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(kind: str, minutes: int) -> StatusEvent:
    """An event as a phone reports it, not yet stored (created_at unset)."""
    return StatusEvent(kind=kind, occurred_at=at(minutes))


# --- database constraints -----------------------------------------------------------------


@pytest.mark.django_db
def test_second_call_with_the_same_cad_incident_number_is_refused():
    first = CallFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(source=first.source, cad_incident_number=first.cad_incident_number)


@pytest.mark.django_db
def test_same_incident_number_from_another_source_is_accepted():
    first = CallFactory(source=CallSource.CAD_911)

    second = CallFactory(source=CallSource.UMCR_DESK, cad_incident_number=first.cad_incident_number)

    assert Call.objects.filter(cad_incident_number=second.cad_incident_number).count() == 2


@pytest.mark.django_db
def test_call_latitude_beyond_the_pole_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(latitude=Decimal("91.000000"), longitude=Decimal("-118.300000"))


@pytest.mark.django_db
def test_call_longitude_out_of_range_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(latitude=Decimal("34.050000"), longitude=Decimal("-181.000000"))


@pytest.mark.django_db
def test_call_assigned_to_a_team_without_a_routed_provider_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(routed_provider=None)


@pytest.mark.django_db
def test_call_stores_its_address_normalised():
    call = CallFactory(address="1200  W. 7th St., Apt #4")

    assert Call.objects.get(pk=call.pk).address_key == "1200 w 7th st apt 4"


@pytest.mark.django_db
def test_second_original_outcome_for_a_call_is_refused():
    first = OutcomeFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeFactory(call=first.call)


@pytest.mark.django_db
def test_outcome_correcting_the_original_is_accepted():
    original = OutcomeFactory()

    OutcomeFactory(call=original.call, supersedes=original)

    assert Outcome.objects.filter(call=original.call).count() == 2


@pytest.mark.django_db
def test_note_with_an_empty_body_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteFactory(body="")


@pytest.mark.django_db
def test_note_amending_itself_is_refused():
    note = NoteFactory()
    note.amends = note

    with pytest.raises(IntegrityError), transaction.atomic():
        note.save()


@pytest.mark.django_db
def test_backup_request_for_other_reason_without_details_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        BackupRequestFactory(reason=BackupReason.OTHER, details="")


@pytest.mark.django_db
def test_backup_request_for_other_reason_with_details_is_accepted():
    request = BackupRequestFactory(reason=BackupReason.OTHER, details="Crowd gathering, hostile.")

    assert BackupRequest.objects.filter(pk=request.pk).exists()


@pytest.mark.django_db
def test_person_aged_over_120_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(approximate_age=121)


@pytest.mark.django_db
def test_call_factory_given_a_provider_assigns_a_team_of_it():
    provider = ProviderFactory()

    call = CallFactory(routed_provider=provider)

    assert call.team.provider == provider


# --- derive_call_state --------------------------------------------------------------------


def test_events_arriving_out_of_order_give_the_status_of_the_latest():
    events = [
        event(EventKind.ON_SCENE, 20),
        event(EventKind.DISPATCHED, 0),
        event(EventKind.EN_ROUTE, 5),
        event(EventKind.ACKNOWLEDGED, 2),
    ]

    assert derive_call_state(events).status == CallStatus.ON_SCENE


def test_events_arriving_out_of_order_stamp_each_kind_when_it_happened():
    events = [
        event(EventKind.ON_SCENE, 20),
        event(EventKind.DISPATCHED, 0),
        event(EventKind.EN_ROUTE, 5),
        event(EventKind.ACKNOWLEDGED, 2),
    ]

    timestamps = derive_call_state(events).timestamps

    assert timestamps == {
        "dispatched_at": at(0),
        "acknowledged_at": at(2),
        "en_route_at": at(5),
        "on_scene_at": at(20),
        "transporting_at": None,
        "cleared_at": None,
        "cancelled_at": None,
    }


def test_repeated_event_keeps_the_time_of_its_first_occurrence():
    events = [event(EventKind.ON_SCENE, 30), event(EventKind.ON_SCENE, 10)]

    assert derive_call_state(events).timestamps["on_scene_at"] == at(10)


def test_event_after_cleared_leaves_the_call_cleared():
    events = [
        event(EventKind.DISPATCHED, 0),
        event(EventKind.ON_SCENE, 20),
        event(EventKind.CLEARED, 45),
        event(EventKind.EN_ROUTE, 50),
    ]

    state = derive_call_state(events)

    assert state.status == CallStatus.CLEARED
    assert state.timestamps["en_route_at"] == at(50)


def test_call_without_events_is_pending():
    assert derive_call_state([]).status == CallStatus.PENDING


def test_cancelled_call_stays_cancelled_when_a_team_event_follows():
    events = [
        event(EventKind.DISPATCHED, 0),
        event(EventKind.CANCELLED, 3),
        event(EventKind.ACKNOWLEDGED, 4),
    ]

    assert derive_call_state(events).status == CallStatus.CANCELLED


def test_events_stored_at_the_same_moment_are_ordered_by_arrival():
    first = event(EventKind.EN_ROUTE, 10)
    first.created_at = at(11)
    second = event(EventKind.ON_SCENE, 10)
    second.created_at = at(12)

    assert derive_call_state([second, first]).status == CallStatus.ON_SCENE


def stored(kind: str, minutes: int, received: int) -> StatusEvent:
    """An event the server recorded at `received` minutes, saying it happened at `minutes`."""
    e = event(kind, minutes)
    e.created_at = at(received)
    return e


def test_a_slow_phones_acknowledgement_answers_the_dispatch_it_came_after():
    # The desk dispatched at 10 (server clock); the phone, a minute slow, says 9:30.
    events = [stored(EventKind.DISPATCHED, 10, 10), stored(EventKind.ACKNOWLEDGED, 9, 11)]

    assert derive_call_state(events).status == CallStatus.ACKNOWLEDGED


def test_a_reassignments_dispatch_resets_the_status_whatever_the_old_teams_clock_said():
    # The old team's phone runs fast: its on-scene says 40, recorded at 20; reassigned at 30.
    events = [
        stored(EventKind.DISPATCHED, 0, 0),
        stored(EventKind.ON_SCENE, 40, 20),
        stored(EventKind.DISPATCHED, 30, 30),
    ]

    assert derive_call_state(events).status == CallStatus.DISPATCHED


def test_the_new_teams_events_after_a_reassignment_give_the_status():
    events = [
        stored(EventKind.DISPATCHED, 0, 0),
        stored(EventKind.ON_SCENE, 20, 20),
        stored(EventKind.DISPATCHED, 30, 30),
        stored(EventKind.ACKNOWLEDGED, 29, 31),
    ]

    state = derive_call_state(events)
    assert state.status == CallStatus.ACKNOWLEDGED
    assert state.timestamps["dispatched_at"] == at(0)


@given(
    minutes=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=8, unique=True),
    kinds=st.lists(st.sampled_from(list(EventKind)), min_size=8, max_size=8),
    data=st.data(),
)
def test_derived_state_does_not_depend_on_arrival_order(minutes, kinds, data):
    events = [event(kind, m) for kind, m in zip(kinds, minutes, strict=False)]
    shuffled = data.draw(st.permutations(events))

    assert derive_call_state(shuffled) == derive_call_state(events)


@given(
    minutes=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=8, unique=True),
    kinds=st.lists(st.sampled_from(list(EventKind)), min_size=8, max_size=8),
)
def test_derived_status_is_closed_once_any_closing_event_exists(minutes, kinds):
    events = [event(kind, m) for kind, m in zip(kinds, minutes, strict=False)]
    reported = {e.kind for e in events}
    latest = max(events, key=lambda e: e.occurred_at)

    status = derive_call_state(events).status

    if EventKind.CANCELLED in reported:
        assert status == CallStatus.CANCELLED
    elif EventKind.CLEARED in reported:
        assert status == CallStatus.CLEARED
    else:
        assert status == latest.kind
