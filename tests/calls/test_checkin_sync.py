"""Check-ins by sync (calls/sync.py: the check_ins table, append-only, pushed through the
REST serializer and the same service; safety_alerts, read-only): a phone answering offline
and syncing late closes the alert raised meanwhile; a bad check-in is refused with the same
error keys as REST; the push's queries do not grow with its check-ins; the team pulls its
check-ins and the alert's state."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.checkins import run_check_in_timers
from calls.choices import BackupReason, EventKind
from calls.models import BackupRequest, CheckIn, SafetyAlert, StatusEvent
from calls.services import assign_call, refresh_call_state
from tests.factories import DispatcherFactory, SupervisorFactory, TeamFactory, signed_in_client
from tests.sync.helpers import (
    SYNC_DB,
    created,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    pull_body,
    push,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import QuarantinedRecord
from umcr.sync import sequence

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def check_in_record(call, answer: str, occurred_at: int, **fields) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "call_id": str(call.pk),
        "answer": answer,
        "check_again_minutes": None,
        "occurred_at": occurred_at,
        **fields,
    }


def arrived(pair, minutes_ago: float):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    for kind, when in (
        (EventKind.DISPATCHED, at - timedelta(minutes=10)),
        (EventKind.ON_SCENE, at),
    ):
        event = StatusEvent.objects.create(call=pair.call, kind=kind, occurred_at=when)
        StatusEvent.objects.filter(pk=event.pk).update(created_at=when)
    refresh_call_state(call=pair.call)
    pair.call.refresh_from_db()


def acknowledge(responder, alert) -> None:
    client = signed_in_client(responder)[0]
    response = client.post(f"/api/v1/safety-alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200, response.content


@pytest.fixture
def pair():
    pair = team_pair()
    SupervisorFactory(provider=pair.team.provider)
    DispatcherFactory()
    return pair


def test_a_check_in_answered_offline_and_synced_late_closes_the_alert(pair):
    arrived(pair, 40)
    run_check_in_timers()  # due 20 min ago: raised now
    alert = SafetyAlert.objects.get()
    record = check_in_record(pair.call, "ok", minutes_ago_ms(22))  # answered before it

    body = push(pair.first.client, created(check_ins=[record]), sequence.current()).json()

    assert body["experimentalRejectedIds"] == {}, body["rejected"]
    alert.refresh_from_db()
    assert str(alert.closed_by_id) == record["id"] and alert.acknowledged_at is None
    pulled = pull_body(pair.second.client, None)
    assert record["id"] in records_of(pulled, "check_ins")
    shown = records_of(pulled, "safety_alerts")[str(alert.pk)]
    assert shown["closed_by_id"] == record["id"] and shown["acknowledged_at"] is None


def test_need_help_pushed_is_a_responder_safety_backup_request(pair):
    arrived(pair, 10)
    record = check_in_record(pair.call, "need_help", minutes_ago_ms(1), details="Bottle.")

    push(pair.first.client, created(check_ins=[record]), sequence.current())

    backup = BackupRequest.objects.get()
    assert backup.reason == BackupReason.RESPONDER_SAFETY
    assert str(CheckIn.objects.get().backup_request_id) == str(backup.pk)


@pytest.mark.parametrize(
    "fields",
    [
        {"answer": "longer_visit"},
        {"answer": "longer_visit", "check_again_minutes": 500},
        {"answer": "ok", "check_again_minutes": 30},
        {"answer": "maybe"},
        {"answer": "ok", "occurred_at": "yesterday"},
    ],
)
def test_a_bad_check_in_is_refused_with_the_same_error_keys_as_rest(pair, fields):
    arrived(pair, 10)
    record = {**check_in_record(pair.call, "ok", minutes_ago_ms(1)), **fields}
    rest_body = {api: value for api, value in record.items() if api not in ("id", "call_id")}
    rest_body["id"] = str(uuid.uuid4())
    if isinstance(rest_body["occurred_at"], int):
        rest_body["occurred_at"] = timezone.now().isoformat()
    rest = pair.first.client.post(
        f"/api/v1/calls/{pair.call.pk}/check-ins/",
        {k: v for k, v in rest_body.items() if v is not None},
        format="json",
    )

    body = push(pair.first.client, created(check_ins=[record]), sequence.current()).json()

    assert rest.status_code == 400, rest.content
    reason = body["rejected"]["check_ins"][record["id"]]
    assert set(reason) == set(rest.json())
    assert QuarantinedRecord.objects.filter(table="check_ins", record_id=record["id"]).exists()
    assert not CheckIn.objects.exists()


def test_a_check_in_sent_again_with_another_answer_is_refused_not_edited(pair):
    arrived(pair, 10)
    record = check_in_record(pair.call, "ok", minutes_ago_ms(1))
    push(pair.first.client, created(check_ins=[record]), sequence.current())

    again = {**record, "answer": "longer_visit", "check_again_minutes": 30}
    body = push(pair.first.client, created(check_ins=[again]), sequence.current()).json()

    assert body["rejected"]["check_ins"][record["id"]]["code"] == "append_only"
    assert CheckIn.objects.get().answer == "ok"


def statements_of_push(pair, records: list[dict]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = push(pair.first.client, created(check_ins=records), sequence.current())
    assert response.status_code == 200 and response.json()["applied"] == len(records)
    return len([q for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])


def test_each_pushed_check_in_costs_a_fixed_number_of_queries(pair):
    arrived(pair, 10)

    def answers(count: int) -> list[dict]:
        return [check_in_record(pair.call, "ok", minutes_ago_ms(9 - n / 10)) for n in range(count)]

    one, five, twenty = (statements_of_push(pair, answers(n)) for n in (1, 5, 20))

    per_record = (five - one) / 4
    assert per_record == (twenty - five) / 15
    assert per_record <= 9  # + the next due time, so a late answer closes only what it answers


def test_the_team_pulls_the_desk_acknowledging_its_alert(pair):
    arrived(pair, 40)
    run_check_in_timers()
    alert = SafetyAlert.objects.get()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    desk = DispatcherFactory()

    acknowledge(desk, alert)

    body = pull_body(pair.first.client, cursor)
    assert records_of(body, "safety_alerts")[str(alert.pk)]["acknowledged_at"] is not None


def test_a_reassigned_call_takes_its_check_ins_off_the_old_teams_phones(pair):
    arrived(pair, 10)
    record = check_in_record(pair.call, "ok", minutes_ago_ms(1))
    push(pair.first.client, created(check_ins=[record]), sequence.current())
    cursor = pull_body(pair.first.client, None)["timestamp"]
    other = TeamFactory(provider=pair.team.provider, program=pair.team.program)

    assign_call(call=pair.call, team=other, assigned_by=DispatcherFactory())

    body = pull_body(pair.first.client, cursor)
    assert record["id"] in body["changes"]["check_ins"]["deleted"]
