"""Scope changes: a responder moved to another team, provider or role holds records pulled
under the old scope, and no incremental pull mends that; the pull answers 409
`resync_required` from the change on, and the phone starts again from null. Its pushes are
still heard, so it can hand in its offline work before it resets."""

import pytest

from calls.models import Note
from responders.choices import Role
from responders.models import Responder
from tests.factories import CallFactory, NoteFactory, PersonFactory, TeamFactory
from tests.sync.helpers import (
    SYNC_DB,
    changes,
    created,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    note_record,
    pull,
    pull_body,
    push,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import QuarantinedRecord

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


@pytest.fixture
def moved():
    """The first clinician of team A, synced, moved to team B of the same provider (whose
    call and note are older than the move) by a plain save, as the admin does."""
    pair = team_pair()
    NoteFactory(call=pair.call)
    team_b = TeamFactory(provider=pair.team.provider)
    call_b = CallFactory(team=team_b)
    note_b = NoteFactory(call=call_b)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    responder = pair.first.responder
    responder.team = team_b
    responder.save()
    return {"pair": pair, "cursor": cursor, "call_b": call_b, "note_b": note_b}


def assert_resync_required(response) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "resync_required"
    assert "last_pulled_at null" in response.json()["detail"]


def test_pull_from_before_a_move_to_another_team_is_told_to_resync(moved):
    assert_resync_required(pull(moved["pair"].first.client, moved["cursor"]))


def test_resynced_phone_holds_the_new_teams_older_records_and_none_of_the_old(moved):
    body = pull_body(moved["pair"].first.client, None)

    assert ids_of(body, "calls", "created") == [str(moved["call_b"].pk)]
    assert ids_of(body, "notes", "created") == [str(moved["note_b"].pk)]
    again = pull_body(moved["pair"].first.client, body["timestamp"])
    assert again["changes"]["calls"] == {"created": [], "updated": [], "deleted": []}


def test_partner_left_behind_keeps_syncing_without_a_resync(moved):
    # What a pair sees follows its records (the team kept on each person and referral), not
    # who is in the pair today: a member leaving changes nothing of the partner's scope.
    response = pull(moved["pair"].second.client, moved["cursor"])

    assert response.status_code == 200
    assert str(moved["note_b"].pk) not in str(response.content)


def test_change_of_role_by_a_bulk_update_is_a_scope_change():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]

    Responder.objects.filter(pk=pair.first.responder.pk).update(team=None, role=Role.SUPERVISOR)

    assert_resync_required(pull(pair.first.client, cursor))


def test_change_of_name_or_phone_is_no_scope_change():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    responder = pair.first.responder
    responder.display_name = "Sam R."
    responder.save()
    responder.phone = "555-0100"
    responder.save(update_fields=["phone"])

    assert pull(pair.first.client, cursor).status_code == 200
    assert Responder.objects.get(pk=responder.pk).scope_changed_seq == 0


def test_phone_that_pulled_after_the_move_pulls_as_usual(moved):
    cursor = pull_body(moved["pair"].first.client, None)["timestamp"]
    NoteFactory(call=moved["call_b"])

    body = pull_body(moved["pair"].first.client, cursor)

    assert len(ids_of(body, "notes", "created")) == 1


def test_phone_told_to_resync_still_hands_in_its_offline_notes(moved):
    pair = moved["pair"]
    on_new_call = note_record(moved["call_b"], "Written on team B's call.", minutes_ago_ms(2))
    on_old_call = note_record(pair.call, "Written before the move.", minutes_ago_ms(3))

    response = push(pair.first.client, created(notes=[on_new_call, on_old_call]), moved["cursor"])

    assert response.status_code == 200, response.content
    assert Note.objects.filter(pk=on_new_call["id"]).exists()
    # The old team's call is out of scope now: kept in the quarantine, never lost.
    assert response.json()["experimentalRejectedIds"] == {"notes": [on_old_call["id"]]}
    assert QuarantinedRecord.objects.filter(record_id=on_old_call["id"]).exists()


def test_stale_edit_from_a_phone_told_to_resync_is_quarantined_not_a_409(moved):
    pair = moved["pair"]
    person = PersonFactory(provider=pair.team.provider, created_by=pair.second.responder)
    moved["call_b"].person = person
    moved["call_b"].save()
    record = {"id": str(person.pk), "given_name": "Edited offline", "family_name": "Doe"}

    # The phone cannot pull to mend this conflict (its pulls say reset), so a 409 would
    # block it for ever; the edit is kept for a supervisor instead.
    response = push(pair.first.client, changes(people={"updated": [record]}), moved["cursor"])

    assert response.status_code == 200, response.content
    assert response.json()["rejected"]["people"][str(person.pk)]["code"] == "stale"
    person.refresh_from_db()
    assert person.given_name != "Edited offline"
    assert records_of(pull_body(pair.first.client, None), "people")[str(person.pk)]
