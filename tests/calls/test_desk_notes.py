"""Notes from the desk to the team (calls/desk_notes.py): written by the desk or a supervisor
in scope over REST, append-only, listed on the call, pulled by the team's phones (never
pushed) and notified to the team's clinicians."""

import uuid

import pytest
from django.test import Client

from calls.models import DESK_NOTE_MAX_LENGTH, DeskNote
from calls.services import assign_call
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    DispatcherFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    Phone,
    changes,
    migration_data,  # noqa: F401  (a fixture)
    pull_body,
    push,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
)
from umcr.models import Delivery, DeliveryChannel, NotificationKind, QuarantinedRecord

from .helpers import call_url, phone_of, post

pytestmark = pytest.mark.django_db


def desk_notes_url(call) -> str:
    return call_url(call, "desk-notes/")


@pytest.fixture
def team():
    team = TeamFactory(call_sign="ALCOTT-1")
    ClinicianFactory(team=team, user__username="clinician-a")
    ClinicianFactory(team=team, user__username="clinician-b")
    return team


def notified() -> list[str]:
    return sorted(
        Delivery.objects.filter(
            kind=NotificationKind.DESK_NOTE, channel=DeliveryChannel.IN_APP
        ).values_list("recipient__username", flat=True)
    )


def test_the_desk_writes_to_the_team_and_its_clinicians_are_notified(team):
    call = CallFactory(team=team)
    desk = phone_of(DispatcherFactory(user__username="desk"))

    response = post(
        desk.client, desk_notes_url(call), {"body": "Caller says he walked to the park."}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == "Caller says he walked to the park."
    assert body["author"] == "desk"
    note = DeskNote.objects.get(pk=body["id"])
    assert (note.call_id, note.author_id) == (call.pk, desk.responder.pk)
    assert notified() == ["clinician-a", "clinician-b"]


def test_the_same_id_again_is_a_replay_that_notifies_nobody_twice(team):
    call = CallFactory(team=team)
    desk = phone_of(DispatcherFactory())
    note = {"id": str(uuid.uuid4()), "body": "He is wearing a red jacket."}

    first = post(desk.client, desk_notes_url(call), note)
    again = post(desk.client, desk_notes_url(call), note)
    other = post(desk.client, desk_notes_url(call), {**note, "body": "Something else."})

    assert (first.status_code, again.status_code) == (201, 200)
    assert other.status_code == 409
    assert other.json()["code"] == "id_reused"
    assert DeskNote.objects.count() == 1
    assert notified() == ["clinician-a", "clinician-b"]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * (DESK_NOTE_MAX_LENGTH + 1)}, "body"),
        ({"body": ["a list"]}, "body"),
        ({"body": "fine", "id": "not-a-uuid"}, "id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(team, sent, field):
    call = CallFactory(team=team)
    desk = phone_of(DispatcherFactory())

    response = post(desk.client, desk_notes_url(call), sent)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not DeskNote.objects.exists()


def test_a_supervisor_writes_on_their_providers_calls_only(team):
    own = CallFactory(team=team)
    other = CallFactory()
    supervisor = phone_of(SupervisorFactory(provider=team.provider))

    mine = post(supervisor.client, desk_notes_url(own), {"body": "Family on the way."})
    theirs = post(supervisor.client, desk_notes_url(other), {"body": "Family on the way."})

    assert mine.status_code == 201
    assert theirs.status_code == 404
    assert list(DeskNote.objects.values_list("call_id", flat=True)) == [own.pk]


def test_the_team_reads_the_notes_but_cannot_write_them(team):
    call = CallFactory(team=team)
    desk = phone_of(DispatcherFactory())
    post(desk.client, desk_notes_url(call), {"body": "First."})
    post(desk.client, desk_notes_url(call), {"body": "Second."})
    clinician = phone_of(team.members.first())

    listed = clinician.client.get(desk_notes_url(call))
    written = post(clinician.client, desk_notes_url(call), {"body": "From the phone."})

    assert listed.status_code == 200
    assert [n["body"] for n in listed.json()] == ["First.", "Second."]
    assert written.status_code == 403
    assert DeskNote.objects.count() == 2


def test_listing_costs_the_same_queries_for_one_note_and_many(team, django_assert_max_num_queries):
    call = CallFactory(team=team)
    desk = DispatcherFactory()
    DeskNote.objects.create(call=call, body="one", author=desk)
    reader = phone_of(desk)
    with django_assert_max_num_queries(8) as few:
        assert reader.client.get(desk_notes_url(call)).status_code == 200
    for index in range(20):
        DeskNote.objects.create(call=call, body=f"note {index}", author=desk)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = reader.client.get(desk_notes_url(call))

    assert len(response.json()) == 21


# --- sync -------------------------------------------------------------------------------------


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_the_teams_phones_pull_desk_notes_and_cannot_push_them():
    team = TeamFactory()
    call = CallFactory(team=team)
    phone = Phone(ClinicianFactory(team=team))
    outsider = Phone(ClinicianFactory())
    desk = phone_of(DispatcherFactory())
    written = post(desk.client, desk_notes_url(call), {"body": "Caller says he left."}).json()

    pulled = records_of(pull_body(phone.client), "desk_notes")
    assert set(pulled) == {written["id"]}
    assert pulled[written["id"]]["body"] == "Caller says he left."
    assert pulled[written["id"]]["call_id"] == str(call.pk)
    assert records_of(pull_body(outsider.client), "desk_notes") == {}

    record = {"id": str(uuid.uuid4()), "call_id": str(call.pk), "body": "From the phone"}
    answer = push(phone.client, changes(desk_notes={"created": [record]}), None)

    assert answer.status_code == 200
    assert record["id"] in answer.json()["experimentalRejectedIds"]["desk_notes"]
    assert answer.json()["rejected"]["desk_notes"][record["id"]]["code"] == "read_only"
    assert QuarantinedRecord.objects.filter(table="desk_notes", record_id=record["id"]).exists()
    assert DeskNote.objects.count() == 1


@SYNC_DB
@pytest.mark.usefixtures("sync_counter")
def test_a_reassigned_call_takes_its_desk_notes_to_the_new_team():
    old = TeamFactory()
    new = TeamFactory(provider=old.provider)
    call = CallFactory(team=old)
    old_phone, new_phone = Phone(ClinicianFactory(team=old)), Phone(ClinicianFactory(team=new))
    desk = DispatcherFactory()
    note = post(phone_of(desk).client, desk_notes_url(call), {"body": "Gate code 1234."}).json()
    old_phone.pull()
    new_phone.pull()
    assert note["id"] in old_phone.store["desk_notes"]

    assign_call(call=call, team=new, assigned_by=desk)
    old_phone.pull()
    new_phone.pull()

    assert note["id"] not in old_phone.store["desk_notes"]
    assert note["id"] in new_phone.store["desk_notes"]


# --- from the board ---------------------------------------------------------------------------


def board_client(responder):
    client = Client()
    client.force_login(responder.user)
    return client


def test_the_desk_writes_from_the_board_by_the_calls_cad_number(team):
    call = CallFactory(team=team, status="dispatched")
    board = board_client(DispatcherFactory(user__username="desk"))

    page = board.get("/board/")
    response = board.post(
        "/board/desk-note/", {"cad": call.cad_incident_number, "body": "Caller is at the bus stop."}
    )

    assert 'id="desk-note"' in page.content.decode()
    assert response.status_code == 302
    assert response["Location"] == "/board/?note=sent"
    assert list(DeskNote.objects.values_list("call_id", "body")) == [
        (call.pk, "Caller is at the bus stop.")
    ]
    assert notified() == ["clinician-a", "clinician-b"]


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"cad": "CAD-NOPE", "body": "Hello."}, "cad"),
        ({"cad": "", "body": "Hello."}, "cad"),
        ({"body": "x" * (DESK_NOTE_MAX_LENGTH + 1)}, "body"),
        ({"body": "   "}, "body"),
    ],
)
def test_a_bad_note_from_the_board_is_a_400_naming_the_field(team, sent, field):
    call = CallFactory(team=team, status="dispatched")
    board = board_client(DispatcherFactory())

    response = board.post("/board/desk-note/", {"cad": call.cad_incident_number, **sent})

    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not DeskNote.objects.exists()


def test_a_supervisor_cannot_write_from_the_board_on_another_providers_call(team):
    other = CallFactory(status="dispatched")
    board = board_client(SupervisorFactory(provider=team.provider))

    response = board.post("/board/desk-note/", {"cad": other.cad_incident_number, "body": "Hello."})

    assert response.status_code == 400
    assert not DeskNote.objects.exists()
