"""A team's availability and position pings pushed in a sync (the push-only tables
`team_availability` and `position_pings`, calls/sync.py) as well as over REST: read by the
same serializers, applied by the same services, refused with the same error keys; never
carried by a pull."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from responders.models import PositionPing, Team
from tests.factories import ClinicianFactory, DispatcherFactory, TeamFactory
from umcr.models import QuarantinedRecord
from umcr.sync import sequence

from .helpers import (
    SYNC_DB,
    Phone,
    changes,
    migration_data,  # noqa: F401  (a fixture)
    ms,
    pull_body,
    push,
    sync_counter,  # noqa: F401  (a fixture)
)

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]

POSITIONS = "/api/v1/team/positions/"
AVAILABILITY = "/api/v1/team/availability/"


def ping(minutes_ago: float, latitude=34.0622, longitude=-118.3564, **extra) -> dict:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return {
        "id": str(uuid.uuid4()),
        "latitude": latitude,
        "longitude": longitude,
        "accuracy": 12,
        "taken_at": ms(at),
        **extra,
    }


def push_pings(phone: Phone, *pings: dict):
    response = push(phone.client, changes(position_pings={"created": list(pings)}), None)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def phone() -> Phone:
    return Phone(ClinicianFactory(team=TeamFactory(call_sign="ALCOTT-1")))


def test_pushed_pings_move_the_last_position_to_the_latest_taken_whatever_their_order(phone):
    body = push_pings(
        phone, ping(2, latitude=34.1), ping(5, latitude=34.2), ping(1, latitude=34.053000000000004)
    )

    assert (body["applied"], body["rejected"]) == (3, {})
    team = Team.objects.get(pk=phone.responder.team_id)
    assert float(team.last_latitude) == 34.053
    assert team.last_position_at is not None
    assert timezone.now() - team.last_position_at < timedelta(minutes=1, seconds=5)
    assert PositionPing.objects.filter(team=team).count() == 3


def test_a_push_sent_again_stores_nothing_twice_and_a_stale_ping_is_ignored_not_refused(phone):
    pings = [ping(3), ping(2), ping(60 * 24 * 8)]  # the last: older than the 7-day retention

    first = push_pings(phone, *pings)
    again = push_pings(phone, *pings)

    assert (first["rejected"], again["rejected"]) == ({}, {})
    assert PositionPing.objects.count() == 2


def test_pushed_availability_sets_the_team_out_of_service_and_back(phone):
    def send(status: str, reason: str = "") -> dict:
        record = {"id": str(uuid.uuid4()), "status": status, "reason": reason}
        answer = push(phone.client, changes(team_availability={"created": [record]}), None)
        assert answer.status_code == 200
        return answer.json()

    out = send("out_of_service", "break")
    assert Team.objects.get(pk=phone.responder.team_id).out_of_service == "break"
    back = send("available")

    assert (out["rejected"], back["rejected"]) == ({}, {})
    assert Team.objects.get(pk=phone.responder.team_id).out_of_service == ""


def test_an_availability_set_offline_does_not_override_the_partners_newer_word(phone):
    """Out of service for training; the phone set "break" offline 20 minutes ago; the
    partner has since set the team available over REST. The late push is older than what
    stands: ignored, not applied."""
    Team.objects.filter(pk=phone.responder.team_id).update(
        out_of_service="training", availability_changed_at=timezone.now() - timedelta(minutes=40)
    )
    partner = Phone(ClinicianFactory(team=phone.responder.team))
    body = {"status": "available", "changed_at": timezone.now()}
    assert partner.client.post(AVAILABILITY, body, format="json").status_code == 200
    record = {
        "id": str(uuid.uuid4()),
        "status": "out_of_service",
        "reason": "break",
        "changed_at": ms(timezone.now() - timedelta(minutes=20)),
    }
    late = push(phone.client, changes(team_availability={"created": [record]}), None)

    assert late.status_code == 200 and late.json()["rejected"] == {}
    assert Team.objects.get(pk=phone.responder.team_id).out_of_service == ""  # still available

    newer = {**record, "id": str(uuid.uuid4()), "changed_at": ms(timezone.now())}
    now = push(phone.client, changes(team_availability={"created": [newer]}), None)

    assert now.status_code == 200 and now.json()["rejected"] == {}
    assert Team.objects.get(pk=phone.responder.team_id).out_of_service == "break"


def test_an_availability_set_in_the_future_is_refused_naming_changed_at(phone):
    future = timezone.now() + timedelta(hours=1)
    rest = phone.client.post(
        AVAILABILITY, {"status": "available", "changed_at": future}, format="json"
    )
    record = {"id": str(uuid.uuid4()), "status": "available", "changed_at": ms(future)}
    synced = push(phone.client, changes(team_availability={"created": [record]}), None).json()

    assert rest.status_code == 400 and set(rest.json()) == {"changed_at"}
    assert set(synced["rejected"]["team_availability"][record["id"]]) == {"changed_at"}


@pytest.mark.parametrize(
    "bad",
    [
        {"latitude": 91},
        {"longitude": "east"},
        {"accuracy": -1},
        {"taken_at": ms(timezone.now() + timedelta(hours=1))},
        {"taken_at": "yesterday"},
    ],
    ids=["latitude", "longitude", "accuracy", "future", "not_a_time"],
)
def test_the_same_bad_ping_is_refused_with_the_same_keys_over_rest_and_sync(phone, bad):
    record = ping(1, **bad)
    rest_ping = {k: v for k, v in record.items() if k != "id"}
    if isinstance(rest_ping["taken_at"], int):
        taken = datetime.fromtimestamp(rest_ping["taken_at"] / 1000, tz=UTC)
        rest_ping["taken_at"] = taken.isoformat()

    rest = phone.client.post(POSITIONS, {"pings": [rest_ping]}, format="json")
    synced = push_pings(phone, record)

    assert rest.status_code == 400
    errors = rest.json()["pings"]  # DRF names a list's bad item by its index
    rest_keys = set(errors["0"] if isinstance(errors, dict) else errors[0])
    assert rest_keys == set(bad)
    assert set(synced["rejected"]["position_pings"][record["id"]]) == rest_keys
    assert QuarantinedRecord.objects.filter(table="position_pings", record_id=record["id"]).exists()
    assert not PositionPing.objects.exists()


def test_the_same_bad_availability_is_refused_with_the_same_keys_over_rest_and_sync(phone):
    bad = {"status": "out_of_service", "reason": ""}
    record = {"id": str(uuid.uuid4()), **bad}

    rest = phone.client.post(AVAILABILITY, bad, format="json")
    synced = push(phone.client, changes(team_availability={"created": [record]}), None).json()

    assert rest.status_code == 400
    assert (
        set(synced["rejected"]["team_availability"][record["id"]]) == set(rest.json()) == {"reason"}
    )


def test_the_desk_has_no_team_to_report_for_and_is_refused():
    desk = Phone(DispatcherFactory())
    record = ping(1)

    body = push_pings(desk, record)

    assert set(body["rejected"]["position_pings"]) == {record["id"]}
    assert not PositionPing.objects.exists()


def test_a_pull_never_carries_the_push_only_tables(phone):
    push_pings(phone, ping(1))

    body = pull_body(phone.client)

    assert "position_pings" not in body["changes"]
    assert "team_availability" not in body["changes"]


def test_a_slice_of_pings_costs_the_same_queries_for_one_ping_or_a_hundred(phone):
    def cost(count: int, start: float) -> int:
        pings = [ping(start - i * 0.6) for i in range(count)]  # 36 s apart: each kept
        cursor = sequence.current()
        with CaptureQueriesContext(connection) as captured:
            response = push(phone.client, changes(position_pings={"created": pings}), cursor)
        assert response.status_code == 200
        assert response.json()["applied"] == count
        return len(captured)

    one = cost(1, 300)
    assert cost(100, 200) == one
    assert PositionPing.objects.count() == 101
