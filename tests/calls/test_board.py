"""The live board's body (/board/live/), as the page fetches it every few seconds: alerts
first (pending backups, calls nobody acknowledged in their window), open calls with their
age and the time since their last event, teams; in a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.choices import CallStatus, EventKind, Priority
from calls.models import StatusEvent
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    ShiftFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> Client:
    client = Client()
    client.force_login(DispatcherFactory().user)
    return client


def dispatched_minutes_ago(team, minutes: float, priority=Priority.URGENT):
    at = timezone.now() - timedelta(minutes=minutes)
    call = CallFactory(team=team, priority=priority, status=CallStatus.DISPATCHED, dispatched_at=at)
    event = StatusEvent.objects.create(call=call, kind=EventKind.DISPATCHED, occurred_at=at)
    StatusEvent.objects.filter(pk=event.pk).update(created_at=at)
    return call


def test_a_call_past_its_acknowledgement_window_is_highlighted_first(desk):
    team = TeamFactory(call_sign="ALCOTT-1")
    late = dispatched_minutes_ago(team, 5)  # urgent: 2-minute window
    on_time = dispatched_minutes_ago(team, 1)

    html = desk.get("/board/live/").content.decode()

    alerts = html[: html.index('id="calls"')]
    assert "Not acknowledged (1)" in alerts and late.address in alerts
    assert on_time.address not in alerts
    assert f'class="call late" data-cad="{late.cad_incident_number}"' in html


def test_the_body_costs_the_same_queries_for_one_call_or_six(desk):
    team = TeamFactory(call_sign="ALCOTT-1")
    ShiftFactory(team=team)
    dispatched_minutes_ago(team, 1)
    desk.get("/board/live/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert desk.get("/board/live/").status_code == 200
        return len(captured)

    one = queries()
    for _ in range(5):
        dispatched_minutes_ago(TeamFactory(), 1)

    assert queries() == one


def test_a_clinician_may_not_open_the_board_and_a_stranger_is_sent_to_sign_in():
    clinician = Client()
    clinician.force_login(ClinicianFactory().user)

    assert clinician.get("/board/live/").status_code == 403
    response = Client().get("/board/")
    assert response.status_code == 302 and response["Location"].startswith("/board/login/")
    # The page's refresh, signed out: a 401 it answers by reloading, not a sign-in form.
    assert Client().get("/board/live/").status_code == 401
