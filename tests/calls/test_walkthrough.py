"""A whole call as a pair works it, through the real sign-in and the real HTTP layer: two
clinicians on their own phones, a dropped response and its retry, and at the end one call
with every record exactly once. And a stranger who finds nothing of it."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from calls.choices import CallStatus
from calls.models import BackupRequest, Call, Note, Outcome, StatusEvent
from tests.calls.helpers import (
    BACKUP_REQUESTS,
    CALLS,
    LOGIN,
    backup_body,
    backup_status_url,
    backups_url,
    call_url,
    event_body,
    events_url,
    note_body,
    notes_url,
    outcome_body,
    outcome_url,
    post,
)
from tests.factories import (
    DEMO_PASSWORD,
    BackupRequestFactory,
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def sign_in(responder, device_name: str) -> tuple[APIClient, str]:
    """Sign a phone in as a clinician would: username, password, the phone's name."""
    client = APIClient()
    response = client.post(
        LOGIN,
        {
            "username": responder.user.username,
            "password": DEMO_PASSWORD,
            "device_name": device_name,
            "platform": "android",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client, response.json()["device"]["id"]


def at(start, minutes: int) -> str:
    return (start + timedelta(minutes=minutes)).isoformat()


def expect(response, status: int) -> dict:
    assert response.status_code == status, response.json()
    return response.json()


def test_pair_works_a_call_from_dispatch_to_cleared_and_retries_create_nothing_twice():
    team = TeamFactory(call_sign="ALCOTT-1")
    maya = ClinicianFactory(team=team, user__username="maya")
    jon = ClinicianFactory(team=team, user__username="jon")
    call = CallFactory(team=team, address="1200 W 7th St")
    desk = APIClient()
    desk.force_authenticate(DispatcherFactory().user)
    start = timezone.now() - timedelta(hours=1)

    maya_phone, maya_device = sign_in(maya, "Maya's Pixel")
    jon_phone, jon_device = sign_in(jon, "Jon's iPhone")
    assert maya_device != jon_device

    # The desk dispatches; both phones see the call in their queue.
    expect(post(desk, events_url(call), event_body("dispatched", start)), 201)
    for phone in (maya_phone, jon_phone):
        assert [c["id"] for c in phone.get(CALLS).json()["results"]] == [str(call.pk)]

    # Maya acknowledges, Jon drives.
    ack = {"id": str(uuid.uuid4()), "kind": "acknowledged", "occurred_at": at(start, 1)}
    expect(post(maya_phone, events_url(call), ack), 201)
    en_route = {"id": str(uuid.uuid4()), "kind": "en_route", "occurred_at": at(start, 3)}
    assert expect(post(jon_phone, events_url(call), en_route), 201)["call"]["status"] == "en_route"

    # Both write notes on the way.
    maya_note = {
        "id": str(uuid.uuid4()),
        "body": "Caller says he has been in the road since noon.",
        "written_at": at(start, 5),
    }
    expect(post(maya_phone, notes_url(call), maya_note), 201)
    jon_note = {
        "id": str(uuid.uuid4()),
        "body": "Prior contact here last month: refused services.",
        "written_at": at(start, 8),
    }
    expect(post(jon_phone, notes_url(call), jon_note), 201)

    # Maya: on scene, a note, the outcome, cleared.
    on_scene = {"id": str(uuid.uuid4()), "kind": "on_scene", "occurred_at": at(start, 10)}
    expect(post(maya_phone, events_url(call), on_scene), 201)
    scene_note = {
        "id": str(uuid.uuid4()),
        "body": "Calm, accepted water; agreed to a shelter bed.",
        "written_at": at(start, 15),
    }
    expect(post(maya_phone, notes_url(call), scene_note), 201)
    outcome = {
        "id": str(uuid.uuid4()),
        "disposition": "referred_to_services",
        "police_involved": False,
        "people_served": 1,
        "summary": "Shelter bed at the Alcott Center tonight.",
        "occurred_at": at(start, 25),
    }
    expect(post(maya_phone, outcome_url(call), outcome), 201)
    cleared = {"id": str(uuid.uuid4()), "kind": "cleared", "occurred_at": at(start, 26)}
    assert expect(post(maya_phone, events_url(call), cleared), 201)["call"]["status"] == "cleared"

    # Dropped responses: Jon's phone sends its note again, Maya's phone the clearing.
    note_again = expect(post(jon_phone, notes_url(call), jon_note), 200)
    assert note_again["id"] == jon_note["id"]
    cleared_again = expect(post(maya_phone, events_url(call), cleared), 200)
    assert cleared_again["event"]["id"] == cleared["id"]
    assert cleared_again["call"]["status"] == "cleared"

    detail = expect(jon_phone.get(call_url(call)), 200)

    notes = [(n["id"], n["author"]) for n in detail["notes"]]
    assert notes == [
        (maya_note["id"], "maya"),
        (jon_note["id"], "jon"),
        (scene_note["id"], "maya"),
    ]
    assert [e["kind"] for e in detail["events"]] == [
        "dispatched",
        "acknowledged",
        "en_route",
        "on_scene",
        "cleared",
    ]
    assert detail["status"] == "cleared"
    stamps = {
        "dispatched_at": 0,
        "acknowledged_at": 1,
        "en_route_at": 3,
        "on_scene_at": 10,
        "cleared_at": 26,
    }
    for field, minutes in stamps.items():
        assert parse_datetime(detail[field]) == start + timedelta(minutes=minutes), field
    assert detail["transporting_at"] is None
    assert detail["outcome"]["id"] == outcome["id"]
    assert detail["outcome"]["disposition"] == "referred_to_services"
    assert detail["outcome"]["eido_code"] == "RES-REFERRED"
    assert detail["outcome"]["author"] == "maya"
    assert [o["id"] for o in detail["outcome_history"]] == [outcome["id"]]

    # The database holds each record once, written by the phone that sent it.
    assert Note.objects.filter(call=call).count() == 3
    assert StatusEvent.objects.filter(call=call).count() == 5
    assert Outcome.objects.filter(call=call).count() == 1
    assert str(Note.objects.get(pk=jon_note["id"]).device_id) == jon_device
    assert str(StatusEvent.objects.get(pk=cleared["id"]).device_id) == maya_device
    stored = Call.objects.get(pk=call.pk)
    assert stored.status == CallStatus.CLEARED
    assert stored.cleared_at == start + timedelta(minutes=26)

    # Both phones now list it among the closed calls.
    for phone in (maya_phone, jon_phone):
        closed = phone.get(CALLS, {"state": "closed"}).json()["results"]
        assert [(c["id"], c["note_count"]) for c in closed] == [(str(call.pk), 3)]


# --- a stranger -------------------------------------------------------------------------------


@pytest.fixture
def strangers_view():
    """A team's call with a backup request, and another provider's clinician signed in."""
    team = TeamFactory()
    ClinicianFactory(team=team)
    call = CallFactory(team=team)
    backup = BackupRequestFactory(call=call)
    stranger = ClinicianFactory()
    phone, _ = sign_in(stranger, "Stranger's phone")
    return call, backup, phone


def stranger_requests(call, backup):
    when = timezone.now() - timedelta(minutes=2)
    return {
        "detail": ("get", call_url(call), None),
        "events": ("post", events_url(call), event_body("acknowledged", when)),
        "notes": ("post", notes_url(call), note_body("Not my call.", when)),
        "outcome": ("post", outcome_url(call), outcome_body(when)),
        "backup-requests": ("post", backups_url(call), backup_body(when)),
        "backup-status": ("post", backup_status_url(backup), {"status": "cancelled"}),
    }


@pytest.mark.parametrize(
    "endpoint", ["detail", "events", "notes", "outcome", "backup-requests", "backup-status"]
)
def test_another_providers_clinician_gets_404_on_every_endpoint_of_the_call(
    strangers_view, endpoint
):
    call, backup, phone = strangers_view
    method, url, body = stranger_requests(call, backup)[endpoint]

    response = phone.get(url) if method == "get" else phone.post(url, body, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not StatusEvent.objects.filter(call=call).exists()
    assert not Note.objects.filter(call=call).exists()
    assert not Outcome.objects.filter(call=call).exists()
    assert list(BackupRequest.objects.filter(call=call)) == [backup]
    backup.refresh_from_db()
    assert backup.status == "requested"


def test_another_providers_clinician_finds_the_call_in_no_list(strangers_view):
    call, backup, phone = strangers_view

    calls = phone.get(CALLS)
    backups = phone.get(BACKUP_REQUESTS)

    assert (calls.status_code, backups.status_code) == (200, 200)
    assert calls.json()["results"] == []
    assert backups.json() == []
