"""Push: what POST /api/v1/sync/push/ does with a phone's offline changes - applies them once
(a retry, with or without a batch id, creates nothing twice), merges append-only records of
a pair to their union, refuses a stale write to a mutable record with a 409 that applies
nothing, sends each bad record alone to the quarantine, records who wrote what from which
device, and answers bad input with a 400 naming it."""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from calls.choices import CallStatus, EventKind
from calls.models import Call, Note, Outcome, Person, StatusEvent
from followups import services as followup_services
from followups.models import FollowUp
from referrals.models import Referral
from tests.factories import (
    CallFactory,
    CaseManagerFactory,
    FollowUpFactory,
    NoteFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    SupervisorFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    changes,
    created,
    event_record,
    followup_record,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    ms,
    note_record,
    outcome_record,
    person_record,
    pull_body,
    push,
    records_of,
    referral_record,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import QuarantinedRecord, SyncBatch
from umcr.sync import sequence
from umcr.sync.push import MAX_PUSH_RECORDS

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def rejected_ids(body: dict, table: str) -> list[str]:
    return body["experimentalRejectedIds"].get(table, [])


def counts() -> dict[str, int]:
    models = (Note, StatusEvent, Outcome, Person, FollowUp, Referral, QuarantinedRecord)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def pair():
    return team_pair()


def shift_batch(pair) -> dict:
    """A pair's offline shift on its call: events, notes, an outcome, the person, a follow-up
    and a referral, as one push."""
    call = pair.call
    return created(
        status_events=[
            event_record(call, EventKind.ACKNOWLEDGED, minutes_ago_ms(60)),
            event_record(call, EventKind.EN_ROUTE, minutes_ago_ms(55)),
            event_record(call, EventKind.ON_SCENE, minutes_ago_ms(40)),
        ],
        notes=[
            note_record(call, "Sitting on the kerb, talking to himself.", minutes_ago_ms(39)),
            note_record(call, "Accepted water; calmer.", minutes_ago_ms(30)),
        ],
        outcomes=[outcome_record(call, minutes_ago_ms(20))],
        people=[person_record(call=call, given_name="Sam")],
        follow_ups=[followup_record(call, minutes_ago_ms(-60 * 24), minutes_ago_ms(-60 * 72))],
        referrals=[referral_record(call, ServiceFactory())],
    )


def sent_ids(batch: dict) -> set[str]:
    return {r["id"] for ops in batch.values() for op in ("created", "updated") for r in ops[op]}


# --- applied once ------------------------------------------------------------------------------


def test_push_applies_a_shift_of_offline_records(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = shift_batch(pair)

    body = ok(push(pair.first.client, batch, cursor))

    assert body["ok"] is True
    assert body["applied"] == len(sent_ids(batch))
    assert body["experimentalRejectedIds"] == {}
    assert body["rejected"] == {}
    assert Note.objects.filter(call=pair.call).count() == 2
    assert StatusEvent.objects.filter(call=pair.call).count() == 3
    pair.call.refresh_from_db()
    assert pair.call.status == CallStatus.ON_SCENE
    assert pair.call.person_id == uuid.UUID(batch["people"]["created"][0]["id"])


def test_retry_of_the_same_batch_answers_as_the_first_time_and_creates_nothing(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = shift_batch(pair)
    first = push(pair.first.client, batch, cursor, batch_id="shift-1")
    assert first.status_code == 200
    before, seq = counts(), sequence.current()

    # The first response was lost; the phone sends the same batch again.
    again = push(pair.first.client, batch, cursor, batch_id="shift-1")

    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert counts() == before
    assert sequence.current() == seq
    assert SyncBatch.objects.filter(batch_id="shift-1").count() == 1


def test_retry_of_a_batch_with_a_refused_record_repeats_the_refusal_verbatim(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = created(
        notes=[
            note_record(pair.call, "Fine.", minutes_ago_ms(5)),
            note_record(pair.call, "   ", minutes_ago_ms(4)),
        ]
    )
    first = ok(push(pair.first.client, batch, cursor, batch_id="b-7"))
    before = counts()

    again = ok(push(pair.first.client, batch, cursor, batch_id="b-7"))

    assert again == first
    assert len(rejected_ids(again, "notes")) == 1
    assert counts() == before


def test_retry_without_a_batch_id_creates_nothing_twice(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = shift_batch(pair)
    ok(push(pair.first.client, batch, cursor))
    before = counts()

    again = ok(push(pair.first.client, batch, cursor))

    assert counts() == before
    assert again["experimentalRejectedIds"] == {}
    assert Note.objects.filter(call=pair.call).count() == 2


def test_batch_ids_of_two_clinicians_do_not_collide(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    mine = created(notes=[note_record(pair.call, "Mine.", minutes_ago_ms(3))])
    theirs = created(notes=[note_record(pair.call, "Theirs.", minutes_ago_ms(2))])

    ok(push(pair.first.client, mine, cursor, batch_id="1"))
    ok(push(pair.second.client, theirs, cursor, batch_id="1"))

    assert set(Note.objects.values_list("body", flat=True)) == {"Mine.", "Theirs."}


def test_record_created_with_an_id_that_exists_is_applied_as_an_update(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = person_record(call=pair.call, given_name="Sam")
    ok(push(pair.first.client, created(people=[record]), cursor))

    body = ok(push(pair.first.client, created(people=[{**record, "given_name": "Samuel"}]), cursor))

    assert body["applied"] == 1
    assert body["experimentalRejectedIds"] == {}
    assert Person.objects.get(pk=record["id"]).given_name == "Samuel"
    assert Person.objects.count() == 1


def test_note_sent_again_with_another_body_is_quarantined_not_edited(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = note_record(pair.call, "Original words.", minutes_ago_ms(5))
    ok(push(pair.first.client, created(notes=[record]), cursor))

    body = ok(
        push(pair.first.client, changes(notes={"updated": [{**record, "body": "Edited."}]}), cursor)
    )

    assert rejected_ids(body, "notes") == [record["id"]]
    assert body["rejected"]["notes"][record["id"]]["code"] == "append_only"
    assert Note.objects.get(pk=record["id"]).body == "Original words."
    assert QuarantinedRecord.objects.get(record_id=record["id"]).payload["body"] == "Edited."


def test_addendum_pushed_with_its_note_is_applied_after_it(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    note = note_record(pair.call, "He said he is 40.", minutes_ago_ms(10))
    addendum = note_record(pair.call, "Correction: 44.", minutes_ago_ms(5), amends_id=note["id"])

    body = ok(push(pair.first.client, created(notes=[addendum, note]), cursor))

    assert body["experimentalRejectedIds"] == {}
    assert str(Note.objects.get(pk=addendum["id"]).amends_id) == note["id"]


def test_addendum_is_applied_even_if_the_phones_clock_stamped_it_before_its_note(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    note = note_record(pair.call, "He said he is 40.", minutes_ago_ms(5))
    # The phone's clock was set back between the two (a network time correction).
    addendum = note_record(pair.call, "Correction: 44.", minutes_ago_ms(8), amends_id=note["id"])

    body = ok(push(pair.first.client, created(notes=[note, addendum]), cursor))

    assert body["experimentalRejectedIds"] == {}, body["rejected"]
    assert str(Note.objects.get(pk=addendum["id"]).amends_id) == note["id"]


# --- append-only records merge; mutable records refuse stale writes ----------------------------


@pytest.mark.parametrize("first_pushes_first", [True, False])
def test_pair_pushing_notes_and_events_offline_in_either_order_leaves_the_union(
    pair, first_pushes_first
):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    pull_body(pair.second.client, None)
    call = pair.call
    first = created(
        status_events=[
            event_record(call, EventKind.ACKNOWLEDGED, minutes_ago_ms(50)),
            event_record(call, EventKind.EN_ROUTE, minutes_ago_ms(45)),
        ],
        notes=[note_record(call, f"First's note {n}.", minutes_ago_ms(40 - n)) for n in range(3)],
    )
    second = created(
        status_events=[event_record(call, EventKind.ON_SCENE, minutes_ago_ms(30))],
        notes=[note_record(call, f"Second's note {n}.", minutes_ago_ms(29 - n)) for n in range(3)],
    )
    pushes = [(pair.first, first), (pair.second, second)]
    if not first_pushes_first:
        pushes.reverse()

    for phone, batch in pushes:
        # Both push against the cursor of their last pull, before the other's records.
        body = ok(push(phone.client, batch, cursor))
        assert body["experimentalRejectedIds"] == {}

    assert set(Note.objects.filter(call=call).values_list("body", flat=True)) == {
        *(f"First's note {n}." for n in range(3)),
        *(f"Second's note {n}." for n in range(3)),
    }
    events = {r["id"] for batch in (first, second) for r in batch["status_events"]["created"]}
    stored = StatusEvent.objects.filter(call=call).values_list("pk", flat=True)
    assert {str(pk) for pk in stored} == events
    call.refresh_from_db()
    assert call.status == CallStatus.ON_SCENE


def mutable_record(table: str, pair):
    """A record of `table` in the pair's scope, stored on the server."""
    if table == "people":
        person = PersonFactory(provider=pair.team.provider, given_name="Sam")
        Call.objects.filter(pk=pair.call.pk).update(person=person)
        return person
    if table == "follow_ups":
        # Whole seconds, as a phone's milliseconds would be.
        moment = timezone.now().replace(microsecond=0)
        return FollowUpFactory(
            call=pair.call, not_before=moment + timedelta(days=1), due_by=moment + timedelta(days=3)
        )
    return ReferralFactory(call=pair.call)


def an_edit(table: str, record: dict, variant: int) -> dict:
    if table == "people":
        return {**record, "given_name": ["Samuel", "Sammy"][variant]}
    if table == "follow_ups":
        return {**record, "due_by": record["due_by"] + (variant + 1) * 3_600_000}
    return {**record, "notes": ["Bed confirmed.", "Bed fell through."][variant]}


def stored_value(table: str, pk):
    if table == "people":
        return Person.objects.get(pk=pk).given_name
    if table == "follow_ups":
        return ms(FollowUp.objects.get(pk=pk).due_by)
    return Referral.objects.get(pk=pk).notes


def edited_column(table: str) -> str:
    return {"people": "given_name", "follow_ups": "due_by", "referrals": "notes"}[table]


@pytest.mark.parametrize("table", ["people", "follow_ups", "referrals"])
def test_stale_write_to_a_mutable_record_is_a_409_that_applies_nothing(pair, table):
    stored = mutable_record(table, pair)
    first_pull = pull_body(pair.first.client, None)
    second_pull = pull_body(pair.second.client, None)
    record = records_of(first_pull, table)[str(stored.pk)]
    ok(
        push(
            pair.second.client,
            changes(**{table: {"updated": [an_edit(table, record, 0)]}}),
            second_pull["timestamp"],
        )
    )
    column = edited_column(table)
    partner_value = an_edit(table, record, 0)[column]
    assert stored_value(table, stored.pk) == partner_value
    note = note_record(pair.call, "Written in the same push.", minutes_ago_ms(1))
    stale = changes(**{table: {"updated": [an_edit(table, record, 1)]}}, notes={"created": [note]})

    response = push(pair.first.client, stale, first_pull["timestamp"], batch_id="stale-1")

    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["conflicts"] == {table: [str(stored.pk)]}
    assert stored_value(table, stored.pk) == partner_value
    assert not Note.objects.filter(pk=note["id"]).exists()
    assert not QuarantinedRecord.objects.exists()
    # The phone pulls, sees the partner's change, and pushes again (a new batch).
    fresh = pull_body(pair.first.client, first_pull["timestamp"])
    assert records_of(fresh, table)[str(stored.pk)][column] == partner_value
    again = ok(push(pair.first.client, stale, fresh["timestamp"], batch_id="stale-2"))
    assert again["experimentalRejectedIds"] == {}
    assert stored_value(table, stored.pk) == an_edit(table, record, 1)[column]
    assert Note.objects.filter(pk=note["id"]).exists()


def test_same_batch_id_after_a_409_is_applied_once_the_phone_has_pulled(pair):
    stored = mutable_record("people", pair)
    first_pull = pull_body(pair.first.client, None)
    record = records_of(first_pull, "people")[str(stored.pk)]
    ok(
        push(
            pair.second.client,
            changes(people={"updated": [an_edit("people", record, 0)]}),
            first_pull["timestamp"],
        )
    )
    batch = changes(people={"updated": [an_edit("people", record, 1)]})
    assert push(pair.first.client, batch, first_pull["timestamp"], batch_id="b").status_code == 409

    cursor = pull_body(pair.first.client, first_pull["timestamp"])["timestamp"]

    ok(push(pair.first.client, batch, cursor, batch_id="b"))
    assert Person.objects.get(pk=stored.pk).given_name == "Sammy"


@pytest.mark.parametrize("table", ["people", "follow_ups", "referrals"])
def test_the_devices_own_earlier_writes_never_make_a_409(pair, table):
    stored = mutable_record(table, pair)
    first_pull = pull_body(pair.first.client, None)
    record = records_of(first_pull, table)[str(stored.pk)]

    for variant in (0, 1):
        # Offline all along: every push is against the cursor of that one pull.
        body = ok(
            push(
                pair.first.client,
                changes(**{table: {"updated": [an_edit(table, record, variant)]}}),
                first_pull["timestamp"],
            )
        )
        assert body["experimentalRejectedIds"] == {}

    assert stored_value(table, stored.pk) == an_edit(table, record, 1)[edited_column(table)]


def test_a_person_the_phone_created_is_edited_again_without_a_pull(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = person_record(call=pair.call, given_name="Sam")
    ok(push(pair.first.client, created(people=[record]), cursor))

    body = ok(
        push(
            pair.first.client,
            changes(people={"updated": [{**record, "phone": "555-0100"}]}),
            cursor,
        )
    )

    assert body["experimentalRejectedIds"] == {}
    assert Person.objects.get(pk=record["id"]).phone == "555-0100"


def test_server_change_made_outside_a_request_still_makes_a_stale_push_409(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    moment = timezone.now().replace(microsecond=0)
    record = followup_record(
        pair.call, ms(moment + timedelta(days=1)), ms(moment + timedelta(days=2))
    )
    ok(push(pair.first.client, created(follow_ups=[record]), cursor))
    followup = FollowUp.objects.get(pk=record["id"])
    # A case manager's change made by a task or a script, with no signed-in request.
    followup_services.change_followup(
        followup=followup,
        responder=CaseManagerFactory(provider=pair.team.provider),
        due_by=moment + timedelta(days=5),
    )

    response = push(
        pair.first.client,
        changes(follow_ups={"updated": [{**record, "purpose": "Bring the forms."}]}),
        cursor,
    )

    assert response.status_code == 409


# --- one bad record does not block the rest ---------------------------------------------------


def test_bad_records_are_quarantined_and_the_good_ones_applied(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    call = pair.call
    foreign = CallFactory()
    good = {
        "notes": [note_record(call, "Good note.", minutes_ago_ms(10))],
        "status_events": [event_record(call, EventKind.ACKNOWLEDGED, minutes_ago_ms(12))],
        "people": [person_record(given_name="Ana")],
    }
    bad = {
        "notes": [
            note_record(call, "   ", minutes_ago_ms(9)),
            note_record(foreign, "On another team's call.", minutes_ago_ms(8)),
            note_record("not-a-uuid", "No such call.", minutes_ago_ms(7)),
            note_record(call, "From the future.", minutes_ago_ms(-120)),
            {**note_record(call, "A bad id.", minutes_ago_ms(6)), "id": "not-a-uuid"},
        ],
        "status_events": [
            event_record(call, "teleported", minutes_ago_ms(11)),
            event_record(call, EventKind.EN_ROUTE, "yesterday"),
        ],
        "outcomes": [{**outcome_record(call, minutes_ago_ms(3)), "people_served": -1}],
        "people": [person_record(approximate_age=300)],
        "follow_ups": [followup_record(call, minutes_ago_ms(-100), minutes_ago_ms(-10))],
        "referrals": [referral_record(call, ServiceFactory(), consent_given=False)],
    }
    tables = set(good) | set(bad)
    batch = created(**{t: good.get(t, []) + bad.get(t, []) for t in tables})

    body = ok(push(pair.first.client, batch, cursor, batch_id="mixed"))

    assert body["applied"] == 3
    assert Note.objects.filter(body="Good note.").exists()
    assert StatusEvent.objects.filter(call=call, kind=EventKind.ACKNOWLEDGED).exists()
    assert Person.objects.filter(given_name="Ana").exists()
    for table, records in bad.items():
        assert sorted(rejected_ids(body, table)) == sorted(r["id"] for r in records), table
        for record in records:
            reason = body["rejected"][table][record["id"]]
            assert reason, (table, record)
            quarantined = QuarantinedRecord.objects.get(table=table, record_id=record["id"])
            assert quarantined.payload == record
            assert quarantined.reason == reason
            assert quarantined.operation == "created"
            assert quarantined.user_id == pair.first.responder.user_id
            assert quarantined.device_id == pair.first.device.pk
            assert quarantined.provider_id == pair.team.provider_id
            assert quarantined.batch_id == "mixed"
    # Nothing silently dropped: every record sent was applied or quarantined.
    assert body["applied"] + QuarantinedRecord.objects.count() == len(
        [r for ops in batch.values() for r in ops["created"]]
    )


def test_quarantine_names_the_bad_column(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = event_record(pair.call, EventKind.EN_ROUTE, "yesterday")

    body = ok(push(pair.first.client, created(status_events=[record]), cursor))

    assert "occurred_at" in body["rejected"]["status_events"][record["id"]]


def test_delete_pushed_by_a_phone_is_quarantined_and_erases_nothing(pair):
    note = NoteFactory(call=pair.call)
    person = PersonFactory(provider=pair.team.provider)
    Call.objects.filter(pk=pair.call.pk).update(person=person)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    body = ok(
        push(
            pair.first.client,
            changes(notes={"deleted": [str(note.pk)]}, people={"deleted": [str(person.pk)]}),
            cursor,
        )
    )

    assert rejected_ids(body, "notes") == [str(note.pk)]
    assert rejected_ids(body, "people") == [str(person.pk)]
    assert body["rejected"]["notes"][str(note.pk)]["code"] == "delete_refused"
    assert Note.objects.filter(pk=note.pk, voided_at__isnull=True).exists()
    assert Person.objects.filter(pk=person.pk).exists()
    deleted = QuarantinedRecord.objects.get(record_id=str(note.pk))
    assert (deleted.operation, deleted.payload) == ("deleted", {"id": str(note.pk)})


def test_writes_to_read_only_tables_are_quarantined(pair):
    service = ServiceFactory(name="Shelter beds")
    first_pull = pull_body(pair.first.client, None)
    call = records_of(first_pull, "calls")[str(pair.call.pk)]
    new_service = {"id": "9999", "name": "Made up on a phone", "organization": "Nobody"}

    body = ok(
        push(
            pair.first.client,
            changes(
                calls={"updated": [{**call, "status": "cleared", "address": "Elsewhere"}]},
                services={
                    "created": [new_service],
                    "updated": [{"id": str(service.pk), "name": "Renamed"}],
                },
            ),
            first_pull["timestamp"],
        )
    )

    assert rejected_ids(body, "calls") == [str(pair.call.pk)]
    assert sorted(rejected_ids(body, "services")) == sorted(["9999", str(service.pk)])
    assert body["rejected"]["calls"][str(pair.call.pk)]["code"] == "read_only"
    pair.call.refresh_from_db()
    assert (pair.call.status, pair.call.address) != ("cleared", "Elsewhere")
    service.refresh_from_db()
    assert service.name == "Shelter beds"
    assert QuarantinedRecord.objects.filter(table__in=["calls", "services"]).count() == 3


def test_refusal_repeated_by_retries_is_quarantined_once(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = created(notes=[note_record(pair.call, "", minutes_ago_ms(3))])

    for _ in range(3):
        body = ok(push(pair.first.client, batch, cursor))
        assert len(rejected_ids(body, "notes")) == 1

    assert QuarantinedRecord.objects.count() == 1


def void(record, by) -> None:
    record.voided_at = timezone.now()
    record.void_reason = "Written on the wrong call."
    record.voided_by = by
    record.save()


def test_edit_pushed_against_a_voided_record_is_quarantined(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    note = note_record(pair.call, "Wrong call.", minutes_ago_ms(9))
    person = person_record(call=pair.call, given_name="Sam")
    ok(push(pair.first.client, created(notes=[note], people=[person]), cursor))
    supervisor = SupervisorFactory(provider=pair.team.provider).user
    void(Note.objects.get(pk=note["id"]), supervisor)
    void(Person.objects.get(pk=person["id"]), supervisor)
    cursor = pull_body(pair.first.client, cursor)["timestamp"]

    body = ok(
        push(
            pair.first.client,
            changes(
                notes={"updated": [note]},
                people={"updated": [{**person, "given_name": "Samuel"}]},
            ),
            cursor,
        )
    )

    assert rejected_ids(body, "notes") == [note["id"]]
    assert body["rejected"]["notes"][note["id"]]["code"] == "voided"
    assert rejected_ids(body, "people") == [person["id"]]
    assert Person.objects.get(pk=person["id"]).given_name == "Sam"
    assert set(QuarantinedRecord.objects.values_list("record_id", flat=True)) == {
        note["id"],
        person["id"],
    }


# --- provenance ------------------------------------------------------------------------------


def test_pushed_rows_record_the_user_the_device_a_new_sequence_and_the_phones_time(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    written_at, occurred_at = minutes_ago_ms(17), minutes_ago_ms(18)
    note = note_record(pair.call, "Calm.", written_at)
    event = event_record(pair.call, EventKind.ON_SCENE, occurred_at)
    person = person_record(call=pair.call)

    ok(
        push(
            pair.first.client, created(notes=[note], status_events=[event], people=[person]), cursor
        )
    )

    phone = pair.first
    for model, record_id in (
        (Note, note["id"]),
        (StatusEvent, event["id"]),
        (Person, person["id"]),
    ):
        row = model.objects.get(pk=record_id)
        assert row.changed_by_id == phone.responder.user_id, model
        assert row.changed_device_id == phone.device.pk, model
        assert row.sync_seq > cursor, model
    stored_note = Note.objects.get(pk=note["id"])
    assert ms(stored_note.occurred_at) == written_at
    assert (stored_note.responder_id, stored_note.device_id) == (
        phone.responder.pk,
        phone.device.pk,
    )
    assert stored_note.created_at > stored_note.occurred_at
    stored_event = StatusEvent.objects.get(pk=event["id"])
    assert ms(stored_event.occurred_at) == occurred_at
    pair.call.refresh_from_db()
    assert ms(pair.call.on_scene_at) == occurred_at


def test_partner_pulls_the_phones_time_and_the_servers_time(pair):
    cursor = pull_body(pair.second.client, None)["timestamp"]
    written_at = minutes_ago_ms(25)
    note = note_record(pair.call, "Calm.", written_at)
    ok(push(pair.first.client, created(notes=[note]), cursor))

    pulled = records_of(pull_body(pair.second.client, cursor), "notes")[note["id"]]

    assert pulled["written_at"] == written_at
    assert pulled["recorded_at"] > written_at
    assert pulled["responder_id"] == str(pair.first.responder.pk)


# --- whole records sent back, as WatermelonDB sends them --------------------------------------


def test_phone_moves_a_referral_it_pulled_by_pushing_the_whole_record(pair):
    referral = ReferralFactory(call=pair.call)
    first_pull = pull_body(pair.first.client, None)
    record = records_of(first_pull, "referrals")[str(referral.pk)]

    body = ok(
        push(
            pair.first.client,
            changes(referrals={"updated": [{**record, "status": "sent"}]}),
            first_pull["timestamp"],
        )
    )

    assert body["experimentalRejectedIds"] == {}
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_phone_completes_a_followup_it_pulled_by_pushing_the_whole_record(pair):
    followup = FollowUpFactory(call=pair.call)  # server-made: times to the microsecond
    first_pull = pull_body(pair.first.client, None)
    record = records_of(first_pull, "follow_ups")[str(followup.pk)]

    body = ok(
        push(
            pair.first.client,
            changes(
                follow_ups={
                    "updated": [{**record, "status": "completed", "outcome": "Found him housed."}]
                }
            ),
            first_pull["timestamp"],
        )
    )

    assert body["experimentalRejectedIds"] == {}, body["rejected"]
    followup.refresh_from_db()
    assert followup.status == "completed"


def test_phones_bookkeeping_columns_are_ignored(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = {
        **note_record(pair.call, "Calm.", minutes_ago_ms(3)),
        "_status": "created",
        "_changed": "",
    }

    body = ok(push(pair.first.client, created(notes=[record]), cursor))

    assert body["experimentalRejectedIds"] == {}
    assert Note.objects.filter(pk=record["id"]).exists()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"changes": []}, "changes"),
        ({"changes": "notes"}, "changes"),
        ([1, 2], "changes"),
        ({"changes": {"bogus": {"created": []}}}, "bogus"),
        ({"changes": {"notes": []}}, "notes"),
        ({"changes": {"notes": {"created": {}}}}, "notes.created"),
        ({"changes": {"notes": {"created": [{"body": "no id"}]}}}, "notes.created"),
        ({"changes": {"notes": {"created": [{"id": 7, "body": "number id"}]}}}, "notes.created"),
        ({"changes": {"notes": {"created": ["a string"]}}}, "notes.created"),
        ({"changes": {"notes": {"updated": [None]}}}, "notes.updated"),
        ({"changes": {"notes": {"deleted": [{"id": "x"}]}}}, "notes.deleted"),
    ],
)
def test_bad_push_body_is_a_400_naming_it_and_applies_nothing(pair, payload, named):
    pair.first.client.raise_request_exception = False

    response = pair.first.client.post("/api/v1/sync/push/?last_pulled_at=1", payload, format="json")

    assert response.status_code == 400
    assert named in response.json()
    assert counts() == dict.fromkeys(counts(), 0)


def test_bad_table_does_not_let_the_good_tables_through(pair):
    good = note_record(pair.call, "Calm.", minutes_ago_ms(3))

    response = push(pair.first.client, {"notes": {"created": [good]}, "bogus": {}}, 1)

    assert response.status_code == 400
    assert not Note.objects.filter(pk=good["id"]).exists()


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("last_pulled_at=abc", "last_pulled_at"),
        ("last_pulled_at=-5", "last_pulled_at"),
        ("last_pulled_at=1&schema_version=x", "schema_version"),
        ("last_pulled_at=1&batch_id=" + "b" * 65, "batch_id"),
    ],
)
def test_bad_push_parameter_is_a_400_naming_it(pair, query, named):
    pair.first.client.raise_request_exception = False

    response = pair.first.client.post(f"/api/v1/sync/push/?{query}", {"changes": {}}, format="json")

    assert response.status_code == 400
    assert named in response.json()


def test_body_that_is_not_json_is_a_400(pair):
    pair.first.client.raise_request_exception = False

    response = pair.first.client.post(
        "/api/v1/sync/push/?last_pulled_at=1", "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_impossible_date_is_quarantined_not_a_500(pair):
    pair.first.client.raise_request_exception = False
    cursor = pull_body(pair.first.client, None)["timestamp"]
    good = note_record(pair.call, "Calm.", minutes_ago_ms(3))
    bad = note_record(pair.call, "Written on the 45th.", "2025-13-45T10:00:00Z")

    response = push(pair.first.client, created(notes=[good, bad]), cursor)

    assert response.status_code == 200
    assert rejected_ids(response.json(), "notes") == [bad["id"]]
    assert Note.objects.filter(pk=good["id"]).exists()


@pytest.mark.parametrize("column", ["body", "call_id"])
def test_nul_character_in_a_record_is_not_a_500(pair, column):
    pair.first.client.raise_request_exception = False
    cursor = pull_body(pair.first.client, None)["timestamp"]
    good = note_record(pair.call, "Calm.", minutes_ago_ms(3))
    bad = note_record(pair.call, "Calm.", minutes_ago_ms(2))
    bad[column] = bad[column] + "\x00"

    response = push(pair.first.client, created(notes=[good, bad]), cursor)

    assert response.status_code == 200
    assert rejected_ids(response.json(), "notes") == [bad["id"]]
    assert Note.objects.filter(pk=good["id"]).exists()


def test_a_thousand_addenda_each_amending_the_last_are_applied_in_one_push(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    notes = [note_record(pair.call, "Arrived.", minutes_ago_ms(60))]
    for n in range(1, 1200):
        # The phone's clock runs backwards: only the references give the order.
        notes.append(
            note_record(pair.call, f"Addendum {n}.", minutes_ago_ms(59), amends_id=notes[-1]["id"])
        )

    body = ok(push(pair.first.client, created(notes=list(reversed(notes))), cursor))

    assert body["applied"] == 1200
    assert Note.objects.filter(call=pair.call).count() == 1200


def test_push_of_more_records_than_the_limit_is_a_400_naming_the_limit(pair):
    ids = [str(uuid.uuid4()) for _ in range(MAX_PUSH_RECORDS + 1)]

    response = push(pair.first.client, changes(notes={"deleted": ids}), 1)

    assert response.status_code == 400
    assert str(MAX_PUSH_RECORDS) in response.json()["changes"][0]
    assert counts() == dict.fromkeys(counts(), 0)


def raw_push(client, body: str, cursor: int):
    client.raise_request_exception = False
    return client.post(
        f"/api/v1/sync/push/?last_pulled_at={cursor}", body, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [("1" + "0" * 30, "64 bits"), ("[" * 300 + "]" * 300, "255 levels")],
)
def test_value_no_store_can_keep_is_a_400_naming_the_problem(pair, value, named):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = note_record(pair.call, "Calm.", minutes_ago_ms(3))
    body = json.dumps({"changes": created(notes=[record])}).replace('"Calm."', value)

    response = raw_push(pair.first.client, body, cursor)

    assert response.status_code == 400
    assert named in response.json()["changes"][0]
    assert counts() == dict.fromkeys(counts(), 0)


def test_number_too_large_for_a_double_is_a_400_naming_the_record_and_column(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    record = note_record(pair.call, "Calm.", 1)
    body = json.dumps({"changes": created(notes=[record])}).replace(
        '"written_at": 1', '"written_at": 1e400'
    )

    response = raw_push(pair.first.client, body, cursor)

    assert response.status_code == 400
    message = response.json()["notes.created"][0]
    assert record["id"] in message
    assert "written_at" in message
    assert counts() == dict.fromkeys(counts(), 0)


# --- other providers' records -----------------------------------------------------------------


def test_push_naming_another_providers_note_tells_nothing_about_it(pair):
    theirs = NoteFactory(call=CallFactory(), body="Their clinical note.")
    cursor = pull_body(pair.first.client, None)["timestamp"]
    # A replay of their note (same body) and an edit of it, each on the prober's own call.
    probes = [
        note_record(pair.call, theirs.body, minutes_ago_ms(2), note_id=theirs.pk),
        note_record(pair.call, "Other text.", minutes_ago_ms(2), note_id=theirs.pk),
    ]

    answers = []
    for probe in probes:
        body = ok(push(pair.first.client, changes(notes={"updated": [probe]}), cursor))
        answers.append(body["rejected"]["notes"][str(theirs.pk)])

    # Same answer whatever the body: no replay, no append-only refusal, only "id taken",
    # which any id the phone did not pull and cannot use gets.
    assert answers[0] == answers[1]
    assert answers[0]["code"] == "id_taken"
    assert theirs.body not in str(answers)
    assert Note.objects.get(pk=theirs.pk).body == "Their clinical note."


def test_stale_check_says_nothing_of_another_providers_person(pair):
    theirs = PersonFactory()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    theirs.given_name = "Changed after the prober's pull"
    theirs.save()

    response = push(
        pair.first.client, changes(people={"updated": [person_record(theirs.pk)]}), cursor
    )

    assert response.status_code == 200, response.content
    assert response.json()["rejected"]["people"][str(theirs.pk)]["code"] == "id_taken"
    theirs.refresh_from_db()
    assert theirs.given_name == "Changed after the prober's pull"


# --- ids as numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, 1.9])
def test_id_that_is_a_boolean_or_a_fraction_is_refused_naming_the_column(pair, value):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    followup = followup_record(
        pair.call, minutes_ago_ms(-60), minutes_ago_ms(-600), assigned_team_id=value
    )
    referral = referral_record(pair.call, ServiceFactory(), service_id=value)

    body = ok(push(pair.first.client, created(follow_ups=[followup], referrals=[referral]), cursor))

    # Named as the REST API names the field (the one parser): `assigned_team`, `service`.
    assert "assigned_team" in body["rejected"]["follow_ups"][followup["id"]]
    assert "service" in body["rejected"]["referrals"][referral["id"]]
    assert counts()["FollowUp"] == counts()["Referral"] == 0


def test_whole_number_ids_as_numbers_or_digits_are_taken(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    service = ServiceFactory()
    followup = followup_record(
        pair.call, minutes_ago_ms(-60), minutes_ago_ms(-600), assigned_team_id=float(pair.team.pk)
    )
    referral = referral_record(pair.call, service, service_id=str(service.pk))

    body = ok(push(pair.first.client, created(follow_ups=[followup], referrals=[referral]), cursor))

    assert body["rejected"] == {}
    assert FollowUp.objects.get(pk=followup["id"]).assigned_team_id == pair.team.pk


# --- a retry racing its first attempt ----------------------------------------------------------


def test_retry_racing_its_first_attempt_gets_the_first_answer(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    batch = created(notes=[note_record(pair.call, "Calm.", minutes_ago_ms(3))])
    release = threading.Event()
    answers: list = []

    def hold_the_counter():
        # Another writer's transaction: both attempts pass the batch lookup, then queue here.
        with transaction.atomic():
            sequence.hold()
            release.wait(10)

    def attempt():
        try:
            response = push(pair.first.client, batch, cursor, batch_id="race-1")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    blocker = threading.Thread(target=hold_the_counter, daemon=True)
    blocker.start()
    attempts = [threading.Thread(target=attempt, daemon=True) for _ in range(2)]
    for thread in attempts:
        thread.start()
    wait_for_lock_waiters(2)
    release.set()
    for thread in (blocker, *attempts):
        thread.join(10)

    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]
    assert answers[0][1]["applied"] == 1
    assert Note.objects.filter(call=pair.call).count() == 1


def wait_for_lock_waiters(count: int) -> None:
    """Until `count` other sessions wait for a row lock (the counter's); generous, as the
    full suite runs on two busy workers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never queued for the counter")


def test_a_replayed_batch_is_answered_with_the_bytes_of_the_first_answer(pair):
    cursor = pull_body(pair.first.client, None)["timestamp"]
    good = note_record(pair.call, "Calm.", minutes_ago_ms(3))
    refused = note_record(CallFactory(), "Not my call.", minutes_ago_ms(3))
    batch = created(notes=[good, refused])

    first = push(pair.first.client, batch, cursor, batch_id="bytes-1")
    again = push(pair.first.client, batch, cursor, batch_id="bytes-1")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert first.json()["applied"] == 1


# --- per-device limits --------------------------------------------------------------------------


def test_a_device_over_its_records_a_minute_is_refused_whole_with_retry_after(pair, settings):
    settings.SYNC_PUSH_RECORDS_PER_MINUTE = 3
    cursor = pull_body(pair.first.client, None)["timestamp"]
    first = [note_record(pair.call, f"Note {n}.", minutes_ago_ms(3)) for n in range(2)]
    second = [note_record(pair.call, f"More {n}.", minutes_ago_ms(2)) for n in range(2)]

    accepted = push(pair.first.client, created(notes=first), cursor)
    refused = push(pair.first.client, created(notes=second), cursor)
    partner = push(pair.second.client, created(notes=second), cursor)

    assert accepted.status_code == 200
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Nothing of the refused push was applied; another device has its own allowance.
    assert partner.status_code == 200
    assert Note.objects.filter(call=pair.call).count() == 4


def test_a_device_filling_the_quarantine_is_refused_for_a_while(pair, settings):
    settings.SYNC_QUARANTINE_PER_HOUR = 2
    cursor = pull_body(pair.first.client, None)["timestamp"]
    foreign = CallFactory()
    bad = [note_record(foreign, f"Not mine {n}.", minutes_ago_ms(3)) for n in range(2)]
    ok(push(pair.first.client, created(notes=bad), cursor))

    refused = push(
        pair.first.client,
        created(notes=[note_record(pair.call, "Fine.", minutes_ago_ms(1))]),
        cursor,
    )

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert QuarantinedRecord.objects.filter(user=pair.first.responder.user).count() == 2
