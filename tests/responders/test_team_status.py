"""A team's availability and position: set from the phone (available, out of service with a
reason; position pings in batches), derived where it can be (off shift, on a call), read by
the desk and supervisors (GET /teams/), and used by routing (never a team out of service;
the nearest by last known position when fresh). Pings are kept 7 days.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from calls.choices import CallStatus
from responders.models import PositionPing
from responders.tasks import purge_position_pings
from tests.calls.routing_helpers import INTAKE, client_for, intake_body
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

pytestmark = pytest.mark.django_db

AVAILABILITY = "/api/v1/team/availability/"
POSITIONS = "/api/v1/team/positions/"
TEAMS = "/api/v1/teams/"


@pytest.fixture
def alcott():
    return ProviderFactory(slug="alcott")


@pytest.fixture
def team(alcott):
    team = TeamFactory(provider=alcott, call_sign="ALCOTT-1")
    ShiftFactory(team=team)
    return team


@pytest.fixture
def phone(team):
    return client_for(ClinicianFactory(team=team))


def ago(seconds: float) -> str:
    return (timezone.now() - timedelta(seconds=seconds)).isoformat()


def ping(seconds_ago: float, lat="34.062300", lon="-118.356400", accuracy=10) -> dict:
    return {"latitude": lat, "longitude": lon, "accuracy": accuracy, "taken_at": ago(seconds_ago)}


def statuses(client) -> dict[str, dict]:
    response = client.get(TEAMS)
    assert response.status_code == 200
    return {row["call_sign"]: row for row in response.json()}


# --- availability -----------------------------------------------------------------------------


def test_the_phone_sets_its_team_out_of_service_with_a_reason_and_back(team, phone):
    desk = client_for(DispatcherFactory())

    out = phone.post(AVAILABILITY, {"status": "out_of_service", "reason": "break"}, format="json")
    assert out.status_code == 200, out.json()
    assert statuses(desk)["ALCOTT-1"]["availability"] == "out_of_service"
    assert statuses(desk)["ALCOTT-1"]["out_of_service"] == "break"

    phone.post(AVAILABILITY, {"status": "available"}, format="json")
    assert statuses(desk)["ALCOTT-1"]["availability"] == "available"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "out_of_service"}, "reason"),
        ({"status": "available", "reason": "break"}, "reason"),
        ({"status": "on_call"}, "status"),
        ({"status": "out_of_service", "reason": "nap"}, "reason"),
    ],
)
def test_a_bad_availability_is_a_400_naming_the_field(phone, body, field):
    response = phone.post(AVAILABILITY, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_on_a_call_and_off_shift_are_derived(alcott, team):
    CallFactory(team=team, status=CallStatus.ON_SCENE)
    TeamFactory(provider=alcott, call_sign="ALCOTT-2")  # no shift

    rows = statuses(client_for(SupervisorFactory(provider=alcott)))

    assert rows["ALCOTT-1"]["availability"] == "on_call"
    assert rows["ALCOTT-1"]["current_call"] is not None
    assert rows["ALCOTT-2"]["availability"] == "off_shift"


def test_a_supervisor_sees_only_their_providers_teams_in_a_fixed_number_of_queries(alcott, team):
    for number in range(2, 6):
        ShiftFactory(team=TeamFactory(provider=alcott, call_sign=f"ALCOTT-{number}"))
    TeamFactory(call_sign="EXODUS-1")
    supervisor = client_for(SupervisorFactory(provider=alcott))
    supervisor.get(TEAMS)  # the token's first use

    with CaptureQueriesContext(connection) as queries:
        rows = statuses(supervisor)

    assert sorted(rows) == [f"ALCOTT-{n}" for n in range(1, 6)]
    assert len(queries) == 2  # the token (with its user and responder), the teams


def test_a_case_manager_may_not_set_availability(alcott):
    response = client_for(SupervisorFactory(provider=alcott)).post(
        AVAILABILITY, {"status": "available"}, format="json"
    )

    assert response.status_code == 403


# --- position pings ---------------------------------------------------------------------------


def test_pings_out_of_order_keep_the_latest_taken_as_the_last_position(team, phone):
    response = phone.post(
        POSITIONS,
        {"pings": [ping(30, lat="34.000002"), ping(90, lat="34.000001"), ping(150)]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["stored"] == 3
    team.refresh_from_db()
    assert team.last_latitude == Decimal("34.000002")

    # An older batch arriving late (the phone was offline) does not move it back.
    phone.post(POSITIONS, {"pings": [ping(600, lat="33.000000")]}, format="json")
    team.refresh_from_db()
    assert team.last_latitude == Decimal("34.000002")
    assert PositionPing.objects.filter(team=team).count() == 4


def test_at_most_one_ping_per_30_seconds_and_a_batch_sent_twice_is_kept_once(team, phone):
    body = {"pings": [ping(100), ping(95), ping(60)]}

    first = phone.post(POSITIONS, body, format="json").json()
    again = phone.post(POSITIONS, body, format="json").json()

    assert (first["stored"], first["ignored"]) == (2, 1)
    assert (again["stored"], again["ignored"]) == (0, 3)


def test_a_ping_from_the_future_or_off_the_globe_is_a_400(phone):
    future = phone.post(POSITIONS, {"pings": [ping(-3600)]}, format="json")
    off = phone.post(POSITIONS, {"pings": [ping(10, lat="91")]}, format="json")
    empty = phone.post(POSITIONS, {"pings": []}, format="json")

    assert [r.status_code for r in (future, off, empty)] == [400, 400, 400]
    assert "pings" in future.json() and "pings" in off.json() and "pings" in empty.json()


def test_pings_older_than_seven_days_are_removed_by_the_daily_task(team, phone):
    phone.post(POSITIONS, {"pings": [ping(60)]}, format="json")
    PositionPing.objects.create(
        team=team,
        latitude=Decimal("34"),
        longitude=Decimal("-118"),
        taken_at=timezone.now() - timedelta(days=8),
    )

    assert purge_position_pings() == 1
    assert PositionPing.objects.count() == 1
    assert Schedule.objects.filter(func="responders.tasks.purge_position_pings").exists()


# --- routing --------------------------------------------------------------------------------


@pytest.fixture
def wilshire(alcott):
    division = DivisionFactory(code="WIL")
    CoverageFactory(provider=alcott, division=division, starts_on=date(2024, 1, 1))
    return division


def routed_team(desk, division) -> str:
    response = desk.post(INTAKE, intake_body(division), format="json")
    assert response.status_code == 201, response.json()
    return response.json()["team"]


def test_routing_never_offers_a_call_to_a_team_out_of_service(alcott, team, phone, wilshire):
    busy = TeamFactory(provider=alcott, call_sign="ALCOTT-2")
    ShiftFactory(team=busy)
    CallFactory(team=busy, status=CallStatus.ON_SCENE)
    phone.post(AVAILABILITY, {"status": "out_of_service", "reason": "training"}, format="json")

    # ALCOTT-1 is free but out of service: the busy ALCOTT-2 gets the call.
    assert routed_team(client_for(DispatcherFactory()), wilshire) == "ALCOTT-2"


def test_routing_takes_the_nearest_team_by_its_fresh_last_position(alcott, team, phone, wilshire):
    far = TeamFactory(provider=alcott, call_sign="ALCOTT-0")  # sorts first on a tie
    ShiftFactory(team=far)
    far_phone = client_for(ClinicianFactory(team=far))
    # The call is at 34.0623, -118.3564 (intake_body): ALCOTT-1 is 1 km off, ALCOTT-0 20 km.
    phone.post(POSITIONS, {"pings": [ping(60, lat="34.071300")]}, format="json")
    far_phone.post(POSITIONS, {"pings": [ping(60, lat="34.242300")]}, format="json")

    assert routed_team(client_for(DispatcherFactory()), wilshire) == "ALCOTT-1"


def test_a_stale_position_is_not_used_for_routing(alcott, team, wilshire):
    far = TeamFactory(provider=alcott, call_sign="ALCOTT-0")
    ShiftFactory(team=far)
    team.last_latitude, team.last_longitude = Decimal("34.071300"), Decimal("-118.356400")
    team.last_position_at = timezone.now() - timedelta(hours=2)
    team.save()

    # Neither has a fresh position or a past call: the tie goes to the call sign.
    assert routed_team(client_for(DispatcherFactory()), wilshire) == "ALCOTT-0"
