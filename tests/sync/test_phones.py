"""Phones that play a shift: WatermelonDB-like clients (tests/sync/helpers.Phone) writing
offline, syncing in whatever order the signal allows, losing a response, going stale on a
person, and losing a call to another team halfway through. At the end every phone that may
see a call holds what the server holds, and no note is lost or doubled."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls import services as call_services
from calls.choices import CallStatus, EventKind
from calls.models import Call, Note, Outcome, StatusEvent
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    PersonFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    Phone,
    duplicated_ids,
    event_record,
    migration_data,  # noqa: F401  (a fixture)
    ms,
    note_record,
    outcome_record,
    sync_counter,  # noqa: F401  (a fixture)
)
from umcr.models import QuarantinedRecord, SyncBatch

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]

# The field records compared, per table: each raw column and how to read it off a stored row.
FIELD_TABLES = {
    "notes": (Note, {"body": lambda r: r.body, "written_at": lambda r: ms(r.occurred_at)}),
    "status_events": (
        StatusEvent,
        {"kind": lambda r: r.kind, "occurred_at": lambda r: ms(r.occurred_at)},
    ),
    "outcomes": (
        Outcome,
        {"disposition": lambda r: r.disposition, "occurred_at": lambda r: ms(r.occurred_at)},
    ),
}


def server_records(call: Call) -> dict[str, dict[str, dict]]:
    """The call's field records as the server holds them: {table: {id: columns}}."""
    return {
        table: {
            str(row.pk): {"call_id": str(call.pk), **{c: read(row) for c, read in columns.items()}}
            for row in model.objects.filter(call=call, voided_at__isnull=True)
        }
        for table, (model, columns) in FIELD_TABLES.items()
    }


def phone_records(phone: Phone, call: Call) -> dict[str, dict[str, dict]]:
    """The same, as a phone's local store holds them."""
    return {
        table: {
            record_id: {name: record.get(name) for name in ("call_id", *columns)}
            for record_id, record in phone.store[table].items()
            if record.get("call_id") == str(call.pk)
        }
        for table, (_, columns) in FIELD_TABLES.items()
    }


def assert_phone_holds_what_the_server_holds(phone: Phone, call: Call) -> None:
    assert str(call.pk) in phone.store["calls"], phone.device.name
    assert phone.store["calls"][str(call.pk)]["status"] == Call.objects.get(pk=call.pk).status
    assert phone_records(phone, call) == server_records(call), phone.device.name


def assert_phone_dropped(phone: Phone, call: Call) -> None:
    assert str(call.pk) not in phone.store["calls"], phone.device.name
    assert phone_records(phone, call) == {t: {} for t in FIELD_TABLES}, phone.device.name


def assert_no_pull_listed_an_id_twice(*phones: Phone) -> None:
    for phone in phones:
        assert [duplicated_ids(body) for body in phone.pulls] == [{}] * len(phone.pulls)


class Shift:
    """Times of a shift that began three hours ago, as epoch milliseconds."""

    def __init__(self):
        self.start = timezone.now() - timedelta(hours=3)

    def at(self, minutes: float) -> int:
        return ms(self.start + timedelta(minutes=minutes))


def test_two_clinicians_and_a_second_team_end_the_shift_holding_the_same_records():
    # A team of two on a shift with two calls; a second team of the same provider.
    team = TeamFactory()
    other_team = TeamFactory(provider=team.provider)
    person = PersonFactory(provider=team.provider, given_name="Sam", phone="")
    call = CallFactory(team=team, person=person)
    handed_over = CallFactory(team=team)
    supervisor = SupervisorFactory(provider=team.provider)
    ana = Phone(ClinicianFactory(team=team), "Ana's Pixel")
    ben = Phone(ClinicianFactory(team=team), "Ben's iPhone")
    cy = Phone(ClinicianFactory(team=other_team), "Cy's Pixel")
    for phone in (ana, ben, cy):
        phone.pull()
    shift = Shift()
    person_id = str(person.pk)

    # Offline, each writes on the call: Ana reports the way there, both write notes, Ben
    # records the outcome and clears the call; both start on the second call; both fix the
    # person's details (Ben the name, Ana the phone number).
    ana_events = [
        ana.write("status_events", event_record(call, kind, shift.at(minute)))
        for kind, minute in (
            (EventKind.ACKNOWLEDGED, 1),
            (EventKind.EN_ROUTE, 2),
            (EventKind.ON_SCENE, 20),
        )
    ]
    ana_notes = [
        ana.write("notes", note_record(call, body, shift.at(minute)))
        for body, minute in (("Man sitting in the road; we sat with him.", 21), ("Water.", 33))
    ]
    ben_notes = [
        ben.write("notes", note_record(call, body, shift.at(minute)))
        for body, minute in (("Called his sister.", 25), ("Sister arrived; he went home.", 40))
    ]
    ben.write("outcomes", outcome_record(call, shift.at(50)))
    cleared = ben.write("status_events", event_record(call, EventKind.CLEARED, shift.at(51)))
    ana.write("status_events", event_record(handed_over, EventKind.ACKNOWLEDGED, shift.at(60)))
    ana.write("notes", note_record(handed_over, "Next call: on our way.", shift.at(61)))
    ben.write("notes", note_record(handed_over, "Caller rang back: he left.", shift.at(62)))
    ben.edit("people", person_id, given_name="Samuel")
    ana.edit("people", person_id, phone="555-0100")

    # Ben finds signal first. His clearing arrives before Ana's on-scene event, so the
    # server refuses it for now; his phone keeps it unsynced and sends it again later.
    first = ben.sync(batch_id="ben-1").json()
    assert first["experimentalRejectedIds"] == {"status_events": [cleared["id"]]}
    assert first["rejected"]["status_events"][cleared["id"]]["code"] == "cleared_before_on_scene"
    assert set(ben.pending["status_events"]) == {cleared["id"]}

    # Ana pushes against her morning pull: Ben changed the person since, so 409, nothing kept.
    stale = ana.push(batch_id="ana-1")
    assert stale.status_code == 409
    assert stale.json()["conflicts"] == {"people": [person_id]}
    assert not Note.objects.filter(pk__in=[n["id"] for n in ana_notes]).exists()
    assert not StatusEvent.objects.filter(pk__in=[e["id"] for e in ana_events]).exists()

    # She pulls and pushes again; the server applies it, but the answer never reaches her.
    ana.pull()
    lost = ana.push(batch_id="ana-2", lose_response=True)
    assert lost.status_code == 200
    assert ana.has_pending()
    before = {m.__name__: m.objects.count() for m in (Note, StatusEvent, Outcome)}
    retried = ana.push(batch_id="ana-2")
    assert retried.json() == lost.json() == SyncBatch.objects.get(batch_id="ana-2").response
    assert {m.__name__: m.objects.count() for m in (Note, StatusEvent, Outcome)} == before
    assert not ana.has_pending()

    # Mid-shift the supervisor hands the second call to the other team.
    call_services.assign_call(call=handed_over, team=other_team, assigned_by=supervisor)

    # Everyone syncs; Ben's clearing now follows Ana's on-scene event and is accepted.
    for phone in (ben, cy, ana, ben, cy):
        phone.sync()
    cy.write("notes", note_record(handed_over, "Found him two blocks away.", ms(timezone.now())))
    cy.sync()
    for phone in (ana, ben, cy):
        phone.sync()

    assert not any(p.has_pending() for p in (ana, ben, cy))
    call.refresh_from_db()
    assert call.status == CallStatus.CLEARED
    assert StatusEvent.objects.filter(pk=cleared["id"]).exists()
    server = server_records(call)
    written = {n["id"]: n["body"] for n in ana_notes + ben_notes}
    assert {i: r["body"] for i, r in server["notes"].items()} == written
    assert Note.objects.filter(call=call).count() == len(written)
    assert sorted(r["kind"] for r in server["status_events"].values()) == sorted(
        ["acknowledged", "en_route", "on_scene", "cleared"]
    )
    for phone in (ana, ben):
        assert_phone_holds_what_the_server_holds(phone, call)
        assert_phone_dropped(phone, handed_over)
        assert phone.store["people"][person_id]["given_name"] == "Samuel"
        assert phone.store["people"][person_id]["phone"] == "555-0100"
    assert_phone_holds_what_the_server_holds(cy, handed_over)
    assert_phone_dropped(cy, call)
    assert {r["body"] for r in server_records(handed_over)["notes"].values()} == {
        "Next call: on our way.",
        "Caller rang back: he left.",
        "Found him two blocks away.",
    }
    person.refresh_from_db()
    assert (person.given_name, person.phone) == ("Samuel", "555-0100")
    # The one refusal of the shift is kept, with what Ben's phone sent.
    assert list(QuarantinedRecord.objects.values_list("record_id", flat=True)) == [cleared["id"]]
    assert_no_pull_listed_an_id_twice(ana, ben, cy)


def test_note_written_offline_on_a_call_reassigned_meanwhile_is_kept_in_quarantine():
    team = TeamFactory()
    call = CallFactory(team=team)
    phone = Phone(ClinicianFactory(team=team), "Ana's Pixel")
    phone.pull()
    note = phone.write("notes", note_record(call, "Written in a dead zone.", ms(timezone.now())))
    call_services.assign_call(
        call=call,
        team=TeamFactory(provider=team.provider),
        assigned_by=SupervisorFactory(provider=team.provider),
    )

    response = phone.sync()

    assert response.json()["experimentalRejectedIds"] == {"notes": [note["id"]]}
    assert str(call.pk) not in phone.store["calls"]
    kept = QuarantinedRecord.objects.get(record_id=note["id"])
    assert kept.payload["body"] == "Written in a dead zone."
    assert kept.provider_id == team.provider_id
    assert not Note.objects.filter(pk=note["id"]).exists()


# --- any interleaving of a pair's pushes ---------------------------------------------------------


def pair_records(call, shift: Shift):
    """What each of a pair writes on one call, in the order each writes it."""
    first = [
        ("status_events", event_record(call, EventKind.ACKNOWLEDGED, shift.at(1))),
        ("status_events", event_record(call, EventKind.EN_ROUTE, shift.at(2))),
        ("notes", note_record(call, "First: on the way.", shift.at(3))),
        ("status_events", event_record(call, EventKind.ON_SCENE, shift.at(20))),
        ("notes", note_record(call, "First: he is calm.", shift.at(22))),
        ("notes", note_record(call, "First: shelter has a bed.", shift.at(35))),
    ]
    second = [
        ("notes", note_record(call, "Second: called the shelter.", shift.at(21))),
        ("notes", note_record(call, "Second: he agreed to go.", shift.at(36))),
        ("outcomes", outcome_record(call, shift.at(50))),
        ("status_events", event_record(call, EventKind.CLEARED, shift.at(51))),
    ]
    return first, second


@st.composite
def sync_plans(draw):
    """Each phone's records cut into batches, the order the batches are pushed in, and for
    each push whether the phone pulled first and whether the response is lost."""

    def cuts(count):
        points = draw(st.sets(st.integers(1, count - 1), max_size=3))
        bounds = [0, *sorted(points), count]
        return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]

    first, second = cuts(6), cuts(4)
    order = draw(st.permutations(["first"] * len(first) + ["second"] * len(second)))
    steps = [(who, draw(st.booleans()), draw(st.booleans())) for who in order]
    return {"first": first, "second": second}, steps


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=sync_plans())
def test_any_interleaving_of_a_pairs_pushes_leaves_the_union_on_server_and_phones(plan):
    batches, steps = plan
    team = TeamFactory()
    call = CallFactory(team=team)
    phones = {
        "first": Phone(ClinicianFactory(team=team), "first"),
        "second": Phone(ClinicianFactory(team=team), "second"),
    }
    for phone in phones.values():
        phone.pull()
    records = dict(zip(("first", "second"), pair_records(call, Shift()), strict=True))
    done = {"first": 0, "second": 0}

    for number, (who, pulls_first, response_lost) in enumerate(steps):
        phone = phones[who]
        start, end = batches[who][done[who]]
        done[who] += 1
        for table, record in records[who][start:end]:
            phone.write(table, record)
        if pulls_first:
            phone.pull()
        batch_id = f"{who}-{number}"
        response = phone.push(batch_id=batch_id, lose_response=response_lost)
        # Append-only records never conflict, whatever the cursor.
        assert response.status_code == 200, response.content
        if response_lost:
            assert phone.push(batch_id=batch_id).json() == response.json()

    for _ in range(2):
        for phone in phones.values():
            phone.sync()
    for phone in phones.values():
        phone.pull()

    written = {r["id"]: r for rs in records.values() for _, r in rs}
    server = server_records(call)
    assert set(server["notes"]) | set(server["status_events"]) | set(server["outcomes"]) == set(
        written
    )
    assert {i: r["body"] for i, r in server["notes"].items()} == {
        i: r["body"] for i, r in written.items() if "body" in r
    }
    assert Note.objects.filter(call=call).count() == 5
    assert StatusEvent.objects.filter(call=call).count() == 4
    call.refresh_from_db()
    assert call.status == CallStatus.CLEARED
    for phone in phones.values():
        assert not phone.has_pending()
        assert_phone_holds_what_the_server_holds(phone, call)
    assert_no_pull_listed_an_id_twice(*phones.values())
