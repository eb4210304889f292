"""Notes pushed a slice at a time (umcr/sync/push.py, calls.sync.NotePush): checked in
memory, written in one INSERT, and - when the INSERT cannot take the slice whole - each
alone, so the guarantees of a record applied once or refused alone still hold."""

import pytest

from calls.models import Note
from tests.factories import CallFactory
from tests.sync.helpers import (
    SYNC_DB,
    created,
    minutes_ago_ms,
    note_record,
    pull_body,
    push,
    team_pair,
)
from umcr.models import QuarantinedRecord

pytestmark = [SYNC_DB]


@pytest.fixture
def pair():
    return team_pair()


def pushed(pair, notes: list[dict]) -> dict:
    cursor = pull_body(pair.first.client, None)["timestamp"]
    response = push(pair.first.client, created(notes=notes), cursor)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_note_sent_twice_in_one_push_is_stored_once(pair):
    note = note_record(pair.call, "Calm.", minutes_ago_ms(3))

    body = pushed(pair, [note, dict(note)])

    assert body["rejected"] == {}
    assert Note.objects.filter(pk=note["id"]).count() == 1


def test_one_id_sent_with_two_bodies_in_one_push_keeps_the_first_and_refuses_the_second(pair):
    first = note_record(pair.call, "First words.", minutes_ago_ms(3))
    second = {**first, "body": "Other words.", "written_at": minutes_ago_ms(2)}

    body = pushed(pair, [first, second])

    assert body["applied"] == 1, body
    assert body["rejected"]["notes"][first["id"]]["code"] == "id_reused"
    assert Note.objects.get(pk=first["id"]).body == "First words."
    assert QuarantinedRecord.objects.get(record_id=first["id"]).payload["body"] == "Other words."


def test_bad_notes_in_a_slice_are_refused_alone_and_the_rest_written_at_once(pair):
    good = [note_record(pair.call, f"Note {n}.", minutes_ago_ms(30 - n)) for n in range(5)]
    future = note_record(pair.call, "From the future.", minutes_ago_ms(-120))
    foreign = note_record(CallFactory(), "Not our call.", minutes_ago_ms(3))
    orphan = note_record(
        pair.call, "Amends the future one.", minutes_ago_ms(1), amends_id=future["id"]
    )

    body = pushed(pair, [*good, future, foreign, orphan])

    assert body["applied"] == 5
    assert set(body["rejected"]["notes"]) == {future["id"], foreign["id"], orphan["id"]}
    assert set(body["rejected"]["notes"][future["id"]]) == {"written_at"}
    assert set(body["rejected"]["notes"][foreign["id"]]) == {"call"}
    assert set(body["rejected"]["notes"][orphan["id"]]) == {"amends"}
    assert Note.objects.filter(call=pair.call).count() == 5


def test_notes_over_several_slices_each_amending_the_last_are_all_applied(pair):
    notes = [note_record(pair.call, "Arrived.", minutes_ago_ms(60))]
    for n in range(1, 250):
        notes.append(
            note_record(pair.call, f"Addendum {n}.", minutes_ago_ms(59), amends_id=notes[-1]["id"])
        )

    body = pushed(pair, notes)

    assert body["applied"] == 250
    assert Note.objects.filter(call=pair.call, amends__isnull=False).count() == 249
