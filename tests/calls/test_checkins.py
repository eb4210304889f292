"""On-scene safety check-ins (calls/checkins.py): due an interval after arriving or after the
latest answer, missed after the grace period (a safety alert to the desk and the provider's
supervisors), re-alerted until someone acknowledges it; a late answer closes the alert but
never cancels it; "need help" is a police-backup request for responder safety. The timer is
idempotent. REST here; the sync push and pull in tests/calls/test_checkin_sync.py.

Settings are the defaults: interval 20 min, grace 5, re-alert every 5.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from calls.checkins import run_check_in_timers
from calls.choices import BackupReason, CallStatus, EventKind
from calls.models import BackupRequest, CheckIn, SafetyAlert, StatusEvent
from calls.services import refresh_call_state
from responders.models import Responder
from tests.calls.routing_helpers import METRICS, client_for
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

SAFETY_ALERTS = "/api/v1/safety-alerts/"


@pytest.fixture
def team():
    team = TeamFactory(provider=ProviderFactory(slug="alcott"), call_sign="ALCOTT-1")
    ClinicianFactory(team=team, user__username="clinician-a")
    ClinicianFactory(team=team, user__username="clinician-b")
    SupervisorFactory(provider=team.provider, user__username="supervisor")
    SupervisorFactory(user__username="other-supervisor")  # another provider's
    DispatcherFactory(user__username="desk")
    return team


def ago(minutes: float):
    return timezone.now() - timedelta(minutes=minutes)


def event_at(call, kind: str, minutes_ago: float) -> StatusEvent:
    at = ago(minutes_ago)
    event = StatusEvent.objects.create(call=call, kind=kind, occurred_at=at)
    StatusEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


def on_scene(team, minutes_ago: float):
    """A call of `team` whose team arrived on scene `minutes_ago`."""
    call = CallFactory(team=team)
    event_at(call, EventKind.DISPATCHED, minutes_ago + 10)
    event_at(call, EventKind.ON_SCENE, minutes_ago)
    refresh_call_state(call=call)
    call.refresh_from_db()
    assert call.status == CallStatus.ON_SCENE
    return call


def clinician(team):
    return client_for(responder("clinician-a"))


def responder(username: str) -> Responder:
    return Responder.objects.get(user__username=username)


def check_ins_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/check-ins/"


def answer(client, call, answer: str, minutes_ago: float = 0, **fields):
    body = {"id": str(uuid.uuid4()), "answer": answer, "occurred_at": ago(minutes_ago), **fields}
    return client.post(check_ins_url(call), body, format="json")


def alerted(kind: str = NotificationKind.CHECKIN_MISSED) -> list[str]:
    return sorted(
        Delivery.objects.filter(kind=kind, channel=DeliveryChannel.IN_APP).values_list(
            "recipient__username", flat=True
        )
    )


def acknowledge(username: str, alert):
    client = client_for(responder(username))
    return client.post(f"{SAFETY_ALERTS}{alert.pk}/acknowledge/")


# --- due and missed -------------------------------------------------------------------------------


def test_the_first_check_in_is_due_an_interval_after_arriving(team):
    call = on_scene(team, 10)

    response = clinician(team).get(check_ins_url(call))

    assert response.status_code == 200
    assert response.json()["check_ins"] == []
    due = timezone.datetime.fromisoformat(response.json()["next_due_at"])
    assert due == call.on_scene_at + timedelta(minutes=20)


def test_a_check_in_is_missed_only_once_the_grace_period_is_over(team):
    on_scene(team, 24)  # due 4 min ago: inside the grace period

    assert run_check_in_timers() == 0
    assert not SafetyAlert.objects.exists()

    late = on_scene(team, 26)  # due 6 min ago
    run_check_in_timers()

    alert = SafetyAlert.objects.get()
    assert (alert.call_id, alert.team_id) == (late.pk, team.pk)
    assert alert.due_at == late.on_scene_at + timedelta(minutes=20)
    assert alerted() == ["desk", "supervisor"]


def test_an_answer_moves_the_next_check_in_and_a_longer_visit_asks_later(team):
    call = on_scene(team, 60)
    response = answer(clinician(team), call, "longer_visit", 30, check_again_minutes=45)
    assert response.status_code == 201, response.content
    assert timezone.datetime.fromisoformat(response.json()["next_due_at"]) == (
        CheckIn.objects.get().occurred_at + timedelta(minutes=45)
    )

    assert run_check_in_timers() == 0  # due in 15 min

    answer(clinician(team), call, "ok", 1)  # now the latest answer: due in 19 min
    assert run_check_in_timers() == 0
    assert not SafetyAlert.objects.exists()


def test_an_ok_answer_26_minutes_ago_is_followed_by_a_missed_check_in(team):
    call = on_scene(team, 60)
    answer(clinician(team), call, "ok", 26)

    run_check_in_timers()

    assert SafetyAlert.objects.get().due_at == CheckIn.objects.get().occurred_at + timedelta(
        minutes=20
    )


def test_a_team_that_leaves_the_scene_stops_the_timer(team):
    call = on_scene(team, 60)
    event_at(call, EventKind.TRANSPORTING, 30)
    refresh_call_state(call=call)

    assert run_check_in_timers() == 0
    assert not SafetyAlert.objects.exists()


# --- the timer: idempotent, escalating ------------------------------------------------------------


def test_a_timer_that_fires_twice_alerts_once(team):
    on_scene(team, 30)

    first, second = run_check_in_timers(), run_check_in_timers()

    assert (first, second) == (2, 0)
    assert SafetyAlert.objects.count() == 1
    assert alerted() == ["desk", "supervisor"]


def test_the_alert_repeats_every_five_minutes_until_acknowledged(team):
    on_scene(team, 30)
    now = timezone.now()
    run_check_in_timers(now)
    alert = SafetyAlert.objects.get()

    assert run_check_in_timers(now + timedelta(minutes=3)) == 0  # same round
    assert run_check_in_timers(now + timedelta(minutes=5)) == 2
    assert run_check_in_timers(now + timedelta(minutes=10)) == 2
    assert len(alerted()) == 6  # three rounds, each to the desk and the supervisor
    keys = set(Delivery.objects.filter(kind="checkin_missed").values_list("dedupe_key", flat=True))
    assert {key.split(":")[2] for key in keys} == {"1", "2", "3"}

    response = acknowledge("desk", alert)
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_by"] == "desk"

    assert run_check_in_timers(now + timedelta(minutes=15)) == 0
    assert len(alerted()) == 6
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.closed_at is None


def test_acknowledging_restarts_the_interval_from_the_acknowledgement(team):
    on_scene(team, 30)
    run_check_in_timers()
    acknowledge("supervisor", SafetyAlert.objects.get())
    acknowledged_at = SafetyAlert.objects.get().acknowledged_at

    assert run_check_in_timers(acknowledged_at + timedelta(minutes=24)) == 0
    run_check_in_timers(acknowledged_at + timedelta(minutes=25))

    assert SafetyAlert.objects.count() == 2
    assert SafetyAlert.objects.latest("raised_at").due_at == acknowledged_at + timedelta(minutes=20)


def test_the_schedule_runs_every_minute():
    schedule = Schedule.objects.get(name="safety check-ins")

    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "calls.checkins.run_check_in_timers",
        Schedule.MINUTES,
        1,
    )


# --- answered late -----------------------------------------------------------------------------


@pytest.mark.parametrize("answered_minutes_ago", [8, 0], ids=["before_the_alert", "after_it"])
def test_an_answer_arriving_late_closes_the_alert_but_does_not_cancel_it(
    team, answered_minutes_ago
):
    call = on_scene(team, 35)  # due 15 min ago
    now = timezone.now()
    run_check_in_timers(now - timedelta(minutes=5))  # raised 5 min ago
    alert = SafetyAlert.objects.get()

    response = answer(clinician(team), call, "ok", answered_minutes_ago)

    assert response.status_code == 201, response.content
    alert.refresh_from_db()
    assert alert.closed_at is not None and alert.acknowledged_at is None
    assert str(alert.closed_by_id) == response.json()["check_in"]["id"]
    # Still on the desk's list, waiting for its acknowledgement; no longer re-alerting.
    listed = client_for(responder("desk")).get(SAFETY_ALERTS, {"open": "true"}).json()
    assert [row["id"] for row in listed] == [str(alert.pk)]
    assert listed[0]["is_open"] is False
    assert run_check_in_timers(now + timedelta(minutes=5)) == 0
    assert len(alerted()) == 2


@pytest.mark.parametrize("older_minutes_ago", [45, 120], ids=["partner_syncs_late", "slow_clock"])
def test_an_answer_that_moves_nothing_closes_nothing(team, older_minutes_ago):
    """An answer older than the latest (the partner's phone syncing late) or dated before
    the missed check-in (a phone clock hours slow) does not answer it: the alert stays open
    and keeps re-alerting."""
    call = on_scene(team, 50)
    answer(clinician(team), call, "ok", 30)  # due 10 min ago
    now = timezone.now()
    run_check_in_timers(now)
    alert = SafetyAlert.objects.get()

    response = answer(client_for(responder("clinician-b")), call, "ok", older_minutes_ago)

    assert response.status_code == 201, response.content
    alert.refresh_from_db()
    assert alert.closed_at is None
    assert run_check_in_timers(now + timedelta(minutes=5)) == 2  # the next round


def test_a_phone_clock_running_fast_cannot_put_the_next_check_in_off(team):
    call = on_scene(team, 10)

    response = answer(clinician(team), call, "ok", -9)  # 9 min ahead: inside the skew allowed

    assert response.status_code == 201, response.content
    received = CheckIn.objects.get().created_at
    due = timezone.datetime.fromisoformat(response.json()["next_due_at"])
    assert due == received + timedelta(minutes=20)


def test_acknowledging_an_alert_the_team_had_answered_moves_nothing(team):
    call = on_scene(team, 35)
    run_check_in_timers()
    alert = SafetyAlert.objects.get()
    answered = answer(clinician(team), call, "ok", 0)
    due_after_answer = answered.json()["next_due_at"]

    assert acknowledge("desk", alert).status_code == 200

    assert clinician(team).get(check_ins_url(call)).json()["next_due_at"] == due_after_answer


# --- need help --------------------------------------------------------------------------------


def test_need_help_is_a_backup_request_for_responder_safety(team):
    call = on_scene(team, 10)
    body = {
        "id": str(uuid.uuid4()),
        "answer": "need_help",
        "details": "He picked up a bottle.",
        "occurred_at": ago(0),
    }

    first = clinician(team).post(check_ins_url(call), body, format="json")
    again = clinician(team).post(check_ins_url(call), body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    backup = BackupRequest.objects.get()
    assert backup.reason == BackupReason.RESPONDER_SAFETY
    assert "He picked up a bottle." in backup.details
    assert first.json()["check_in"]["backup_request"] == str(backup.pk)
    assert alerted(NotificationKind.BACKUP_REQUESTED) == ["desk", "supervisor"]


def test_need_help_on_a_closed_call_is_refused_and_stores_nothing(team):
    call = on_scene(team, 10)
    StatusEvent.objects.create(call=call, kind=EventKind.CANCELLED, occurred_at=ago(1))
    refresh_call_state(call=call)

    response = answer(clinician(team), call, "need_help")

    assert response.status_code == 409
    assert response.json()["code"] == "call_closed"
    assert not CheckIn.objects.exists() and not BackupRequest.objects.exists()


# --- bad input and who may -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"answer": "longer_visit"}, "check_again_minutes"),
        ({"answer": "longer_visit", "check_again_minutes": 500}, "check_again_minutes"),
        ({"answer": "longer_visit", "check_again_minutes": 2}, "check_again_minutes"),
        ({"answer": "ok", "check_again_minutes": 30}, "check_again_minutes"),
        ({"answer": "maybe"}, "answer"),
        ({"answer": "ok", "occurred_at": "yesterday"}, "occurred_at"),
        ({"answer": "ok", "occurred_at": (timezone.now() + timedelta(hours=2)).isoformat()}, None),
    ],
)
def test_a_bad_check_in_is_a_400_naming_the_field(team, fields, field):
    call = on_scene(team, 10)
    body = {"id": str(uuid.uuid4()), "occurred_at": ago(0).isoformat(), **fields}

    response = clinician(team).post(check_ins_url(call), body, format="json")

    assert response.status_code == 400, response.content
    assert (field or "occurred_at") in response.json()
    assert not CheckIn.objects.exists()


def test_only_the_team_answers_and_only_the_desk_and_supervisors_acknowledge(team):
    call = on_scene(team, 30)
    other_team = TeamFactory(provider=team.provider)
    outsider = client_for(ClinicianFactory(team=other_team))
    assert answer(outsider, call, "ok").status_code == 404
    assert answer(client_for(responder("desk")), call, "ok").status_code == 403

    run_check_in_timers()
    alert = SafetyAlert.objects.get()

    assert acknowledge("clinician-a", alert).status_code == 403
    assert acknowledge("other-supervisor", alert).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    first, again = acknowledge("supervisor", alert), acknowledge("desk", alert)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["acknowledged_by"] == "supervisor"


def test_the_alert_list_is_scoped_and_costs_the_same_queries_for_one_or_five(
    team, django_assert_max_num_queries
):
    for minutes in (30, 40, 50, 60, 70):
        on_scene(team, minutes)
    other = TeamFactory(provider=ProviderFactory(slug="exodus"))
    on_scene(other, 30)
    run_check_in_timers()
    desk = client_for(responder("desk"))
    supervisor = client_for(responder("supervisor"))

    with django_assert_max_num_queries(6):
        everything = desk.get(SAFETY_ALERTS).json()
    own = supervisor.get(SAFETY_ALERTS).json()

    assert len(everything) == 6
    assert len(own) == 5 and {row["team"] for row in own} == {"ALCOTT-1"}


# --- the board and the figures -----------------------------------------------------------------


def board_client(username: str) -> Client:
    client = Client()
    client.force_login(responder(username).user)
    return client


def test_the_board_shows_a_missed_check_in_first_and_acknowledges_it(team):
    call = on_scene(team, 30)
    on_time = on_scene(team, 5)
    run_check_in_timers()
    alert = SafetyAlert.objects.get()
    desk = board_client("desk")

    html = desk.get("/board/live/").content.decode()

    assert html.index('id="safety-alerts"') < html.index('id="calls"')
    assert call.address in html[: html.index('id="calls"')]
    assert f"/board/safety-alerts/{alert.pk}/acknowledge/" in html
    assert f'class="call late check-in-late" data-cad="{call.cad_incident_number}"' in html
    assert f'class="call" data-cad="{on_time.cad_incident_number}"' in html
    assert re.search(r"due in 1[45] min", html)

    response = desk.post(f"/board/safety-alerts/{alert.pk}/acknowledge/")

    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by.username == "desk"
    assert 'id="safety-alerts"' not in desk.get("/board/live/").content.decode()


def test_another_providers_supervisor_cannot_acknowledge_from_the_board(team):
    on_scene(team, 30)
    run_check_in_timers()
    alert = SafetyAlert.objects.get()

    response = board_client("other-supervisor").post(
        f"/board/safety-alerts/{alert.pk}/acknowledge/"
    )

    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_metrics_count_check_ins_and_safety_alerts_and_the_time_to_acknowledge(team):
    call = on_scene(team, 60)
    answer(clinician(team), call, "ok", 50)
    answer(clinician(team), call, "need_help", 45)
    raised = timezone.now() - timedelta(minutes=10)
    SafetyAlert.objects.create(
        call=call,
        team=team,
        due_at=raised - timedelta(minutes=5),
        raised_at=raised,
        acknowledged_at=raised + timedelta(minutes=4),
    )
    SafetyAlert.objects.create(call=call, team=team, due_at=raised, raised_at=raised)

    total = client_for(responder("desk")).get(METRICS).json()["total"]

    assert (total["checkins_answered"], total["checkins_need_help"]) == (2, 1)
    assert total["safety_alerts_raised"] == 2
    assert total["safety_alert_acknowledge_minutes"] == {"mean": 4.0, "median": 4.0, "p90": 4.0}


def test_the_calls_admin_page_keeps_its_check_ins_and_alerts_in_its_history(team):
    call = on_scene(team, 35)
    run_check_in_timers()
    answer(clinician(team), call, "ok", 0)  # late: closes the alert

    html = board_client("supervisor").get(f"/admin/calls/call/{call.pk}/change/")

    assert html.status_code == 200
    text = html.content.decode().lower()
    assert "safety alerts" in text and "check ins" in text and "all ok" in text


def summary_line(html: str, label: str) -> int:
    found = re.search(
        rf"<th scope=\"row\">{re.escape(label)}</th>\s*<td>(?:<strong[^>]*>)?(\d+)", html
    )
    assert found, f"no line {label!r}"
    return int(found.group(1))


def test_a_supervisors_admin_home_counts_safety_alerts_and_overdue_check_ins(team):
    on_scene(team, 30)  # missed: a safety alert
    on_scene(team, 22)  # past due, still inside the grace period
    on_scene(team, 5)
    run_check_in_timers()

    html = board_client("supervisor").get("/admin/").content.decode()

    assert summary_line(html, "Safety alerts (missed check-ins)") == 1
    assert summary_line(html, "Overdue check-ins") == 2
    assert summary_line(html, "Open calls") == 3


def test_a_need_help_request_comes_first_among_the_boards_pending_backups(team):
    call = on_scene(team, 10)
    BackupRequest.objects.create(  # asked for earlier, for another reason
        call=on_scene(team, 20), reason=BackupReason.WEAPON_SEEN, occurred_at=ago(5)
    )
    answer(clinician(team), call, "need_help", 1)

    html = board_client("desk").get("/board/live/").content.decode()

    backups = re.findall(r'<li class="backup">(.*?)</li>', html)
    assert len(backups) == 2
    assert "Responder safety" in backups[0] and "Weapon seen" in backups[1]
