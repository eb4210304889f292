"""Every value the database stores is one every reader can serialize (issue 11, finding 1).

The extreme in-range value and the just-out-of-range values of every time, date, integer
and text column of every table phones push are pushed; each out-of-range one is refused
(quarantined, naming the column), and whatever was stored is then pulled (first sync),
listed and opened without a 500. The REST endpoints taking the same fields answer 400 naming
the field. The bounds are umcr/bounds.py's.
"""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from calls.models import Call
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    DivisionFactory,
    ServiceFactory,
    signed_in_client,
)
from tests.sync.helpers import pull_body, push
from umcr import bounds
from umcr.models import QuarantinedRecord
from umcr.sync.parsing import api_name

pytestmark = pytest.mark.django_db

EARLIEST_MS = int(bounds.EARLIEST_TIME.timestamp() * 1000)
LATEST_MS = int(bounds.LATEST_TIME.timestamp() * 1000)

# Times no reader can serialize, or PostgreSQL cannot take, or a phone with a reset clock sent.
TIMES_OUT = [
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:01Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-16:00",
    "2026-01-01T00:00:00+05:30:15",
    EARLIEST_MS - 1,
    LATEST_MS + 1,
    -62135596800000,
    # Beyond 64 bits the push refuses the whole batch (umcr/sync/push.py, body_hash_of).
    2**63 - 1,
    1e300,
]
TIMES_IN = ["2000-01-01T00:00:00Z", EARLIEST_MS, "2100-01-01T00:00:00Z", LATEST_MS]
IDS_OUT = [0, -1, 2**63, "9" * 30, 1.5, True]
NUL = "a\x00b"


@pytest.fixture
def world():
    clinician = ClinicianFactory()
    client, _, _ = signed_in_client(clinician)
    call = CallFactory(team=clinician.team, received_at=timezone.now() - timedelta(hours=1))
    service = ServiceFactory()
    return client, clinician, call, service


def base_record(table: str, call: Call, service) -> dict:
    now_ms = int(timezone.now().timestamp() * 1000)
    record = {"id": str(uuid.uuid4())}
    if table == "people":
        return record | {"given_name": "Sam", "call_id": str(call.pk)}
    record["call_id"] = str(call.pk)
    if table == "status_events":
        return record | {"kind": "acknowledged", "occurred_at": now_ms}
    if table == "notes":
        return record | {"body": "Calm.", "written_at": now_ms, "amends_id": None}
    if table == "outcomes":
        return record | {
            "disposition": "resolved_on_scene",
            "police_involved": False,
            "people_served": 1,
            "summary": "Talked it through.",
            "occurred_at": now_ms,
        }
    if table == "backup_requests":
        return record | {"reason": "weapon_seen", "details": "Knife.", "occurred_at": now_ms}
    if table == "follow_ups":
        return record | {
            "kind": "visit",
            "purpose": "Check in.",
            "not_before": now_ms,
            "due_by": now_ms + 86_400_000,
        }
    if table == "referrals":
        return record | {
            "service_id": service.pk,
            "consent_given": True,
            "consent_method": "verbal",
            "notes": "Wants a bed.",
        }
    raise AssertionError(table)


def pushed(client, table: str, record: dict) -> dict:
    response = push(client, {table: {"created": [record], "updated": [], "deleted": []}}, None)
    assert response.status_code == 200, response.content
    return response.json()


def refusal(body: dict, table: str, record: dict):
    return body["rejected"].get(table, {}).get(record["id"])


def assert_everything_reads(client, call: Call) -> None:
    """A first sync, the lists and the detail pages of what the pusher sees: no 500."""
    pulled = pull_body(client, None)
    assert set(pulled["changes"]) >= {"calls", "follow_ups", "referrals", "people"}
    for url in ("/api/v1/calls/", "/api/v1/followups/", "/api/v1/referrals/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
        for item in response.json()["results"]:
            detail = client.get(f"{url}{item['id']}/")
            assert detail.status_code == 200, (url, detail.content)
    assert client.get(f"/api/v1/calls/{call.pk}/").status_code == 200
    person_id = Call.objects.get(pk=call.pk).person_id
    if person_id is not None:
        assert client.get(f"/api/v1/people/{person_id}/").status_code == 200


def time_cases(table: str, column: str):
    cases = [(table, column, value, True) for value in TIMES_IN]
    return cases + [(table, column, value, False) for value in TIMES_OUT]


def with_window(table: str, column: str, value, record: dict) -> dict:
    """A follow-up's window stays a window whichever end is pushed at its extreme."""
    if table == "follow_ups":
        record["not_before"], record["due_by"] = EARLIEST_MS, LATEST_MS
    record[column] = value
    return record


PUSH_CASES = [
    *time_cases("status_events", "occurred_at"),
    *time_cases("notes", "written_at"),
    *time_cases("outcomes", "occurred_at"),
    *time_cases("backup_requests", "occurred_at"),
    *time_cases("follow_ups", "not_before"),
    *time_cases("follow_ups", "due_by"),
    ("notes", "body", "x" * 20_000, True),
    ("notes", "body", "x" * 20_001, False),
    ("notes", "body", NUL, False),
    ("outcomes", "summary", "x" * 20_000, True),
    ("outcomes", "summary", "x" * 20_001, False),
    ("outcomes", "summary", NUL, False),
    ("outcomes", "people_served", 0, True),
    ("outcomes", "people_served", 100, True),
    ("outcomes", "people_served", 101, False),
    ("outcomes", "people_served", -1, False),
    ("outcomes", "people_served", 2**63, False),
    ("backup_requests", "details", "x" * 5_000, True),
    ("backup_requests", "details", "x" * 5_001, False),
    ("backup_requests", "details", NUL, False),
    ("follow_ups", "purpose", "x" * 5_000, True),
    ("follow_ups", "purpose", "x" * 20_001, False),
    ("follow_ups", "purpose", NUL, False),
    *[("follow_ups", "assigned_team_id", value, False) for value in IDS_OUT],
    *[("follow_ups", "assigned_to_id", value, False) for value in IDS_OUT],
    ("referrals", "notes", "x" * 5_000, True),
    ("referrals", "notes", "x" * 20_001, False),
    ("referrals", "notes", NUL, False),
    *[("referrals", "service_id", value, False) for value in IDS_OUT],
    ("people", "approximate_age", 0, True),
    ("people", "approximate_age", 120, True),
    ("people", "approximate_age", 121, False),
    ("people", "approximate_age", -1, False),
    ("people", "approximate_age", 2**63, False),
    ("people", "given_name", "x" * 80, True),
    ("people", "given_name", "x" * 81, False),
    ("people", "phone", "x" * 33, False),
    ("people", "language", "x" * 41, False),
    ("people", "birth_date", "1900-01-01", True),
    ("people", "birth_date", "tomorrow", False),
]

# People's columns, read by calls.api.serializers.PersonInputSerializer like any other.
PERSON_CASES = [
    ("people", "birth_date", "1899-12-31", False),
    ("people", "birth_date", "0001-01-01", False),
    ("people", "given_name", NUL, False),
]


def case_id(case) -> str:
    table, column, value, in_range = case
    shown = repr(value)[:24]
    return f"{table}.{column}={shown}:{'in' if in_range else 'out'}"


@pytest.mark.parametrize(
    "case",
    PUSH_CASES + PERSON_CASES,
    ids=case_id,
)
def test_a_pushed_extreme_is_stored_readably_or_refused_naming_its_column(world, case):
    client, _, call, service = world
    table, column, value, in_range = case
    if value == "tomorrow":
        value = (timezone.localdate() + timedelta(days=1)).isoformat()
    record = with_window(table, column, value, base_record(table, call, service))

    body = pushed(client, table, record)

    reason = refusal(body, table, record)
    if not in_range:
        assert reason is not None, f"{table}.{column}={value!r} was stored"
        # Named as the REST API names the field (`service_id` is `service`).
        assert api_name(column) in reason, reason
        assert QuarantinedRecord.objects.filter(table=table, record_id=record["id"]).exists()
    assert_everything_reads(client, call)


@pytest.mark.parametrize(
    "value",
    [timezone.localdate().isoformat(), "1900-01-01"],
)
def test_a_pushed_date_of_birth_in_range_is_stored_and_read(world, value):
    client, _, call, service = world
    record = base_record("people", call, service) | {"birth_date": value}

    body = pushed(client, "people", record)

    assert refusal(body, "people", record) is None
    pulled = pull_body(client, None)
    people = {p["id"]: p for op in ("created", "updated") for p in pulled["changes"]["people"][op]}
    assert people[record["id"]]["birth_date"] == value


def test_a_followup_window_at_both_extremes_is_stored_and_read_in_rfc3339(world):
    client, _, call, service = world
    record = with_window("follow_ups", "due_by", LATEST_MS, base_record("follow_ups", call, None))

    body = pushed(client, "follow_ups", record)

    assert refusal(body, "follow_ups", record) is None
    detail = client.get(f"/api/v1/followups/{record['id']}/")
    assert detail.status_code == 200
    for column in ("not_before", "due_by"):
        # Whole-minute offsets only: 1900's -07:52:58 local mean time cannot appear.
        parsed = datetime.fromisoformat(detail.json()[column])
        assert parsed.utcoffset() % timedelta(minutes=1) == timedelta(0)
    assert datetime.fromisoformat(detail.json()["not_before"]) == bounds.EARLIEST_TIME
    assert datetime.fromisoformat(detail.json()["due_by"]) == bounds.LATEST_TIME
    assert_everything_reads(client, call)


# --- REST: the same bounds -------------------------------------------------------------------

REST_TIMES_OUT = [value for value in TIMES_OUT if isinstance(value, str)] + [
    "1899-06-01T00:00:00",
    "0001-01-01",
]


def rest_writes(call: Call):
    """(url, valid body, the time fields it takes) of each REST write with a time."""
    now = timezone.now().isoformat()
    later = (timezone.now() + timedelta(days=1)).isoformat()
    event = {"id": str(uuid.uuid4()), "kind": "acknowledged", "occurred_at": now}
    note = {"id": str(uuid.uuid4()), "body": "Calm.", "written_at": now}
    outcome = {
        "id": str(uuid.uuid4()),
        "disposition": "resolved_on_scene",
        "police_involved": False,
        "occurred_at": now,
    }
    backup = {"id": str(uuid.uuid4()), "reason": "weapon_seen", "occurred_at": now}
    followup = {"kind": "visit", "call": str(call.pk), "not_before": now, "due_by": later}
    base = f"/api/v1/calls/{call.pk}/"
    return [
        (base + "events/", event, ["occurred_at"]),
        (base + "notes/", note, ["written_at"]),
        (base + "outcome/", outcome, ["occurred_at"]),
        (base + "backup-requests/", backup, ["occurred_at"]),
        ("/api/v1/followups/", followup, ["not_before", "due_by"]),
    ]


@pytest.mark.parametrize("value", REST_TIMES_OUT)
def test_a_rest_time_out_of_bounds_is_a_400_naming_the_field(world, value):
    client, _, call, _ = world
    for url, body, fields in rest_writes(call):
        for field in fields:
            response = client.post(url, {**body, field: value}, format="json")

            assert response.status_code == 400, (url, field, response.content)
            assert list(response.json()) == [field], (url, field, response.content)


@pytest.mark.parametrize("value", ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00+00:00"])
def test_a_rest_followup_window_at_the_bounds_is_stored_and_read(world, value):
    client, _, call, _ = world
    body = {
        "kind": "visit",
        "call": str(call.pk),
        "not_before": "2000-01-01T00:00:00Z",
        "due_by": "2100-01-01T00:00:00Z",
    }

    response = client.post("/api/v1/followups/", body, format="json")

    assert response.status_code == 201, response.content
    assert_everything_reads(client, call)


def test_a_rest_reschedule_and_next_followup_out_of_bounds_are_400s(world):
    client, _, call, _ = world
    now = timezone.now()
    created = client.post(
        "/api/v1/followups/",
        {
            "kind": "visit",
            "call": str(call.pk),
            "not_before": now.isoformat(),
            "due_by": (now + timedelta(days=1)).isoformat(),
        },
        format="json",
    ).json()
    url = f"/api/v1/followups/{created['id']}/"

    rescheduled = client.post(
        url + "reschedule/",
        {"not_before": "0001-01-01T00:00:00+14:00", "due_by": now.isoformat()},
        format="json",
    )
    completed = client.post(
        url + "complete/",
        {
            "outcome": "Seen.",
            "next": {"kind": "visit", "not_before": now.isoformat(), "due_by": "2200-01-01"},
        },
        format="json",
    )

    assert rescheduled.status_code == 400
    assert list(rescheduled.json()) == ["not_before"]
    assert completed.status_code == 400
    assert completed.json() == {"next": {"due_by": [bounds.TIME_RANGE_MESSAGE]}}


@pytest.mark.parametrize("field", ["assigned_team", "assigned_to"])
@pytest.mark.parametrize("value", [0, -1, 2**63, 10**30])
def test_a_rest_id_outside_a_bigint_is_a_400_naming_it(world, field, value):
    client, _, call, _ = world
    now = timezone.now()
    body = {
        "kind": "visit",
        "call": str(call.pk),
        "not_before": now.isoformat(),
        "due_by": (now + timedelta(days=1)).isoformat(),
        field: value,
    }

    response = client.post("/api/v1/followups/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("value", [0, 2**63, 10**30])
def test_a_rest_referral_service_outside_a_bigint_is_a_400(world, value):
    client, _, call, _ = world
    body = {"service": value, "call": str(call.pk), "consent_given": True}

    response = client.post("/api/v1/referrals/", body | {"consent_method": "verbal"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["service"]


@pytest.mark.parametrize("value", REST_TIMES_OUT)
def test_intake_received_at_out_of_bounds_is_a_400(value):
    client, _, _ = signed_in_client(DispatcherFactory())
    DivisionFactory(code="WIL")
    body = {
        "source": "cad_911",
        "cad_incident_number": "CAD-1",
        "received_at": value,
        "call_type": "welfare_check",
        "division": "WIL",
        "address": "1 Main St",
    }

    response = client.post("/api/v1/intake/calls/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["received_at"]


def test_bounds_are_decided_once():
    assert bounds.time_problem(datetime(2000, 1, 1, tzinfo=UTC)) is None
    assert bounds.time_problem(datetime(2100, 1, 1, tzinfo=UTC)) is None
    assert bounds.time_problem(datetime(1999, 12, 31, 23, 59, tzinfo=UTC)) is not None
    assert bounds.birth_date_problem(date(1900, 1, 1)) is None
    assert bounds.birth_date_problem(date(1899, 12, 31)) is not None
    assert bounds.id_problem(bounds.MAX_ID) is None
    assert bounds.id_problem(bounds.MAX_ID + 1) is not None
