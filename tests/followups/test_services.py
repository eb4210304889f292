"""The follow-ups services, the one write path the API, the sync push and the admin share:
who may schedule what, the window rule, the lifecycle (a closed follow-up never moves
again), the history each change leaves, and what a hand-over tells the phones."""

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followups import services
from followups.api.serializers import FollowUpCreateSerializer, FollowUpMoveSerializer
from followups.choices import FollowUpKind, FollowUpStatus
from followups.models import FollowUp, FollowUpChange
from tests.factories import CallFactory, ClinicianFactory, DispatcherFactory, PersonFactory
from tests.followups.helpers import CLOSED_FOLLOWUP_STATUSES, hours_from_now, provider_staff
from umcr.errors import Conflict, Invalid, NotAllowed
from umcr.models import SyncExit

pytestmark = pytest.mark.django_db


@pytest.fixture
def alcott():
    return provider_staff("Alcott", "WIL")


def schedule(staff, responder=None, **fields) -> FollowUp:
    opens = fields.pop("not_before", hours_from_now(24))
    arguments = {
        "responder": responder or staff.clinician,
        "followup_id": uuid.uuid4(),
        "kind": FollowUpKind.VISIT,
        "not_before": opens,
        "due_by": opens + timedelta(days=2),
        "call_id": staff.call.pk,
        **fields,
    }
    return services.create_followup(**arguments).record


# --- scheduling -------------------------------------------------------------------------------


def test_clinicians_follow_up_goes_to_their_own_pair_by_default(alcott):
    followup = schedule(alcott)

    assert (followup.assigned_team, followup.assigned_to) == (alcott.team, None)
    assert (followup.provider, followup.person) == (alcott.provider, alcott.person)


def test_scheduling_writes_the_first_history_row_with_its_author(alcott):
    followup = schedule(alcott, responder=alcott.partner)

    change = FollowUpChange.objects.get(followup=followup)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "",
        "scheduled",
        alcott.partner,
    )


def test_the_same_id_again_returns_the_stored_follow_up_unchanged(alcott):
    first = schedule(alcott)

    again = services.create_followup(
        responder=alcott.clinician,
        followup_id=first.pk,
        kind=FollowUpKind.PHONE_CALL,
        not_before=hours_from_now(1),
        due_by=hours_from_now(2),
        call_id=alcott.call.pk,
    )

    assert again.created is False
    assert FollowUp.objects.get(pk=first.pk).kind == FollowUpKind.VISIT
    assert FollowUpChange.objects.filter(followup=first).count() == 1


def test_unknown_kind_is_refused_by_the_serializer_naming_kind():
    # A choice is checked in one layer: the serializer both ways in read a follow-up with.
    serializer = FollowUpCreateSerializer(
        data={"kind": "carrier_pigeon", "not_before": "2030-01-01T00:00:00Z", "due_by": None}
    )

    assert not serializer.is_valid()
    assert "kind" in serializer.errors


def test_window_closing_before_it_opens_is_invalid_naming_due_by(alcott):
    opens = hours_from_now(24)

    with pytest.raises(Invalid) as refused:
        schedule(alcott, not_before=opens, due_by=opens - timedelta(minutes=1))

    assert list(refused.value.detail) == ["due_by"]


def test_a_window_of_one_instant_is_accepted(alcott):
    opens = hours_from_now(24)

    followup = schedule(alcott, not_before=opens, due_by=opens)

    assert FollowUp.objects.get(pk=followup.pk).due_by == opens


def test_the_dispatch_desk_may_not_schedule_follow_ups(alcott):
    with pytest.raises(NotAllowed):
        schedule(alcott, responder=DispatcherFactory())

    assert not FollowUp.objects.exists()


def test_clinician_may_not_schedule_on_another_pairs_call(alcott):
    other_call = CallFactory(routed_provider=alcott.provider)

    with pytest.raises(Invalid) as refused:
        schedule(alcott, call_id=other_call.pk)

    assert "call" in refused.value.detail  # the API's name of the field


def test_clinician_may_schedule_for_a_person_their_partner_recorded(alcott):
    person = PersonFactory(provider=alcott.provider, created_by=alcott.partner)

    followup = schedule(alcott, call_id=None, person_id=person.pk)

    assert (followup.person, followup.call, followup.assigned_team) == (person, None, alcott.team)


def test_clinician_may_not_schedule_for_a_person_only_another_pair_met(alcott):
    stranger = CallFactory(routed_provider=alcott.provider, person=PersonFactory()).person

    with pytest.raises(Invalid) as refused:
        schedule(alcott, call_id=None, person_id=stranger.pk)

    assert "person" in refused.value.detail  # the API's name of the field


# --- the lifecycle ----------------------------------------------------------------------------


def test_completing_without_any_outcome_is_invalid_and_changes_nothing(alcott):
    followup = schedule(alcott)

    with pytest.raises(Invalid) as refused:
        services.change_followup(
            followup=followup, responder=alcott.clinician, status=FollowUpStatus.COMPLETED
        )

    assert list(refused.value.detail) == ["outcome"]
    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.status, stored.closed_at) == (FollowUpStatus.SCHEDULED, None)


def test_completing_keeps_an_outcome_written_before(alcott):
    followup = schedule(alcott)
    FollowUp.objects.filter(pk=followup.pk).update(outcome="Met her at the library.")

    done = services.change_followup(
        followup=followup, responder=alcott.clinician, status=FollowUpStatus.COMPLETED
    )

    assert (done.status, done.outcome) == (FollowUpStatus.COMPLETED, "Met her at the library.")


def test_rescheduling_and_closing_at_once_is_a_conflict(alcott):
    followup = schedule(alcott)

    with pytest.raises(Conflict):
        services.change_followup(
            followup=followup,
            responder=alcott.clinician,
            status=FollowUpStatus.CANCELLED,
            due_by=followup.due_by + timedelta(days=1),
        )

    assert FollowUp.objects.get(pk=followup.pk).status == FollowUpStatus.SCHEDULED


def test_moving_only_the_end_of_the_window_keeps_its_start_and_the_old_end(alcott):
    followup = schedule(alcott)
    later = followup.due_by + timedelta(days=3)

    services.change_followup(followup=followup, responder=alcott.partner, due_by=later)

    stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.not_before, stored.due_by) == (followup.not_before, later)
    change = stored.changes.last()
    assert (change.old_not_before, change.old_due_by, change.changed_by) == (
        followup.not_before,
        followup.due_by,
        alcott.partner,
    )


def test_rescheduling_to_the_same_window_writes_no_history(alcott):
    followup = schedule(alcott)

    services.change_followup(
        followup=followup,
        responder=alcott.clinician,
        not_before=followup.not_before,
        due_by=followup.due_by,
    )

    assert followup.changes.count() == 1


def test_unknown_status_is_refused_by_the_serializer_naming_status():
    # A choice is checked in one layer: the serializer a pushed change is read with.
    serializer = FollowUpMoveSerializer(data={"status": "lost"})

    assert not serializer.is_valid()
    assert list(serializer.errors) == ["status"]


@pytest.mark.parametrize(
    ("closed", "target"),
    [
        (closed, target)
        for closed in CLOSED_FOLLOWUP_STATUSES
        for target in (*CLOSED_FOLLOWUP_STATUSES, FollowUpStatus.SCHEDULED)
        if target != closed
    ],
)
def test_a_closed_follow_up_refuses_every_other_status(alcott, closed, target):
    followup = schedule(alcott)
    services.change_followup(
        followup=followup, responder=alcott.clinician, status=closed, outcome="Seen."
    )

    with pytest.raises(Conflict) as refused:
        services.change_followup(followup=followup, responder=alcott.clinician, status=target)

    assert refused.value.detail == f"The follow-up is already {closed}; it cannot change now."
    assert FollowUp.objects.get(pk=followup.pk).status == closed


@pytest.mark.parametrize("closed", CLOSED_FOLLOWUP_STATUSES)
def test_repeating_the_closing_status_is_a_retry_that_writes_nothing(alcott, closed):
    followup = schedule(alcott)
    services.change_followup(
        followup=followup, responder=alcott.clinician, status=closed, outcome="Seen."
    )

    again = services.change_followup(
        followup=followup, responder=alcott.partner, status=closed, outcome="Other words."
    )

    assert (again.status, FollowUp.objects.get(pk=followup.pk).outcome) == (closed, "Seen.")
    assert followup.changes.count() == 2


# --- a hand-over and the phones --------------------------------------------------------------


def test_handing_a_pairs_follow_up_to_a_case_manager_drops_it_from_the_pairs_phones(alcott):
    followup = schedule(alcott, call_id=None, person_id=alcott.person.pk)

    services.reassign_followup(
        followup=followup, responder=alcott.supervisor, assigned_to_id=alcott.case_manager.pk
    )

    exit_ = SyncExit.objects.get(record_id=str(followup.pk))
    assert (exit_.table, exit_.audience) == ("follow_ups", f"team:{alcott.team.pk}")


def test_handing_over_a_follow_up_of_the_pairs_own_call_leaves_it_on_their_phones(alcott):
    followup = schedule(alcott)

    services.reassign_followup(
        followup=followup, responder=alcott.supervisor, assigned_to_id=alcott.case_manager.pk
    )

    assert FollowUp.objects.get(pk=followup.pk).assigned_to == alcott.case_manager
    assert not SyncExit.objects.filter(record_id=str(followup.pk)).exists()


def test_handing_over_to_a_clinician_by_name_is_invalid(alcott):
    followup = schedule(alcott)
    other = ClinicianFactory(provider=alcott.provider)

    with pytest.raises(Invalid) as refused:
        services.reassign_followup(
            followup=followup, responder=alcott.supervisor, assigned_to_id=other.pk
        )

    assert list(refused.value.detail) == ["assigned_to"]


# --- any sequence of moves ---------------------------------------------------------------------

MOVES = st.lists(st.sampled_from(["reschedule", *CLOSED_FOLLOWUP_STATUSES]), min_size=1, max_size=6)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=MOVES)
def test_any_sequence_of_moves_closes_at_most_once_and_keeps_one_history_row_per_change(
    alcott, moves
):
    followup = schedule(alcott)
    status, changes = FollowUpStatus.SCHEDULED, 1
    for step, move in enumerate(moves, start=1):
        if move == "reschedule":
            arguments = {"due_by": followup.due_by + timedelta(hours=step)}
        else:
            arguments = {"status": move, "outcome": "Seen."}
        closed = status != FollowUpStatus.SCHEDULED
        if closed and move != status:
            with pytest.raises(Conflict):
                services.change_followup(followup=followup, responder=alcott.clinician, **arguments)
            continue
        services.change_followup(followup=followup, responder=alcott.clinician, **arguments)
        if not closed:
            status, changes = (status if move == "reschedule" else move), changes + 1

    stored = FollowUp.objects.get(pk=followup.pk)
    assert stored.status == status
    assert stored.changes.count() == changes
    assert (stored.closed_at is None) == (status == FollowUpStatus.SCHEDULED)
