"""Acknowledgement windows (calls/tasks.py): a dispatched call nobody acknowledges within its
priority's window re-alerts the team; a second window later the desk and the provider's
supervisors. Each run is idempotent: the same dispatch alerts each person once.

Windows are the defaults: urgent 2 min, prompt 5, routine 10.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from calls.choices import EventKind, Priority
from calls.models import StatusEvent
from calls.services import refresh_call_state
from calls.tasks import escalate_unacknowledged
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    ProviderFactory,
    SupervisorFactory,
    TeamFactory,
)
from umcr.models import Delivery, DeliveryChannel, NotificationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    team = TeamFactory(provider=ProviderFactory(slug="alcott"), call_sign="ALCOTT-1")
    ClinicianFactory(team=team, user__username="clinician-a")
    ClinicianFactory(team=team, user__username="clinician-b")
    SupervisorFactory(provider=team.provider, user__username="supervisor")
    SupervisorFactory(user__username="other-supervisor")  # another provider's
    DispatcherFactory(user__username="desk")
    return team


def dispatched(team, priority: int, minutes_ago: float, **events):
    """A call of `team` whose dispatch the server recorded `minutes_ago`."""
    call = CallFactory(team=team, priority=priority)
    event = event_at(call, EventKind.DISPATCHED, minutes_ago)
    for kind, ago in events.items():
        event_at(call, kind, ago)
    refresh_call_state(call=call)
    call.refresh_from_db()
    return call, event


def event_at(call, kind: str, minutes_ago: float) -> StatusEvent:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    event = StatusEvent.objects.create(call=call, kind=kind, occurred_at=at)
    StatusEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def alerted(kind: str) -> list[str]:
    return sorted(
        Delivery.objects.filter(kind=kind, channel=DeliveryChannel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.mark.parametrize(
    ("priority", "inside", "past_one", "past_two"),
    [(Priority.URGENT, 1.5, 2.5, 4.5), (Priority.PROMPT, 4, 6, 11), (Priority.ROUTINE, 9, 11, 21)],
)
def test_each_priority_has_its_window_then_the_team_then_the_desk(
    team, priority, inside, past_one, past_two
):
    dispatched(team, priority, inside)
    assert escalate_unacknowledged() == 0

    dispatched(team, priority, past_one)
    escalate_unacknowledged()
    assert alerted(NotificationKind.ACK_REMINDER) == ["clinician-a", "clinician-b"]
    assert alerted(NotificationKind.ACK_OVERDUE) == []

    dispatched(team, priority, past_two)
    escalate_unacknowledged()
    assert alerted(NotificationKind.ACK_OVERDUE) == ["desk", "supervisor"]


def test_a_timer_that_fires_twice_alerts_once(team):
    dispatched(team, Priority.URGENT, 10)

    first, second = escalate_unacknowledged(), escalate_unacknowledged()

    assert (first, second) == (4, 0)
    assert alerted(NotificationKind.ACK_REMINDER) == ["clinician-a", "clinician-b"]
    assert alerted(NotificationKind.ACK_OVERDUE) == ["desk", "supervisor"]


def test_an_acknowledged_call_alerts_nobody(team):
    dispatched(team, Priority.URGENT, 10, acknowledged=9)

    assert escalate_unacknowledged() == 0


def test_a_reassignment_starts_a_new_window(team):
    call, _ = dispatched(team, Priority.URGENT, 30)
    event_at(call, EventKind.DISPATCHED, 1)  # the desk sent it again a minute ago
    refresh_call_state(call=call)

    assert escalate_unacknowledged() == 0


def test_the_schedule_runs_every_minute():
    schedule = Schedule.objects.get(name="acknowledgement windows")

    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "calls.tasks.escalate_unacknowledged",
        Schedule.MINUTES,
        1,
    )
