"""Writing field records through the API: status events, notes, outcomes and police-backup
requests on a call, the desk moving backup requests, the alerts they send, who may write
what, and the 400/409 answers to input that is bad or a timeline that cannot have happened."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from calls.choices import BackupStatus, CallStatus, Disposition, EventKind
from calls.models import BackupRequest, Call, Note, Outcome, StatusEvent
from tests.calls.helpers import (
    BACKUP_REQUESTS,
    NOTIFICATIONS,
    backup_body,
    backup_status_url,
    backups_url,
    call_url,
    event_body,
    events_url,
    minutes_ago,
    note_body,
    notes_url,
    outcome_body,
    outcome_url,
    phone_of,
    post,
    team_pair,
)
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    DispatcherFactory,
    NoteFactory,
    SupervisorFactory,
    UserFactory,
)
from umcr.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return team_pair()


@pytest.fixture
def desk():
    return phone_of(DispatcherFactory(), "Desk console")


def record_event(phone, call, kind, minutes, event_id=None):
    response = post(
        phone.client, events_url(call), event_body(kind, minutes_ago(minutes), event_id)
    )
    assert response.status_code == 201, response.json()
    return response


def record_outcome(phone, call, minutes, **fields):
    response = post(phone.client, outcome_url(call), outcome_body(minutes_ago(minutes), **fields))
    assert response.status_code == 201, response.json()
    return response


def clear_call(pair) -> None:
    """Walk the pair's call to cleared: on scene 30 minutes ago, outcome, cleared."""
    record_event(pair.first, pair.call, EventKind.ON_SCENE, 30)
    record_outcome(pair.first, pair.call, 5)
    record_event(pair.first, pair.call, EventKind.CLEARED, 4)


def stored_status(call) -> str:
    return Call.objects.get(pk=call.pk).status


# --- status events ----------------------------------------------------------------------------


def test_event_is_recorded_with_author_and_device_and_returns_the_call_state(pair):
    body = event_body(EventKind.ACKNOWLEDGED, minutes_ago(3))

    response = post(pair.first.client, events_url(pair.call), body)

    assert response.status_code == 201
    data = response.json()
    assert data["event"]["id"] == body["id"]
    assert data["event"]["kind"] == "acknowledged"
    assert data["event"]["author"] == pair.first.responder.user.username
    assert data["call"]["status"] == "acknowledged"
    assert parse_datetime(data["call"]["acknowledged_at"]) == parse_datetime(body["occurred_at"])
    event = StatusEvent.objects.get(pk=body["id"])
    assert (event.call, event.responder, event.device) == (
        pair.call,
        pair.first.responder,
        pair.first.device,
    )
    assert stored_status(pair.call) == CallStatus.ACKNOWLEDGED


def test_status_follows_when_events_happened_not_when_they_arrived(pair):
    record_event(pair.first, pair.call, EventKind.ON_SCENE, 10)
    record_event(pair.second, pair.call, EventKind.EN_ROUTE, 20)

    response = record_event(pair.second, pair.call, EventKind.ACKNOWLEDGED, 25)

    assert response.json()["call"]["status"] == "on_scene"
    call = Call.objects.get(pk=pair.call.pk)
    assert call.status == CallStatus.ON_SCENE
    assert call.acknowledged_at < call.en_route_at < call.on_scene_at


def test_event_posted_again_with_the_same_id_returns_200_and_the_stored_event(pair):
    body = event_body(EventKind.EN_ROUTE, minutes_ago(5))
    first = post(pair.first.client, events_url(pair.call), body)

    again = post(pair.first.client, events_url(pair.call), body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["event"] == first.json()["event"]
    assert StatusEvent.objects.filter(call=pair.call).count() == 1


def test_event_id_reused_for_another_kind_is_409_and_keeps_the_stored_event(pair):
    body = event_body(EventKind.EN_ROUTE, minutes_ago(5))
    post(pair.first.client, events_url(pair.call), body)

    response = post(pair.first.client, events_url(pair.call), {**body, "kind": "on_scene"})

    assert response.status_code == 409
    assert response.json()["code"] == "id_reused"
    assert StatusEvent.objects.get(pk=body["id"]).kind == EventKind.EN_ROUTE
    assert stored_status(pair.call) == CallStatus.EN_ROUTE


def test_event_id_reused_with_another_time_is_409(pair):
    body = event_body(EventKind.EN_ROUTE, minutes_ago(5))
    post(pair.first.client, events_url(pair.call), body)

    later = {**body, "occurred_at": minutes_ago(1).isoformat()}
    response = post(pair.first.client, events_url(pair.call), later)

    assert response.status_code == 409
    assert response.json()["code"] == "id_reused"
    assert StatusEvent.objects.filter(pk=body["id"]).count() == 1


def test_event_id_reused_on_another_call_of_the_team_is_409(pair):
    body = event_body(EventKind.ACKNOWLEDGED, minutes_ago(5))
    post(pair.first.client, events_url(pair.call), body)
    other_call = CallFactory(team=pair.team)

    response = post(pair.first.client, events_url(other_call), body)

    assert response.status_code == 409
    assert not StatusEvent.objects.filter(call=other_call).exists()


def test_cleared_before_anyone_was_on_scene_is_409_saying_why(pair):
    record_event(pair.first, pair.call, EventKind.EN_ROUTE, 20)
    record_outcome(pair.first, pair.call, 5)

    response = post(pair.first.client, events_url(pair.call), event_body("cleared", minutes_ago(4)))

    assert response.status_code == 409
    assert response.json()["code"] == "cleared_before_on_scene"
    assert "on scene" in response.json()["detail"]
    assert not StatusEvent.objects.filter(call=pair.call, kind="cleared").exists()
    assert stored_status(pair.call) == CallStatus.EN_ROUTE


def test_cleared_dated_before_the_on_scene_event_is_409(pair):
    record_event(pair.first, pair.call, EventKind.ON_SCENE, 10)
    record_outcome(pair.first, pair.call, 5)

    response = post(
        pair.first.client, events_url(pair.call), event_body("cleared", minutes_ago(15))
    )

    assert response.status_code == 409
    assert response.json()["code"] == "cleared_before_on_scene"
    assert stored_status(pair.call) == CallStatus.ON_SCENE


def test_cleared_without_on_scene_is_accepted_when_the_person_was_gone_on_arrival(pair):
    record_event(pair.first, pair.call, EventKind.EN_ROUTE, 20)
    record_outcome(pair.first, pair.call, 5, disposition=Disposition.GONE_ON_ARRIVAL)

    response = post(pair.first.client, events_url(pair.call), event_body("cleared", minutes_ago(4)))

    assert response.status_code == 201
    assert response.json()["call"]["status"] == "cleared"
    assert stored_status(pair.call) == CallStatus.CLEARED


def test_cleared_without_an_outcome_is_409_saying_record_the_outcome_first(pair):
    record_event(pair.first, pair.call, EventKind.ON_SCENE, 20)

    response = post(pair.first.client, events_url(pair.call), event_body("cleared", minutes_ago(4)))

    assert response.status_code == 409
    assert response.json()["code"] == "cleared_without_outcome"
    assert "outcome" in response.json()["detail"]
    assert stored_status(pair.call) == CallStatus.ON_SCENE


def test_event_after_the_call_was_cleared_is_409(pair):
    clear_call(pair)

    response = post(
        pair.second.client, events_url(pair.call), event_body("on_scene", minutes_ago(1))
    )

    assert response.status_code == 409
    assert response.json()["code"] == "after_closed"
    assert StatusEvent.objects.filter(call=pair.call).count() == 2
    assert stored_status(pair.call) == CallStatus.CLEARED


def test_late_event_that_happened_before_clearing_is_accepted_and_the_call_stays_cleared(pair):
    clear_call(pair)

    response = post(
        pair.second.client, events_url(pair.call), event_body("en_route", minutes_ago(40))
    )

    assert response.status_code == 201
    assert response.json()["call"]["status"] == "cleared"
    assert Call.objects.get(pk=pair.call.pk).en_route_at is not None


def test_event_a_few_minutes_ahead_by_the_phones_clock_is_accepted(pair):
    body = event_body(EventKind.ACKNOWLEDGED, timezone.now() + timedelta(minutes=5))

    response = post(pair.first.client, events_url(pair.call), body)

    assert response.status_code == 201
    assert StatusEvent.objects.filter(pk=body["id"]).exists()


def test_event_more_than_ten_minutes_in_the_future_is_400_and_not_stored(pair):
    body = event_body(EventKind.ACKNOWLEDGED, timezone.now() + timedelta(minutes=11))

    response = post(pair.first.client, events_url(pair.call), body)

    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert not StatusEvent.objects.exists()


# --- the desk's events --------------------------------------------------------------------


def test_dispatcher_posts_a_dispatched_event(pair, desk):
    response = post(desk.client, events_url(pair.call), event_body("dispatched", minutes_ago(9)))

    assert response.status_code == 201
    assert response.json()["call"]["status"] == "dispatched"
    call = Call.objects.get(pk=pair.call.pk)
    assert (call.status, call.dispatched_at is not None) == (CallStatus.DISPATCHED, True)
    assert StatusEvent.objects.get().responder == desk.responder


def test_dispatcher_cancels_a_call(pair, desk):
    response = post(desk.client, events_url(pair.call), event_body("cancelled", minutes_ago(1)))

    assert response.status_code == 201
    assert stored_status(pair.call) == CallStatus.CANCELLED


def test_dispatcher_posting_a_team_event_is_403(pair, desk):
    response = post(desk.client, events_url(pair.call), event_body("on_scene", minutes_ago(1)))

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize("kind", ["dispatched", "cancelled"])
def test_clinician_posting_a_desk_event_is_403(pair, kind):
    response = post(pair.first.client, events_url(pair.call), event_body(kind, minutes_ago(1)))

    assert response.status_code == 403
    assert not StatusEvent.objects.exists()
    assert stored_status(pair.call) == CallStatus.PENDING


# --- notes ------------------------------------------------------------------------------------


def test_note_is_appended_with_author_and_device(pair):
    body = note_body("Calm, accepted water.", minutes_ago(2))

    response = post(pair.first.client, notes_url(pair.call), body)

    assert response.status_code == 201
    data = response.json()
    assert (data["id"], data["body"], data["amends"]) == (body["id"], body["body"], None)
    assert data["author"] == pair.first.responder.user.username
    note = Note.objects.get(pk=body["id"])
    assert (note.call, note.responder, note.device) == (
        pair.call,
        pair.first.responder,
        pair.first.device,
    )
    assert note.occurred_at == parse_datetime(body["written_at"])


def test_note_posted_again_with_the_same_id_returns_200_and_is_not_doubled(pair):
    body = note_body("Calm, accepted water.", minutes_ago(2))
    first = post(pair.first.client, notes_url(pair.call), body)

    again = post(pair.first.client, notes_url(pair.call), body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == body["id"]
    assert Note.objects.filter(call=pair.call).count() == 1


def test_note_id_reused_with_another_body_is_409_and_the_note_is_not_edited(pair):
    body = note_body("Calm, accepted water.", minutes_ago(2))
    post(pair.first.client, notes_url(pair.call), body)

    response = post(pair.first.client, notes_url(pair.call), {**body, "body": "Rewritten."})

    assert response.status_code == 409
    assert response.json()["code"] == "id_reused"
    assert Note.objects.get(pk=body["id"]).body == "Calm, accepted water."


def test_addendum_amending_a_note_of_the_same_call_is_nested_under_it(pair):
    note = post(pair.first.client, notes_url(pair.call), note_body("Took water.", minutes_ago(9)))
    addendum = note_body("Correction: and food.", minutes_ago(2), amends=note.json()["id"])

    response = post(pair.second.client, notes_url(pair.call), addendum)

    assert response.status_code == 201
    assert response.json()["amends"] == note.json()["id"]
    assert str(Note.objects.get(pk=addendum["id"]).amends_id) == note.json()["id"]
    notes = pair.first.client.get(call_url(pair.call)).json()["notes"]
    assert [n["id"] for n in notes] == [note.json()["id"]]
    assert [a["id"] for a in notes[0]["addenda"]] == [addendum["id"]]


def test_addendum_amending_a_note_of_another_call_is_400(pair):
    foreign = NoteFactory(call=CallFactory(team=pair.team))
    body = note_body("Correction.", minutes_ago(2), amends=foreign.pk)

    response = post(pair.first.client, notes_url(pair.call), body)

    assert response.status_code == 400
    assert "amends" in response.json()
    assert not Note.objects.filter(pk=body["id"]).exists()


def test_addendum_amending_an_unknown_note_is_400(pair):
    body = note_body("Correction.", minutes_ago(2), amends=uuid.uuid4())

    response = post(pair.first.client, notes_url(pair.call), body)

    assert response.status_code == 400
    assert "amends" in response.json()
    assert not Note.objects.exists()


@pytest.mark.parametrize("text", ["", "   \n "])
def test_note_without_text_is_400(pair, text):
    response = post(pair.first.client, notes_url(pair.call), note_body(text, minutes_ago(1)))

    assert response.status_code == 400
    assert "body" in response.json()
    assert not Note.objects.exists()


def test_note_written_more_than_ten_minutes_in_the_future_is_400(pair):
    body = note_body("From the future.", timezone.now() + timedelta(hours=1))

    response = post(pair.first.client, notes_url(pair.call), body)

    assert response.status_code == 400
    assert "written_at" in response.json()
    assert not Note.objects.exists()


# --- outcomes ---------------------------------------------------------------------------------


def test_outcome_is_recorded_with_its_eido_code(pair):
    body = outcome_body(minutes_ago(3), people_served=2, summary="Both went to the shelter.")

    response = post(pair.first.client, outcome_url(pair.call), body)

    assert response.status_code == 201
    data = response.json()
    assert (data["id"], data["disposition"], data["eido_code"]) == (
        body["id"],
        "resolved_on_scene",
        "RES-ONSCENE",
    )
    assert (data["police_involved"], data["people_served"], data["supersedes"]) == (False, 2, None)
    outcome = Outcome.objects.get(pk=body["id"])
    assert (outcome.call, outcome.responder, outcome.summary) == (
        pair.call,
        pair.first.responder,
        "Both went to the shelter.",
    )


def test_outcome_posted_again_with_the_same_id_returns_200(pair):
    body = outcome_body(minutes_ago(3))
    post(pair.first.client, outcome_url(pair.call), body)

    again = post(pair.first.client, outcome_url(pair.call), body)

    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Outcome.objects.count() == 1


def test_second_outcome_without_supersedes_is_409_naming_the_current_one(pair):
    first = record_outcome(pair.first, pair.call, 5)

    response = post(
        pair.second.client,
        outcome_url(pair.call),
        outcome_body(minutes_ago(1), disposition=Disposition.REFUSED_SERVICES),
    )

    assert response.status_code == 409
    assert response.json()["code"] == "outcome_exists"
    assert first.json()["id"] in response.json()["detail"]
    assert list(Outcome.objects.values_list("pk", flat=True)) == [uuid.UUID(first.json()["id"])]


def test_correction_superseding_the_current_outcome_becomes_the_calls_outcome(pair):
    first = record_outcome(pair.first, pair.call, 5)
    correction = outcome_body(
        minutes_ago(1),
        disposition=Disposition.REFERRED_TO_SERVICES,
        supersedes=first.json()["id"],
    )

    response = post(pair.second.client, outcome_url(pair.call), correction)

    assert response.status_code == 201
    assert response.json()["supersedes"] == first.json()["id"]
    assert response.json()["eido_code"] == "RES-REFERRED"
    detail = pair.first.client.get(call_url(pair.call)).json()
    assert detail["outcome"]["id"] == correction["id"]
    assert detail["outcome"]["disposition"] == "referred_to_services"
    assert [o["id"] for o in detail["outcome_history"]] == [first.json()["id"], correction["id"]]
    assert Outcome.objects.count() == 2


def test_correction_superseding_an_outcome_already_corrected_is_409(pair):
    first = record_outcome(pair.first, pair.call, 5)
    record_outcome(pair.first, pair.call, 3, supersedes=first.json()["id"])

    stale = outcome_body(minutes_ago(1), supersedes=first.json()["id"])
    response = post(pair.second.client, outcome_url(pair.call), stale)

    assert response.status_code == 409
    assert response.json()["code"] == "stale_outcome"
    assert Outcome.objects.count() == 2


def test_correction_without_any_outcome_to_supersede_is_409(pair):
    response = post(
        pair.first.client,
        outcome_url(pair.call),
        outcome_body(minutes_ago(1), supersedes=uuid.uuid4()),
    )

    assert response.status_code == 409
    assert response.json()["code"] == "stale_outcome"
    assert not Outcome.objects.exists()


def test_handed_to_police_without_police_involved_is_400(pair):
    body = outcome_body(minutes_ago(1), disposition=Disposition.HANDED_TO_POLICE)

    response = post(pair.first.client, outcome_url(pair.call), body)

    assert response.status_code == 400
    assert "police_involved" in response.json()
    assert not Outcome.objects.exists()


def test_handed_to_police_with_police_involved_is_recorded(pair):
    body = outcome_body(
        minutes_ago(1), disposition=Disposition.HANDED_TO_POLICE, police_involved=True
    )

    response = post(pair.first.client, outcome_url(pair.call), body)

    assert response.status_code == 201
    assert response.json()["eido_code"] == "XFR-LAW"
    assert Outcome.objects.get().police_involved is True


def test_correcting_gone_on_arrival_of_a_call_cleared_without_on_scene_is_409(pair):
    record_event(pair.first, pair.call, EventKind.EN_ROUTE, 20)
    first = record_outcome(pair.first, pair.call, 6, disposition=Disposition.GONE_ON_ARRIVAL)
    record_event(pair.first, pair.call, EventKind.CLEARED, 5)

    correction = outcome_body(minutes_ago(1), supersedes=first.json()["id"])
    response = post(pair.first.client, outcome_url(pair.call), correction)

    assert response.status_code == 409
    assert response.json()["code"] == "cleared_before_on_scene"
    assert Outcome.objects.count() == 1


# --- police backup ----------------------------------------------------------------------------


def test_backup_request_is_accepted_at_once(pair):
    body = backup_body(minutes_ago(1))

    response = post(pair.first.client, backups_url(pair.call), body)

    assert response.status_code == 201
    assert (response.json()["id"], response.json()["status"]) == (body["id"], "requested")
    assert response.json()["call"] == str(pair.call.pk)
    backup = BackupRequest.objects.get(pk=body["id"])
    assert (backup.call, backup.reason, backup.responder, backup.device) == (
        pair.call,
        "weapon_seen",
        pair.first.responder,
        pair.first.device,
    )


def test_backup_request_notifies_the_desk_and_the_providers_supervisors(
    pair, desk, django_capture_on_commit_callbacks
):
    supervisor = SupervisorFactory(provider=pair.team.provider)
    SupervisorFactory()  # another provider's
    CaseManagerFactory(provider=pair.team.provider)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)))

    assert response.status_code == 201
    notified = set(Notification.objects.values_list("recipient", "kind", "call"))
    assert notified == {
        (desk.responder.user.pk, NotificationKind.BACKUP_REQUESTED, pair.call.pk),
        (supervisor.user.pk, NotificationKind.BACKUP_REQUESTED, pair.call.pk),
    }


def test_backup_alert_is_listed_in_the_desks_notifications(
    pair, desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)))

    response = desk.client.get(NOTIFICATIONS)

    assert response.status_code == 200
    [alert] = response.json()["results"]
    assert alert["kind"] == "backup_requested"
    assert alert["call"] == str(pair.call.pk)
    assert pair.call.address in alert["title"]
    assert "Weapon seen" in alert["title"]
    assert pair.first.client.get(NOTIFICATIONS).json()["results"] == []


def test_backup_request_emails_the_desk_the_supervisors_and_the_providers_alert_address(
    pair, desk, django_capture_on_commit_callbacks
):
    supervisor = SupervisorFactory(provider=pair.team.provider)

    with django_capture_on_commit_callbacks(execute=True):
        post(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)))

    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted(
        [desk.responder.user.email, supervisor.user.email, pair.team.provider.alert_email]
    )
    assert all("POLICE BACKUP" in message.subject for message in mail.outbox)
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_backup_alert_on_a_long_address_with_line_breaks_is_sent_with_a_one_line_title(
    desk, django_capture_on_commit_callbacks
):
    address = "1200 W 7th St, rear lot behind the laundromat,\nnear the alley " + "x" * 140
    pair = team_pair(address=address[:200])

    with django_capture_on_commit_callbacks(execute=True):
        response = post(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)))

    assert response.status_code == 201
    alert = Notification.objects.get(recipient=desk.responder.user)
    assert len(alert.title) == 200 and "\n" not in alert.title
    assert alert.title.startswith("POLICE BACKUP:") and alert.title.endswith("…")
    assert [
        message.subject for message in mail.outbox if desk.responder.user.email in message.to
    ] == [alert.title]


def test_backup_request_posted_again_returns_200_and_alerts_no_one_twice(
    pair, desk, django_capture_on_commit_callbacks
):
    SupervisorFactory(provider=pair.team.provider)
    body = backup_body(minutes_ago(1))
    with django_capture_on_commit_callbacks(execute=True):
        post(pair.first.client, backups_url(pair.call), body)
    emails = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = post(pair.first.client, backups_url(pair.call), body)

    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert callbacks == []
    assert BackupRequest.objects.count() == 1
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == emails == 3


def test_backup_request_sent_again_after_the_call_was_cleared_returns_200(pair):
    body = backup_body(minutes_ago(40))
    first = post(pair.first.client, backups_url(pair.call), body)
    clear_call(pair)

    again = post(pair.first.client, backups_url(pair.call), body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == body["id"]
    assert BackupRequest.objects.count() == 1


def test_backup_request_for_another_reason_without_details_is_400(pair):
    body = backup_body(minutes_ago(1), reason="other", details="  ")

    response = post(pair.first.client, backups_url(pair.call), body)

    assert response.status_code == 400
    assert "details" in response.json()
    assert not BackupRequest.objects.exists()


def test_backup_request_for_another_reason_with_details_is_accepted(pair):
    body = backup_body(minutes_ago(1), reason="other", details="Crowd gathering, shouting.")

    response = post(pair.first.client, backups_url(pair.call), body)

    assert response.status_code == 201
    assert BackupRequest.objects.get().details == "Crowd gathering, shouting."


def test_backup_request_on_a_cleared_call_is_409(pair, django_capture_on_commit_callbacks):
    clear_call(pair)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(pair.first.client, backups_url(pair.call), backup_body(minutes_ago(1)))

    assert response.status_code == 409
    assert response.json()["code"] == "call_closed"
    assert not BackupRequest.objects.exists()
    assert not Notification.objects.exists()


# --- the desk moves backup requests -------------------------------------------------------------


@pytest.fixture
def backup(pair):
    return BackupRequestFactory(call=pair.call, responder=pair.first.responder)


def move(phone, backup, to_status):
    return post(phone.client, backup_status_url(backup), {"status": to_status})


def test_desk_moves_a_backup_request_forward_step_by_step(desk, backup):
    steps = ["acknowledged", "police_en_route", "police_on_scene", "resolved"]

    answers = [move(desk, backup, step) for step in steps]

    assert [a.status_code for a in answers] == [200] * 4
    assert [a.json()["status"] for a in answers] == steps
    backup.refresh_from_db()
    assert backup.status == BackupStatus.RESOLVED
    assert backup.status_changed_by == desk.responder.user
    assert backup.status_changed_at is not None


def test_desk_moving_a_backup_request_backwards_is_409(desk, backup):
    move(desk, backup, "police_en_route")

    response = move(desk, backup, "acknowledged")

    assert response.status_code == 409
    assert response.json()["code"] == "backup_backwards"
    backup.refresh_from_db()
    assert backup.status == BackupStatus.POLICE_EN_ROUTE


@pytest.mark.parametrize("to_status", ["police_on_scene", "cancelled"])
def test_moving_a_resolved_backup_request_is_409(desk, backup, to_status):
    move(desk, backup, "resolved")

    response = move(desk, backup, to_status)

    assert response.status_code == 409
    assert response.json()["code"] == "backup_closed"
    backup.refresh_from_db()
    assert backup.status == BackupStatus.RESOLVED


def test_clinician_of_the_team_cancels_their_backup_request(pair, backup):
    response = move(pair.second, backup, "cancelled")

    assert response.status_code == 200
    backup.refresh_from_db()
    assert backup.status == BackupStatus.CANCELLED
    assert backup.status_changed_by == pair.second.responder.user


@pytest.mark.parametrize(
    "to_status", ["acknowledged", "police_en_route", "police_on_scene", "resolved"]
)
def test_clinician_moving_a_backup_request_other_than_cancelling_is_403(pair, backup, to_status):
    response = move(pair.first, backup, to_status)

    assert response.status_code == 403
    backup.refresh_from_db()
    assert backup.status == BackupStatus.REQUESTED


def test_supervisor_moving_a_backup_request_is_403(pair, backup):
    supervisor = phone_of(SupervisorFactory(provider=pair.team.provider))

    response = move(supervisor, backup, "acknowledged")

    assert response.status_code == 403
    backup.refresh_from_db()
    assert backup.status == BackupStatus.REQUESTED


def test_clinician_of_another_team_moving_a_backup_request_gets_404(pair, backup):
    outsider = phone_of(ClinicianFactory(provider=pair.team.provider))

    response = move(outsider, backup, "cancelled")

    assert response.status_code == 404
    backup.refresh_from_db()
    assert backup.status == BackupStatus.REQUESTED


def test_unknown_backup_status_is_400(desk, backup):
    response = move(desk, backup, "police_went_home")

    assert response.status_code == 400
    assert "status" in response.json()


def test_backup_move_notifies_the_team(pair, desk, backup, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        move(desk, backup, "police_en_route")

    notified = set(
        Notification.objects.filter(kind=NotificationKind.BACKUP_STATUS).values_list(
            "recipient", flat=True
        )
    )
    assert notified == {pair.first.responder.user.pk, pair.second.responder.user.pk}
    titles = pair.second.client.get(NOTIFICATIONS).json()["results"]
    assert "Police en route" in titles[0]["title"]


def test_desk_lists_the_open_backup_requests_of_every_provider(pair, desk):
    waiting = BackupRequestFactory(call=pair.call)
    elsewhere = BackupRequestFactory()
    BackupRequestFactory(call=pair.call, status=BackupStatus.RESOLVED)
    BackupRequestFactory(status=BackupStatus.CANCELLED)

    response = desk.client.get(BACKUP_REQUESTS, {"open": "true"})

    assert response.status_code == 200
    listed = {item["id"]: item for item in response.json()}
    assert set(listed) == {str(waiting.pk), str(elsewhere.pk)}
    assert listed[str(waiting.pk)]["address"] == pair.call.address
    assert listed[str(waiting.pk)]["team"] == pair.team.call_sign
    assert listed[str(waiting.pk)]["cad_incident_number"] == pair.call.cad_incident_number


def test_clinician_lists_only_their_teams_backup_requests(pair):
    mine = BackupRequestFactory(call=pair.call)
    BackupRequestFactory(call=CallFactory(routed_provider=pair.team.provider))

    response = pair.first.client.get(BACKUP_REQUESTS)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [str(mine.pk)]


# --- who may write ------------------------------------------------------------------------------

WRITES = {
    "events": lambda call: (events_url(call), event_body("acknowledged", minutes_ago(1))),
    "notes": lambda call: (notes_url(call), note_body("A note.", minutes_ago(1))),
    "outcome": lambda call: (outcome_url(call), outcome_body(minutes_ago(1))),
    "backup": lambda call: (backups_url(call), backup_body(minutes_ago(1))),
}
FIELD_RECORDS = [StatusEvent, Note, Outcome, BackupRequest]


def nothing_written() -> bool:
    return not any(model.objects.exists() for model in FIELD_RECORDS)


@pytest.mark.parametrize("endpoint", WRITES)
def test_clinician_of_another_team_gets_404_on_every_write(pair, endpoint):
    outsider = phone_of(ClinicianFactory(provider=pair.team.provider))
    url, body = WRITES[endpoint](pair.call)

    response = post(outsider.client, url, body)

    assert response.status_code == 404
    assert nothing_written()


@pytest.mark.parametrize("endpoint", WRITES)
def test_another_providers_clinician_gets_404_on_every_write(pair, endpoint):
    stranger = phone_of(ClinicianFactory())
    url, body = WRITES[endpoint](pair.call)

    response = post(stranger.client, url, body)

    assert response.status_code == 404
    assert nothing_written()


@pytest.mark.parametrize("endpoint", WRITES)
@pytest.mark.parametrize("role_factory", [SupervisorFactory, CaseManagerFactory])
def test_supervisor_and_case_manager_may_not_write_field_records(pair, endpoint, role_factory):
    reader = phone_of(role_factory(provider=pair.team.provider))
    url, body = WRITES[endpoint](pair.call)

    response = post(reader.client, url, body)

    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    assert nothing_written()


@pytest.mark.parametrize("endpoint", ["notes", "outcome", "backup"])
def test_dispatcher_writes_no_team_records(pair, desk, endpoint):
    url, body = WRITES[endpoint](pair.call)

    response = post(desk.client, url, body)

    assert response.status_code == 403
    assert nothing_written()


@pytest.mark.parametrize("endpoint", WRITES)
def test_user_without_a_responder_profile_is_403_on_every_write(pair, endpoint):
    client = APIClient()
    client.force_authenticate(UserFactory())
    url, body = WRITES[endpoint](pair.call)

    response = client.post(url, body, format="json")

    assert response.status_code == 403
    assert nothing_written()


@pytest.mark.parametrize("endpoint", WRITES)
def test_write_to_an_unknown_call_is_404(pair, endpoint):
    url, body = WRITES[endpoint](uuid.uuid4())

    response = post(pair.first.client, url, body)

    assert response.status_code == 404
    assert nothing_written()


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({}, {"id", "kind", "occurred_at"}),
        ({"kind": "on_scene", "occurred_at": "2025-03-01T10:00:00Z"}, {"id"}),
        ({"id": str(uuid.uuid4()), "occurred_at": "2025-03-01T10:00:00Z"}, {"kind"}),
        ({"id": str(uuid.uuid4()), "kind": "on_scene"}, {"occurred_at"}),
        ({"id": "not-a-uuid", "kind": "on_scene", "occurred_at": "2025-03-01T10:00:00Z"}, {"id"}),
        (
            {"id": str(uuid.uuid4()), "kind": "teleported", "occurred_at": "2025-03-01T10:00:00Z"},
            {"kind"},
        ),
        (
            {"id": str(uuid.uuid4()), "kind": "on_scene", "occurred_at": "around ten"},
            {"occurred_at"},
        ),
        ({"id": ["x"], "kind": None, "occurred_at": 1740823200}, {"id", "kind", "occurred_at"}),
    ],
    ids=[
        "empty",
        "missing-id",
        "missing-kind",
        "missing-occurred_at",
        "invalid-uuid",
        "unknown-kind",
        "bad-time",
        "wrong-types",
    ],
)
def test_bad_event_is_400_naming_each_bad_field(pair, body, bad_fields):
    response = post(pair.first.client, events_url(pair.call), body)

    assert response.status_code == 400
    assert set(response.json()) == bad_fields
    assert not StatusEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "bad_fields"),
    [
        ({}, {"id", "body", "written_at"}),
        ({"id": "x", "body": "ok", "written_at": "2025-03-01T10:00:00Z"}, {"id"}),
        (
            {
                "id": str(uuid.uuid4()),
                "body": "ok",
                "written_at": "2025-03-01T10:00:00Z",
                "amends": "x",
            },
            {"amends"},
        ),
    ],
    ids=["empty", "invalid-uuid", "invalid-amends"],
)
def test_bad_note_is_400_naming_each_bad_field(pair, body, bad_fields):
    response = post(pair.first.client, notes_url(pair.call), body)

    assert response.status_code == 400
    assert set(response.json()) == bad_fields
    assert not Note.objects.exists()


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"disposition": "vanished"}, {"disposition"}),
        ({"people_served": 101}, {"people_served"}),
        ({"people_served": -1}, {"people_served"}),
        ({"police_involved": "perhaps"}, {"police_involved"}),
        ({"occurred_at": None, "id": None}, {"occurred_at", "id"}),
    ],
    ids=["unknown-disposition", "too-many-served", "negative-served", "not-a-boolean", "nulls"],
)
def test_bad_outcome_is_400_naming_each_bad_field(pair, changes, bad_fields):
    body = {**outcome_body(minutes_ago(1)), **changes}

    response = post(pair.first.client, outcome_url(pair.call), body)

    assert response.status_code == 400
    assert set(response.json()) == bad_fields
    assert not Outcome.objects.exists()


def test_outcome_without_police_involved_is_400(pair):
    body = outcome_body(minutes_ago(1))
    del body["police_involved"]

    response = post(pair.first.client, outcome_url(pair.call), body)

    assert response.status_code == 400
    assert set(response.json()) == {"police_involved"}


@pytest.mark.parametrize(
    ("changes", "bad_fields"),
    [
        ({"reason": "bored"}, {"reason"}),
        ({"id": "nope", "occurred_at": "later"}, {"id", "occurred_at"}),
    ],
    ids=["unknown-reason", "bad-id-and-time"],
)
def test_bad_backup_request_is_400_naming_each_bad_field(pair, changes, bad_fields):
    body = {**backup_body(minutes_ago(1)), **changes}

    response = post(pair.first.client, backups_url(pair.call), body)

    assert response.status_code == 400
    assert set(response.json()) == bad_fields
    assert not BackupRequest.objects.exists()


def test_backup_request_dated_in_the_future_is_400(pair):
    body = backup_body(timezone.now() + timedelta(minutes=30))

    response = post(pair.first.client, backups_url(pair.call), body)

    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert not BackupRequest.objects.exists()


@pytest.mark.parametrize("endpoint", WRITES)
def test_body_that_is_not_json_is_400(pair, endpoint):
    url, _ = WRITES[endpoint](pair.call)

    response = pair.first.client.post(url, data="{'id': oops", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert nothing_written()


@pytest.mark.parametrize("payload", ["[]", "null", '"on_scene"', "42"])
def test_json_that_is_not_an_object_is_400(pair, payload):
    response = pair.first.client.post(
        events_url(pair.call), data=payload, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()
    assert not StatusEvent.objects.exists()


def test_backup_status_body_that_is_not_json_is_400(desk, backup):
    response = desk.client.post(
        backup_status_url(backup), data="status=resolved", content_type="application/json"
    )

    assert response.status_code == 400
    backup.refresh_from_db()
    assert backup.status == BackupStatus.REQUESTED


def test_bad_open_filter_on_backup_requests_is_400(desk):
    response = desk.client.get(BACKUP_REQUESTS, {"open": "sometimes"})

    assert response.status_code == 400
    assert "open" in response.json()
