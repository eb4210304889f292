"""Reassignment: the provider's supervisor (or the desk) moves a call to another of the
provider's teams, by the API or the admin's "reassign" action. The new team is told and
pulls the call; the previous team's phones lose it on their next pull.

Alcott has teams ALCOTT-1 (holding the call) and ALCOTT-2; Exodus has EXODUS-1.
"""

import pytest
from django.utils import timezone

from calls.choices import CallStatus, EventKind
from calls.models import Call, StatusEvent
from tests.calls import routing_helpers
from tests.calls.routing_helpers import (
    CALL_CHANGELIST,
    SYNC_DB,
    assign_url,
    client_for,
    deleted_ids,
    pull,
    pulled_call_ids,
)
from tests.factories import (
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    DispatcherFactory,
    PersonFactory,
    ProviderFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)
from umcr.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db
migration_data = routing_helpers.migration_data
sync_counter = routing_helpers.sync_counter


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott", slug="alcott")


@pytest.fixture
def exodus():
    return ProviderFactory(name="Exodus", slug="exodus")


@pytest.fixture
def first_team(alcott):
    return TeamFactory(provider=alcott, call_sign="ALCOTT-1")


@pytest.fixture
def second_team(alcott):
    return TeamFactory(provider=alcott, call_sign="ALCOTT-2")


@pytest.fixture
def exodus_team(exodus):
    return TeamFactory(provider=exodus, call_sign="EXODUS-1")


@pytest.fixture
def call(first_team):
    """A call the desk dispatched to ALCOTT-1, which acknowledged it."""
    call = CallFactory(team=first_team)
    StatusEventFactory(call=call, kind=EventKind.DISPATCHED)
    StatusEventFactory(call=call, kind=EventKind.ACKNOWLEDGED)
    return call


@pytest.fixture
def supervisor(alcott):
    return client_for(SupervisorFactory(provider=alcott))


@pytest.fixture
def reassign(django_capture_on_commit_callbacks):
    """POST the assignment, running what waits for the commit (the notification task)."""

    def reassign(client, call, team: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(assign_url(call), {"team": team}, format="json")

    return reassign


# --- by the API -------------------------------------------------------------------------------


def test_supervisor_moves_the_call_to_another_of_their_teams(
    supervisor, call, second_team, reassign
):
    response = reassign(supervisor, call, "ALCOTT-2")

    call.refresh_from_db()
    assert response.status_code == 200, response.content
    assert call.team == second_team
    assert (response.json()["team"], response.json()["call"]["id"]) == ("ALCOTT-2", str(call.pk))


def test_reassignment_records_another_dispatched_event(supervisor, call, second_team, reassign):
    reassign(supervisor, call, "ALCOTT-2")

    kinds = StatusEvent.objects.filter(call=call).order_by("occurred_at")
    assert [e.kind for e in kinds] == [
        EventKind.DISPATCHED,
        EventKind.ACKNOWLEDGED,
        EventKind.DISPATCHED,
    ]


def test_reassigned_call_is_dispatched_again(supervisor, call, second_team, reassign):
    response = reassign(supervisor, call, "ALCOTT-2")

    call.refresh_from_db()
    assert call.status == CallStatus.DISPATCHED
    assert response.json()["call"]["status"] == CallStatus.DISPATCHED


def test_new_teams_clinicians_are_notified(supervisor, call, first_team, second_team, reassign):
    new_pair = [ClinicianFactory(team=second_team), ClinicianFactory(team=second_team)]
    ClinicianFactory(team=first_team)

    reassign(supervisor, call, "ALCOTT-2")

    notified = Notification.objects.filter(kind=NotificationKind.CALL_ASSIGNED, call=call)
    assert sorted(n.recipient_id for n in notified) == sorted(c.user_id for c in new_pair)


def test_supervisor_assigns_a_call_waiting_with_no_team(supervisor, alcott, second_team, reassign):
    waiting = CallFactory(team=None, routed_provider=alcott)

    response = reassign(supervisor, waiting, "ALCOTT-2")

    waiting.refresh_from_db()
    assert response.status_code == 200
    assert (waiting.team, waiting.status) == (second_team, CallStatus.DISPATCHED)


def test_desk_reassigns_a_call(call, second_team, reassign):
    desk = client_for(DispatcherFactory())

    response = reassign(desk, call, "ALCOTT-2")

    call.refresh_from_db()
    assert response.status_code == 200
    assert call.team == second_team


def test_other_providers_supervisor_gets_404(exodus, call, exodus_team, reassign):
    stranger = client_for(SupervisorFactory(provider=exodus))

    response = reassign(stranger, call, "EXODUS-1")

    call.refresh_from_db()
    assert response.status_code == 404
    assert call.team.call_sign == "ALCOTT-1"


def test_supervisor_naming_another_providers_team_gets_400(supervisor, call, exodus_team, reassign):
    response = reassign(supervisor, call, "EXODUS-1")

    call.refresh_from_db()
    assert response.status_code == 400
    assert "team" in response.json()
    assert call.team.call_sign == "ALCOTT-1"


def test_desk_naming_a_team_of_another_provider_gets_400(call, exodus_team, reassign):
    desk = client_for(DispatcherFactory())

    response = reassign(desk, call, "EXODUS-1")

    assert response.status_code == 400
    assert "team" in response.json()


def test_desk_cannot_move_a_call_to_another_providers_team(call, exodus_team, reassign):
    desk = client_for(DispatcherFactory())

    response = reassign(desk, call, "EXODUS-1")

    call.refresh_from_db()
    assert response.status_code >= 400
    assert call.team.call_sign == "ALCOTT-1"


def test_unknown_team_gets_400(supervisor, call, reassign):
    response = reassign(supervisor, call, "NOBODY-9")

    assert response.status_code == 400
    assert "team" in response.json()


def test_inactive_team_gets_400(supervisor, call, alcott, reassign):
    TeamFactory(provider=alcott, call_sign="ALCOTT-OLD", is_active=False)

    response = reassign(supervisor, call, "ALCOTT-OLD")

    call.refresh_from_db()
    assert response.status_code == 400
    assert call.team.call_sign == "ALCOTT-1"


def test_missing_team_gets_400_naming_it(supervisor, call):
    response = supervisor.post(assign_url(call), {}, format="json")

    assert response.status_code == 400
    assert "team" in response.json()


@pytest.mark.parametrize("closed", [CallStatus.CLEARED, CallStatus.CANCELLED])
def test_closed_call_cannot_be_reassigned(supervisor, first_team, second_team, reassign, closed):
    done = CallFactory(team=first_team, status=closed)

    response = reassign(supervisor, done, "ALCOTT-2")

    done.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["detail"]
    assert done.team == first_team


@pytest.mark.parametrize(
    "make_responder",
    [
        pytest.param(lambda team: ClinicianFactory(team=team), id="clinician"),
        pytest.param(lambda team: CaseManagerFactory(provider=team.provider), id="case_manager"),
    ],
)
def test_only_supervisors_and_the_desk_reassign(
    make_responder, call, first_team, second_team, reassign
):
    client = client_for(make_responder(first_team))

    response = reassign(client, call, "ALCOTT-2")

    call.refresh_from_db()
    assert response.status_code == 403
    assert call.team == first_team


# --- the phones -------------------------------------------------------------------------------


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_previous_teams_phone_loses_the_call_on_its_next_pull(call, first_team, second_team):
    phone = client_for(ClinicianFactory(team=first_team))
    before = pull(phone)
    assert str(call.pk) in pulled_call_ids(before)

    client_for(SupervisorFactory(provider=first_team.provider)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )

    after = pull(phone, before["timestamp"])
    assert str(call.pk) in deleted_ids(after, "calls")
    assert str(call.pk) not in pulled_call_ids(after)


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_previous_teams_phone_loses_the_calls_events(call, first_team, second_team):
    phone = client_for(ClinicianFactory(team=first_team))
    cursor = pull(phone)["timestamp"]
    event_ids = {
        str(pk) for pk in StatusEvent.objects.filter(call=call).values_list("pk", flat=True)
    }

    client_for(SupervisorFactory(provider=first_team.provider)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )

    assert event_ids <= deleted_ids(pull(phone, cursor), "status_events")


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_previous_teams_phone_loses_the_person_it_saw_only_through_the_call(first_team, alcott):
    TeamFactory(provider=alcott, call_sign="ALCOTT-2")
    person = PersonFactory(provider=alcott)
    call = CallFactory(team=first_team, person=person)
    phone = client_for(ClinicianFactory(team=first_team))
    cursor = pull(phone)["timestamp"]

    client_for(SupervisorFactory(provider=alcott)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )

    assert str(person.pk) in deleted_ids(pull(phone, cursor), "people")


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_previous_teams_phone_keeps_a_person_it_still_has_another_call_with(first_team, alcott):
    TeamFactory(provider=alcott, call_sign="ALCOTT-2")
    person = PersonFactory(provider=alcott)
    call = CallFactory(team=first_team, person=person)
    CallFactory(team=first_team, person=person)
    phone = client_for(ClinicianFactory(team=first_team))
    cursor = pull(phone)["timestamp"]

    client_for(SupervisorFactory(provider=alcott)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )

    assert str(person.pk) not in deleted_ids(pull(phone, cursor), "people")


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_new_teams_phone_pulls_the_reassigned_call(call, first_team, second_team):
    phone = client_for(ClinicianFactory(team=second_team))
    before = pull(phone)
    assert str(call.pk) not in pulled_call_ids(before)

    client_for(SupervisorFactory(provider=first_team.provider)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )

    body = pull(phone, before["timestamp"])
    assert str(call.pk) in pulled_call_ids(body)
    assert str(call.pk) not in deleted_ids(body, "calls")


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_previous_teams_first_sync_after_reassignment_has_no_call(call, first_team, second_team):
    client_for(SupervisorFactory(provider=first_team.provider)).post(
        assign_url(call), {"team": "ALCOTT-2"}, format="json"
    )
    phone = client_for(ClinicianFactory(team=first_team))

    assert str(call.pk) not in pulled_call_ids(pull(phone))


# --- by the admin's action ----------------------------------------------------------------------


def admin_reassign(client, calls, team: str):
    return client.post(
        CALL_CHANGELIST,
        {
            "action": "reassign",
            "team": team,
            "_selected_action": [str(c.pk) for c in calls],
            "index": "0",
        },
    )


@pytest.fixture
def supervisor_admin(client, alcott):
    client.force_login(SupervisorFactory(provider=alcott).user)
    return client


def test_supervisor_reassigns_a_call_from_the_admin(supervisor_admin, call, second_team):
    response = admin_reassign(supervisor_admin, [call], "ALCOTT-2")

    call.refresh_from_db()
    assert response.status_code == 302
    assert call.team == second_team
    assert call.status == CallStatus.DISPATCHED


def test_admin_reassignment_records_a_dispatched_event(supervisor_admin, call, second_team):
    before = timezone.now()

    admin_reassign(supervisor_admin, [call], "ALCOTT-2")

    assert StatusEvent.objects.filter(
        call=call, kind=EventKind.DISPATCHED, occurred_at__gte=before
    ).exists()


def test_admin_reassigns_several_selected_calls(supervisor_admin, first_team, second_team):
    calls = [CallFactory(team=first_team), CallFactory(team=first_team)]

    admin_reassign(supervisor_admin, calls, "ALCOTT-2")

    assert Call.objects.filter(team=second_team).count() == 2


def test_admin_reassign_to_another_providers_team_moves_nothing(
    supervisor_admin, call, exodus_team
):
    admin_reassign(supervisor_admin, [call], "EXODUS-1")

    call.refresh_from_db()
    assert call.team.call_sign == "ALCOTT-1"


def test_admin_reassign_cannot_reach_another_providers_call(supervisor_admin, exodus, exodus_team):
    theirs = CallFactory(team=exodus_team)
    TeamFactory(provider=exodus, call_sign="EXODUS-2")

    admin_reassign(supervisor_admin, [theirs], "EXODUS-2")

    theirs.refresh_from_db()
    assert theirs.team == exodus_team


def test_admin_reassign_leaves_a_cleared_call_where_it_is(
    supervisor_admin, first_team, second_team
):
    done = CallFactory(team=first_team, status=CallStatus.CLEARED)

    admin_reassign(supervisor_admin, [done], "ALCOTT-2")

    done.refresh_from_db()
    assert done.team == first_team


def test_case_manager_cannot_reassign_from_the_admin(client, alcott, call, second_team):
    client.force_login(CaseManagerFactory(provider=alcott).user)

    admin_reassign(client, [call], "ALCOTT-2")

    call.refresh_from_db()
    assert call.team.call_sign == "ALCOTT-1"
