"""Rerouting a call nobody acknowledged (calls/reroute.py): with ACK_AUTO_REROUTE on, the
acknowledgement window moves the call to the routing's next team when it alerts the desk (two
windows after the dispatch), once, kept in the call's history and told to both teams and the
desk; off (the default), the desk reroutes in one action (POST /calls/{id}/assign/)."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from calls.choices import CallStatus, EventKind, Priority
from calls.models import BackupRequest, Call, CallReroute, StatusEvent
from calls.services import refresh_call_state
from calls.tasks import escalate_unacknowledged
from responders.models import Responder
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    ProviderFactory,
    ShiftFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import created, minutes_ago_ms, push
from umcr.models import Delivery, DeliveryChannel, NotificationKind

from .helpers import backup_body, backups_url, call_url, minutes_ago, note_body, phone_of, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    provider = ProviderFactory(slug="alcott")
    first = TeamFactory(provider=provider, call_sign="ALCOTT-1")
    second = TeamFactory(provider=provider, call_sign="ALCOTT-2")
    for team, names in ((first, ("first-a", "first-b")), (second, ("second-a", "second-b"))):
        ShiftFactory(team=team)
        for name in names:
            ClinicianFactory(team=team, user__username=name)
    SupervisorFactory(provider=provider, user__username="supervisor")
    DispatcherFactory(user__username="desk")
    return first, second


@pytest.fixture
def auto_reroute(settings):
    settings.ACK_AUTO_REROUTE = True


def dispatched(
    team, minutes_ago: float, priority: int = Priority.URGENT
) -> tuple[Call, StatusEvent]:
    call = CallFactory(team=team, priority=priority)
    at = timezone.now() - timedelta(minutes=minutes_ago)
    event = StatusEvent.objects.create(call=call, kind=EventKind.DISPATCHED, occurred_at=at)
    StatusEvent.objects.filter(pk=event.pk).update(created_at=at)
    refresh_call_state(call=call)
    call.refresh_from_db()
    return call, event


def told(kind: str) -> list[str]:
    return sorted(
        Delivery.objects.filter(kind=kind, channel=DeliveryChannel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.mark.usefixtures("auto_reroute")
def test_a_call_nobody_acknowledged_moves_to_the_next_team(teams):
    first, second = teams
    call, missed = dispatched(first, minutes_ago=5)  # urgent: two windows are 4 min

    escalate_unacknowledged()

    call.refresh_from_db()
    assert call.team_id == second.pk
    assert call.status == CallStatus.DISPATCHED
    reroute = CallReroute.objects.get(call=call)
    assert (reroute.missed_dispatch_id, reroute.from_team_id, reroute.to_team_id) == (
        missed.pk,
        first.pk,
        second.pk,
    )
    assert "Not acknowledged" in reroute.reason
    assert told(NotificationKind.CALL_REROUTED) == [
        "desk",
        "first-a",
        "first-b",
        "second-a",
        "second-b",
        "supervisor",
    ]
    assert told(NotificationKind.CALL_ASSIGNED) == ["second-a", "second-b"]


@pytest.mark.usefixtures("auto_reroute")
def test_a_timer_that_fires_twice_reroutes_once(teams):
    first, second = teams
    call, _ = dispatched(first, minutes_ago=5)

    escalate_unacknowledged()
    escalate_unacknowledged()

    call.refresh_from_db()
    assert call.team_id == second.pk
    assert CallReroute.objects.filter(call=call).count() == 1
    assert call.events.filter(kind=EventKind.DISPATCHED).count() == 2
    assert len(told(NotificationKind.CALL_REROUTED)) == 6


@pytest.mark.usefixtures("auto_reroute")
def test_the_new_team_gets_its_own_window_and_never_the_call_back(teams):
    first, second = teams
    call, _ = dispatched(first, minutes_ago=5)
    escalate_unacknowledged()
    # The new dispatch is five minutes old too: the second team did not answer either.
    StatusEvent.objects.filter(call=call).update(created_at=timezone.now() - timedelta(minutes=5))
    ShiftFactory(team=TeamFactory(provider=first.provider, call_sign="ALCOTT-3"))

    escalate_unacknowledged()

    call.refresh_from_db()
    assert call.team.call_sign == "ALCOTT-3"
    assert list(
        CallReroute.objects.filter(call=call).values_list("to_team__call_sign", flat=True)
    ) == ["ALCOTT-2", "ALCOTT-3"]


@pytest.mark.usefixtures("auto_reroute")
def test_no_other_team_on_shift_leaves_the_call_with_the_desk_alerted(teams):
    first, second = teams
    second.shifts.all().delete()
    call, _ = dispatched(first, minutes_ago=5)

    escalate_unacknowledged()

    call.refresh_from_db()
    assert call.team_id == first.pk
    assert not CallReroute.objects.exists()
    assert told(NotificationKind.ACK_OVERDUE) == ["desk", "supervisor"]


@pytest.mark.usefixtures("auto_reroute")
def test_the_next_team_never_crosses_the_calls_provider_or_program(teams):
    first, second = teams
    second.shifts.all().delete()
    ShiftFactory(team=TeamFactory(call_sign="EXODUS-1"))  # another provider's, on shift
    call, _ = dispatched(first, minutes_ago=5)

    escalate_unacknowledged()

    call.refresh_from_db()
    assert call.team_id == first.pk


@pytest.mark.usefixtures("auto_reroute")
def test_only_after_the_desk_is_alerted_and_never_an_acknowledged_call(teams):
    first, _ = teams
    early, _ = dispatched(first, minutes_ago=3)  # past one window, not two
    answered, _ = dispatched(first, minutes_ago=10)
    StatusEvent.objects.create(
        call=answered, kind=EventKind.ACKNOWLEDGED, occurred_at=timezone.now()
    )
    refresh_call_state(call=answered)

    escalate_unacknowledged()

    assert Call.objects.get(pk=early.pk).team_id == first.pk
    assert Call.objects.get(pk=answered.pk).team_id == first.pk
    assert not CallReroute.objects.exists()


def test_off_by_default_the_call_stays_and_the_desk_reroutes_it_in_one_action(teams):
    first, second = teams
    call, _ = dispatched(first, minutes_ago=5)

    escalate_unacknowledged()
    call.refresh_from_db()
    assert call.team_id == first.pk
    assert not CallReroute.objects.exists()

    desk = phone_of(DispatcherFactory())
    response = post(desk.client, call_url(call, "assign/"), {"team": "ALCOTT-2"})

    assert response.status_code == 200, response.content
    call.refresh_from_db()
    assert call.team_id == second.pk
    # A new dispatch: a new window, so the task alerts nobody about it now.
    before = Delivery.objects.count()
    escalate_unacknowledged()
    assert Delivery.objects.count() == before


@pytest.mark.usefixtures("auto_reroute")
def test_the_team_rerouted_away_may_still_call_for_police_on_that_call_and_nothing_else(teams):
    """The team that missed the window is often the one without signal, already on its way:
    its police-backup request on the call (REST or a later push) is taken and alerts the
    desk; its other records on the call are refused, as for any call no longer its own."""
    first, second = teams
    call, _ = dispatched(first, minutes_ago=5)
    escalate_unacknowledged()
    call.refresh_from_db()
    assert call.team_id == second.pk
    phone = phone_of(Responder.objects.get(user__username="first-a"))

    body = backup_body(minutes_ago(1))
    asked = post(phone.client, backups_url(call), body)
    again = post(phone.client, backups_url(call), body)  # a retry: the stored request
    pushed = push(
        phone.client,
        created(
            backup_requests=[
                {
                    "id": str(uuid.uuid4()),
                    "call_id": str(call.pk),
                    "reason": "weapon_seen",
                    "details": "",
                    "occurred_at": minutes_ago_ms(2),
                }
            ]
        ),
        None,
    )
    note = post(phone.client, call_url(call, "notes/"), note_body("on our way", minutes_ago(1)))

    assert asked.status_code == 201, asked.content
    assert again.status_code == 200, again.content
    assert pushed.status_code == 200 and pushed.json()["applied"] == 1, pushed.content
    assert BackupRequest.objects.filter(call=call).count() == 2
    assert "desk" in told(NotificationKind.BACKUP_REQUESTED)
    assert note.status_code == 404


@pytest.mark.usefixtures("auto_reroute")
def test_a_team_that_never_had_the_call_may_not_ask_for_police_on_it(teams, settings):
    first, second = teams
    call, _ = dispatched(first, minutes_ago=1)  # not rerouted
    stranger = phone_of(Responder.objects.get(user__username="second-a"))

    asked = post(stranger.client, backups_url(call), backup_body(minutes_ago(1)))

    assert asked.status_code == 404
    assert not BackupRequest.objects.exists()
