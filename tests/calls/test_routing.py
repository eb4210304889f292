"""Routing of a call the desk sends: the provider covering the division on the day it was
received, then a team of that provider on shift now (a free one first, then the fewest open
calls, the nearest as the tie-break); the team is told and its phones pull the call. With no
team on shift the call waits and the provider's supervisors are told.

Alcott covers Wilshire (WIL), Exodus covers Southeast (SE).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from calls.choices import CallStatus, EventKind
from calls.models import Call, StatusEvent
from tests.calls import routing_helpers
from tests.calls.routing_helpers import (
    INTAKE,
    SYNC_DB,
    client_for,
    intake_body,
    local,
    pull,
    pulled_call_ids,
)
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    CoverageFactory,
    DispatcherFactory,
    DivisionFactory,
    ProviderFactory,
    ShiftFactory,
    SupervisorFactory,
    TeamFactory,
)
from umcr.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db
migration_data = routing_helpers.migration_data
sync_counter = routing_helpers.sync_counter

# Where the call comes from (Wilshire and La Brea) and places near and far from it.
HERE = {"latitude": "34.062300", "longitude": "-118.344000"}
NEAR = {"latitude": Decimal("34.063000"), "longitude": Decimal("-118.345000")}  # ~150 m
FAR = {"latitude": Decimal("34.200000"), "longitude": Decimal("-118.600000")}  # ~28 km


@pytest.fixture
def alcott():
    return ProviderFactory(name="Alcott", slug="alcott")


@pytest.fixture
def exodus():
    return ProviderFactory(name="Exodus", slug="exodus")


@pytest.fixture
def wilshire(alcott):
    division = DivisionFactory(name="Wilshire", code="WIL")
    CoverageFactory(provider=alcott, division=division)
    return division


@pytest.fixture
def southeast(exodus):
    division = DivisionFactory(name="Southeast", code="SE")
    CoverageFactory(provider=exodus, division=division)
    return division


@pytest.fixture
def desk():
    return client_for(DispatcherFactory())


def on_shift(provider, call_sign: str):
    team = TeamFactory(provider=provider, call_sign=call_sign)
    ShiftFactory(team=team)
    return team


def open_calls(team, n: int, **fields) -> None:
    for _ in range(n):
        CallFactory(team=team, status=CallStatus.ON_SCENE, **fields)


@pytest.fixture
def send(desk, django_capture_on_commit_callbacks):
    """POST an intake (running what waits for the commit: the notification tasks); the
    response, checked to be a 201."""

    def send(division, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            response = desk.post(INTAKE, intake_body(division, **overrides), format="json")
        assert response.status_code == 201, response.content
        return response

    return send


def routed_call(response) -> Call:
    return Call.objects.get(pk=response.json()["call"]["id"])


# --- the provider -----------------------------------------------------------------------------


def test_call_goes_to_the_provider_covering_its_division(send, alcott, exodus, wilshire, southeast):
    on_shift(alcott, "ALCOTT-1")
    on_shift(exodus, "EXODUS-1")

    call = routed_call(send(southeast))

    assert (call.routed_provider, call.team.call_sign) == (exodus, "EXODUS-1")


def test_coverage_that_ended_before_the_call_does_not_count(send, alcott, exodus):
    division = DivisionFactory(code="OLY")
    CoverageFactory(
        provider=alcott, division=division, starts_on=date(2024, 1, 1), ends_on=date(2026, 6, 30)
    )
    CoverageFactory(provider=exodus, division=division, starts_on=date(2026, 7, 1))
    on_shift(alcott, "ALCOTT-1")
    on_shift(exodus, "EXODUS-1")

    response = send(division, received_at=local(2026, 11, 2, 9).isoformat())

    assert response.json()["provider"] == "exodus"
    assert routed_call(response).routed_provider == exodus


def test_coverage_that_starts_after_the_call_does_not_count(send, alcott, exodus):
    division = DivisionFactory(code="OLY")
    CoverageFactory(
        provider=alcott, division=division, starts_on=date(2024, 1, 1), ends_on=date(2026, 11, 30)
    )
    CoverageFactory(provider=exodus, division=division, starts_on=date(2026, 12, 1))
    on_shift(alcott, "ALCOTT-1")
    on_shift(exodus, "EXODUS-1")

    response = send(division, received_at=local(2026, 11, 2, 9).isoformat())

    assert response.json()["provider"] == "alcott"


def test_coverage_counts_on_its_last_day(send, alcott, exodus):
    division = DivisionFactory(code="OLY")
    CoverageFactory(
        provider=alcott, division=division, starts_on=date(2024, 1, 1), ends_on=date(2026, 6, 30)
    )
    CoverageFactory(provider=exodus, division=division, starts_on=date(2026, 7, 1))
    on_shift(alcott, "ALCOTT-1")

    response = send(division, received_at=local(2026, 6, 30, 23, 30).isoformat())

    assert response.json()["provider"] == "alcott"


def test_coverage_day_is_the_local_day_the_call_was_received(send, alcott, exodus):
    # 23:30 in Los Angeles on the 30th is already the 1st in UTC.
    division = DivisionFactory(code="OLY")
    CoverageFactory(
        provider=alcott, division=division, starts_on=date(2024, 1, 1), ends_on=date(2026, 6, 30)
    )
    CoverageFactory(provider=exodus, division=division, starts_on=date(2026, 7, 1))
    on_shift(alcott, "ALCOTT-1")
    on_shift(exodus, "EXODUS-1")

    response = send(division, received_at="2026-07-01T06:30:00Z")

    assert response.json()["provider"] == "alcott"


# --- the team ---------------------------------------------------------------------------------


def test_only_a_team_on_shift_now_is_picked(send, alcott, wilshire):
    off_duty = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    ShiftFactory(
        team=off_duty,
        starts_at=timezone.now() - timedelta(hours=9),
        ends_at=timezone.now() - timedelta(hours=1),
    )
    ShiftFactory(
        team=TeamFactory(provider=alcott, call_sign="ALCOTT-2"),
        starts_at=timezone.now() + timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=9),
    )
    TeamFactory(provider=alcott, call_sign="ALCOTT-3")  # no shift at all
    open_calls(on_shift(alcott, "ALCOTT-4"), 2)

    response = send(wilshire)

    assert response.json()["team"] == "ALCOTT-4"


def test_a_shift_that_ends_now_no_longer_counts(send, alcott, wilshire):
    ending = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    ShiftFactory(team=ending, starts_at=timezone.now() - timedelta(hours=8), ends_at=timezone.now())

    response = send(wilshire)

    assert response.json()["team"] is None


def test_only_a_team_of_the_covering_provider_is_picked(send, alcott, exodus, wilshire):
    on_shift(exodus, "AAA-EXODUS")  # free, and first by call sign
    open_calls(on_shift(alcott, "ALCOTT-1"), 1)

    response = send(wilshire)

    assert response.json()["team"] == "ALCOTT-1"


def test_a_free_team_is_preferred_to_a_busy_one(send, alcott, wilshire):
    open_calls(on_shift(alcott, "ALCOTT-1"), 1, **NEAR)
    on_shift(alcott, "ALCOTT-2")

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


def test_the_team_with_fewest_open_calls_is_picked(send, alcott, wilshire):
    open_calls(on_shift(alcott, "ALCOTT-1"), 2, **NEAR)
    open_calls(on_shift(alcott, "ALCOTT-2"), 1, **FAR)
    open_calls(on_shift(alcott, "ALCOTT-3"), 3, **NEAR)

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


def test_cleared_and_cancelled_calls_are_not_open_calls(send, alcott, wilshire):
    done = on_shift(alcott, "ALCOTT-1")
    CallFactory(team=done, status=CallStatus.CLEARED)
    CallFactory(team=done, status=CallStatus.CANCELLED)
    open_calls(on_shift(alcott, "ALCOTT-2"), 1)

    response = send(wilshire)

    assert response.json()["team"] == "ALCOTT-1"


def test_pending_and_dispatched_calls_count_as_open(send, alcott, wilshire):
    waiting = on_shift(alcott, "ALCOTT-1")
    CallFactory(team=waiting, status=CallStatus.PENDING)
    CallFactory(team=waiting, status=CallStatus.DISPATCHED)
    open_calls(on_shift(alcott, "ALCOTT-2"), 1)

    response = send(wilshire)

    assert response.json()["team"] == "ALCOTT-2"


def test_nearest_free_team_breaks_the_tie(send, alcott, wilshire):
    far = on_shift(alcott, "ALCOTT-1")
    CallFactory(team=far, status=CallStatus.CLEARED, **FAR)
    near = on_shift(alcott, "ALCOTT-2")
    CallFactory(team=near, status=CallStatus.CLEARED, **NEAR)

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


def test_nearest_breaks_the_tie_between_equally_busy_teams(send, alcott, wilshire):
    open_calls(on_shift(alcott, "ALCOTT-1"), 1, **FAR)
    open_calls(on_shift(alcott, "ALCOTT-2"), 1, **NEAR)

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


def test_nearness_is_judged_by_the_teams_latest_call(send, alcott, wilshire):
    now = timezone.now()
    moved_away = on_shift(alcott, "ALCOTT-1")
    CallFactory(
        team=moved_away, status=CallStatus.CLEARED, received_at=now - timedelta(hours=3), **NEAR
    )
    CallFactory(
        team=moved_away, status=CallStatus.CLEARED, received_at=now - timedelta(hours=1), **FAR
    )
    middling = on_shift(alcott, "ALCOTT-2")
    CallFactory(
        team=middling,
        status=CallStatus.CLEARED,
        received_at=now - timedelta(hours=2),
        latitude=Decimal("34.080000"),
        longitude=Decimal("-118.360000"),
    )

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


def test_fewer_open_calls_outweighs_nearness(send, alcott, wilshire):
    open_calls(on_shift(alcott, "ALCOTT-1"), 2, **NEAR)
    open_calls(on_shift(alcott, "ALCOTT-2"), 1, **FAR)

    response = send(wilshire, **HERE)

    assert response.json()["team"] == "ALCOTT-2"


# --- what the assignment records --------------------------------------------------------------


def test_assignment_records_a_dispatched_event(send, alcott, wilshire):
    on_shift(alcott, "ALCOTT-1")

    call = routed_call(send(wilshire))

    assert list(StatusEvent.objects.filter(call=call).values_list("kind", flat=True)) == [
        EventKind.DISPATCHED
    ]


def test_assigned_call_is_dispatched_with_its_time(send, alcott, wilshire):
    on_shift(alcott, "ALCOTT-1")
    before = timezone.now()

    response = send(wilshire)

    call = routed_call(response)
    assert call.status == CallStatus.DISPATCHED
    assert before <= call.dispatched_at <= timezone.now()
    assert response.json()["call"]["status"] == CallStatus.DISPATCHED


def test_the_teams_clinicians_are_notified_of_the_call(send, alcott, wilshire):
    team = on_shift(alcott, "ALCOTT-1")
    pair = [ClinicianFactory(team=team), ClinicianFactory(team=team)]
    ClinicianFactory(team=TeamFactory(provider=alcott))  # another team's clinician

    call = routed_call(send(wilshire))

    notified = Notification.objects.filter(kind=NotificationKind.CALL_ASSIGNED, call=call)
    assert sorted(n.recipient_id for n in notified) == sorted(c.user_id for c in pair)


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_the_teams_phone_pulls_the_new_call(send, alcott, wilshire):
    team = on_shift(alcott, "ALCOTT-1")
    phone = client_for(ClinicianFactory(team=team))
    cursor = pull(phone)["timestamp"]

    call = routed_call(send(wilshire))

    body = pull(phone, cursor)
    assert str(call.pk) in pulled_call_ids(body)
    assert str(call.pk) in {record["id"] for record in body["changes"]["calls"]["created"]}


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_another_teams_phone_does_not_pull_the_call(send, alcott, wilshire):
    on_shift(alcott, "ALCOTT-1")
    other = TeamFactory(provider=alcott, call_sign="ALCOTT-9")
    phone = client_for(ClinicianFactory(team=other))
    cursor = pull(phone)["timestamp"]

    call = routed_call(send(wilshire))

    assert str(call.pk) not in pulled_call_ids(pull(phone, cursor))


# --- no team on shift ---------------------------------------------------------------------


def test_with_no_team_on_shift_the_call_waits_unassigned(send, alcott, wilshire):
    TeamFactory(provider=alcott, call_sign="ALCOTT-1")  # not on shift

    response = send(wilshire)

    call = routed_call(response)
    assert (call.team, call.status, call.routed_provider) == (None, CallStatus.PENDING, alcott)
    assert (response.json()["team"], response.json()["provider"]) == (None, "alcott")


def test_with_no_team_on_shift_no_event_is_recorded(send, alcott, wilshire):
    call = routed_call(send(wilshire))

    assert not StatusEvent.objects.filter(call=call).exists()


def test_with_no_team_on_shift_the_providers_supervisors_are_alerted(
    send, alcott, exodus, wilshire
):
    supervisors = [SupervisorFactory(provider=alcott), SupervisorFactory(provider=alcott)]
    SupervisorFactory(provider=exodus)
    ClinicianFactory(team=TeamFactory(provider=alcott))

    call = routed_call(send(wilshire))

    alerted = Notification.objects.filter(kind=NotificationKind.CALL_UNASSIGNED, call=call)
    assert sorted(n.recipient_id for n in alerted) == sorted(s.user_id for s in supervisors)


def test_an_assigned_call_alerts_no_supervisor(send, alcott, wilshire):
    SupervisorFactory(provider=alcott)
    on_shift(alcott, "ALCOTT-1")

    send(wilshire)

    assert not Notification.objects.filter(kind=NotificationKind.CALL_UNASSIGNED).exists()
