"""Pull: what a phone gets from GET /api/v1/sync/pull/ - each record once in its latest state
from one snapshot, records that left its scope as deleted, voided records as deleted, schema
versions and migration syncs, paging with `limit`, a query count that does not grow with the
data, and a 400 (never a 500) naming each bad parameter."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from calls import services as call_services
from calls.choices import EventKind
from calls.models import Note, Person, StatusEvent
from followups import services as followup_services
from responders.services import revoke_device
from tests.factories import (
    CallFactory,
    ClinicianFactory,
    FollowUpFactory,
    NoteFactory,
    OutcomeFactory,
    PersonFactory,
    ReferralFactory,
    ServiceFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    TABLES,
    Phone,
    all_ids,
    created,
    duplicated_ids,
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
from umcr.models import SyncPage
from umcr.sync.pull import PAGE_CURSOR_BASE
from umcr.sync.registry import MIN_SCHEMA_VERSION, SCHEMA_VERSION, registry

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def seq_of(model, record_id) -> int:
    return model.objects.values_list("sync_seq", flat=True).get(pk=record_id)


# --- shape and scope ------------------------------------------------------------------------


def test_first_sync_lists_the_teams_records_as_created_and_nothing_deleted():
    pair = team_pair()
    note = NoteFactory(call=pair.call)
    event = StatusEventFactory(call=pair.call, kind=EventKind.ACKNOWLEDGED)

    body = pull_body(pair.first.client, None)

    assert set(body["changes"]) == set(TABLES)
    assert ids_of(body, "calls", "created") == [str(pair.call.pk)]
    assert ids_of(body, "notes", "created") == [str(note.pk)]
    assert ids_of(body, "status_events", "created") == [str(event.pk)]
    assert all(body["changes"][t]["updated"] == [] for t in TABLES)
    assert all(body["changes"][t]["deleted"] == [] for t in TABLES)
    assert body["has_more"] is False
    assert isinstance(body["timestamp"], int)


def test_pulled_times_are_epoch_milliseconds_and_ids_strings():
    pair = team_pair()
    written = timezone.now().replace(microsecond=123000) - timedelta(minutes=5)
    note = NoteFactory(call=pair.call, occurred_at=written)

    record = records_of(pull_body(pair.first.client, None), "notes")[str(note.pk)]

    assert record["written_at"] == int(written.timestamp() * 1000)
    assert record["call_id"] == str(pair.call.pk)
    assert isinstance(record["recorded_at"], int)


def test_pull_shows_nothing_of_another_team_or_provider():
    pair = team_pair()
    same_provider = CallFactory(team=TeamFactory(provider=pair.team.provider))
    other_provider = CallFactory()
    NoteFactory(call=same_provider)
    NoteFactory(call=other_provider)
    FollowUpFactory(call=other_provider)
    ReferralFactory(call=other_provider)

    body = pull_body(pair.first.client, None)

    assert ids_of(body, "calls", "created") == [str(pair.call.pk)]
    assert body["changes"]["notes"]["created"] == []
    assert body["changes"]["follow_ups"]["created"] == []
    assert body["changes"]["referrals"]["created"] == []
    assert body["changes"]["people"]["created"] == []


def test_supervisor_pulls_the_providers_records_and_nothing_of_another_provider():
    pair = team_pair()
    other_team = CallFactory(team=TeamFactory(provider=pair.team.provider))
    NoteFactory(call=CallFactory())
    supervisor = Phone(SupervisorFactory(provider=pair.team.provider), "Supervisor's tablet")

    body = pull_body(supervisor.client, None)

    assert set(ids_of(body, "calls", "created")) == {str(pair.call.pk), str(other_team.pk)}
    assert body["changes"]["notes"]["created"] == []


def test_services_directory_reaches_every_phone():
    service = ServiceFactory()
    pair = team_pair()

    body = pull_body(pair.first.client, None)

    assert ids_of(body, "services", "created") == [str(service.pk)]


def test_record_changed_many_times_is_pulled_once_in_its_latest_state():
    pair = team_pair()
    person = PersonFactory(provider=pair.team.provider, given_name="Sam")
    pair.call.person = person
    pair.call.save()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    for name in ("Samuel", "Sammy", "Samson"):
        call_services.update_person(
            person=person, responder=pair.first.responder, fields={"given_name": name}
        )
    for minutes, kind in ((30, EventKind.ACKNOWLEDGED), (20, EventKind.EN_ROUTE)):
        call_services.record_status_event(
            call=pair.call,
            responder=pair.first.responder,
            device=pair.first.device,
            kind=kind,
            occurred_at=timezone.now() - timedelta(minutes=minutes),
            event_id=uuid.uuid4(),
        )

    body = pull_body(pair.first.client, cursor)

    assert duplicated_ids(body) == {}
    assert all_ids(body, "people") == [str(person.pk)]
    assert records_of(body, "people")[str(person.pk)]["given_name"] == "Samson"
    assert all_ids(body, "calls") == [str(pair.call.pk)]
    assert records_of(body, "calls")[str(pair.call.pk)]["status"] == "en_route"
    assert len(all_ids(body, "status_events")) == 2


def test_every_pulled_record_was_committed_at_or_before_the_timestamp():
    pair = team_pair()
    notes = [NoteFactory(call=pair.call) for _ in range(3)]
    StatusEventFactory(call=pair.call)

    body = pull_body(pair.first.client, None)

    seqs = [seq_of(Note, i) for i in ids_of(body, "notes", "created")]
    seqs.append(seq_of(StatusEvent, ids_of(body, "status_events", "created")[0]))
    assert len(seqs) == len(notes) + 1
    assert max(seqs) <= body["timestamp"]


def test_pull_from_the_latest_cursor_is_empty():
    pair = team_pair()
    NoteFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    body = pull_body(pair.first.client, cursor)

    assert all(all_ids(body, table) == [] for table in TABLES)
    assert body["timestamp"] == cursor


def test_phone_pulls_back_what_its_partner_pushed_as_created():
    pair = team_pair()
    cursor = pull_body(pair.second.client, None)["timestamp"]
    record = note_record(pair.call, "Calm, accepted water.", minutes_ago_ms(3))
    assert push(pair.first.client, created(notes=[record]), cursor).status_code == 200

    body = pull_body(pair.second.client, cursor)

    assert ids_of(body, "notes", "created") == [record["id"]]
    assert records_of(body, "notes")[record["id"]]["body"] == "Calm, accepted water."


# --- records leaving and entering scope -----------------------------------------------------


@pytest.fixture
def reassigned():
    """Team A's call, with notes, events and an outcome, reassigned to team B (same provider)
    by the provider's supervisor after both teams' phones synced."""
    pair = team_pair()
    call = pair.call
    notes = [NoteFactory(call=call) for _ in range(3)]
    events = [
        StatusEventFactory(call=call, kind=kind)
        for kind in (EventKind.ACKNOWLEDGED, EventKind.EN_ROUTE)
    ]
    outcome = OutcomeFactory(call=call)
    team_b = TeamFactory(provider=pair.team.provider)
    phone_b = Phone(ClinicianFactory(team=team_b), "Team B's phone")
    cursor_a = pull_body(pair.first.client, None)["timestamp"]
    cursor_b = pull_body(phone_b.client, None)["timestamp"]
    supervisor = SupervisorFactory(provider=pair.team.provider)
    call_services.assign_call(call=call, team=team_b, assigned_by=supervisor)
    return {
        "pair": pair,
        "phone_b": phone_b,
        "cursor_a": cursor_a,
        "cursor_b": cursor_b,
        "notes": {str(n.pk) for n in notes},
        "events": {str(e.pk) for e in events},
        "outcome": str(outcome.pk),
    }


def test_reassigned_call_comes_back_deleted_for_the_old_team_with_its_records(reassigned):
    body = pull_body(reassigned["pair"].first.client, reassigned["cursor_a"])

    call_id = str(reassigned["pair"].call.pk)
    assert ids_of(body, "calls", "deleted") == [call_id]
    assert set(ids_of(body, "notes", "deleted")) == reassigned["notes"]
    assert set(ids_of(body, "status_events", "deleted")) == reassigned["events"]
    assert ids_of(body, "outcomes", "deleted") == [reassigned["outcome"]]
    assert all(records_of(body, table) == {} for table in TABLES if table != "services")
    assert duplicated_ids(body) == {}


def test_reassigned_call_reaches_the_new_team_whole_with_its_records(reassigned):
    body = pull_body(reassigned["phone_b"].client, reassigned["cursor_b"])

    call_id = str(reassigned["pair"].call.pk)
    assert list(records_of(body, "calls")) == [call_id]
    assert records_of(body, "calls")[call_id]["team_id"] == str(
        reassigned["phone_b"].responder.team_id
    )
    assert set(records_of(body, "notes")) == reassigned["notes"]
    # The team's own events, and the dispatch to team B that the reassignment records.
    events = records_of(body, "status_events")
    assert reassigned["events"] < set(events)
    assert [e["kind"] for i, e in events.items() if i not in reassigned["events"]] == ["dispatched"]
    assert list(records_of(body, "outcomes")) == [reassigned["outcome"]]
    assert all(body["changes"][t]["deleted"] == [] for t in TABLES)


def test_phone_of_the_new_team_on_a_first_sync_gets_the_reassigned_call(reassigned):
    phone = Phone(ClinicianFactory(team=reassigned["phone_b"].responder.team), "New phone")

    body = pull_body(phone.client, None)

    assert ids_of(body, "calls", "created") == [str(reassigned["pair"].call.pk)]
    assert set(ids_of(body, "notes", "created")) == reassigned["notes"]


def test_call_reassigned_back_reaches_the_first_team_again():
    pair = team_pair()
    note = NoteFactory(call=pair.call)
    team_b = TeamFactory(provider=pair.team.provider)
    supervisor = SupervisorFactory(provider=pair.team.provider)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    call_services.assign_call(call=pair.call, team=team_b, assigned_by=supervisor)
    call_services.assign_call(call=pair.call, team=pair.team, assigned_by=supervisor)

    body = pull_body(pair.first.client, cursor)

    assert duplicated_ids(body) == {}
    assert list(records_of(body, "calls")) == [str(pair.call.pk)]
    assert str(note.pk) in records_of(body, "notes")
    assert body["changes"]["calls"]["deleted"] == []
    assert body["changes"]["notes"]["deleted"] == []


def test_followup_handed_to_another_team_comes_back_deleted_for_the_old_team():
    pair = team_pair()
    person = PersonFactory(provider=pair.team.provider)
    followup = FollowUpFactory(call=None, person=person, provider=pair.team.provider)
    followup.assigned_team = pair.team
    followup.save()
    team_b = TeamFactory(provider=pair.team.provider)
    phone_b = Phone(ClinicianFactory(team=team_b), "Team B's phone")
    cursor_a = pull_body(pair.first.client, None)
    assert ids_of(cursor_a, "follow_ups", "created") == [str(followup.pk)]
    cursor_b = pull_body(phone_b.client, None)["timestamp"]
    supervisor = SupervisorFactory(provider=pair.team.provider)

    followup_services.reassign_followup(followup=followup, responder=supervisor, team_id=team_b.pk)

    body_a = pull_body(pair.first.client, cursor_a["timestamp"])
    assert ids_of(body_a, "follow_ups", "deleted") == [str(followup.pk)]
    assert records_of(body_a, "follow_ups") == {}
    # The pair saw the person only through the visit: the person leaves its phones too.
    assert ids_of(body_a, "people", "deleted") == [str(person.pk)]
    body_b = pull_body(phone_b.client, cursor_b)
    assert list(records_of(body_b, "follow_ups")) == [str(followup.pk)]
    assert records_of(body_b, "follow_ups")[str(followup.pk)]["assigned_team_id"] == str(team_b.pk)


def test_followup_of_the_teams_call_handed_away_stays_with_the_team():
    pair = team_pair()
    followup = FollowUpFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    supervisor = SupervisorFactory(provider=pair.team.provider)
    team_b = TeamFactory(provider=pair.team.provider)

    followup_services.reassign_followup(followup=followup, responder=supervisor, team_id=team_b.pk)

    body = pull_body(pair.first.client, cursor)
    assert body["changes"]["follow_ups"]["deleted"] == []
    assert list(records_of(body, "follow_ups")) == [str(followup.pk)]


def test_followup_handed_to_another_team_brings_its_person_to_the_new_team():
    provider = ClinicianFactory().provider
    person = PersonFactory(provider=provider)
    team_a, team_b = TeamFactory(provider=provider), TeamFactory(provider=provider)
    followup = FollowUpFactory(call=None, person=person, provider=provider)
    followup.assigned_team = team_a
    followup.save()
    phone_b = Phone(ClinicianFactory(team=team_b), "Team B's phone")
    cursor_b = pull_body(phone_b.client, None)["timestamp"]

    followup_services.reassign_followup(
        followup=followup, responder=SupervisorFactory(provider=provider), team_id=team_b.pk
    )

    body = pull_body(phone_b.client, cursor_b)
    assert list(records_of(body, "follow_ups")) == [str(followup.pk)]
    assert list(records_of(body, "people")) == [str(person.pk)]


# --- voided records ---------------------------------------------------------------------------


def void(record, by) -> None:
    record.voided_at = timezone.now()
    record.void_reason = "Written on the wrong call."
    record.voided_by = by
    record.save()


def test_note_voided_on_the_server_comes_back_deleted():
    pair = team_pair()
    kept, voided = NoteFactory(call=pair.call), NoteFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    void(voided, SupervisorFactory(provider=pair.team.provider).user)

    body = pull_body(pair.first.client, cursor)
    assert ids_of(body, "notes", "deleted") == [str(voided.pk)]
    assert records_of(body, "notes") == {}
    assert str(kept.pk) not in all_ids(body, "notes")


def test_voided_note_is_left_out_of_a_first_sync():
    pair = team_pair()
    kept, voided = NoteFactory(call=pair.call), NoteFactory(call=pair.call)
    void(voided, SupervisorFactory(provider=pair.team.provider).user)

    body = pull_body(pair.first.client, None)

    assert ids_of(body, "notes", "created") == [str(kept.pk)]
    assert body["changes"]["notes"]["deleted"] == []


# --- schema versions and migration syncs ------------------------------------------------------


@pytest.mark.parametrize("version", [0, MIN_SCHEMA_VERSION - 1, SCHEMA_VERSION + 1, 99])
def test_unsupported_schema_version_is_refused_with_426_naming_the_supported_range(version):
    phone = team_pair().first

    for response in (
        pull(phone.client, None, schema_version=version),
        phone.client.post(
            f"/api/v1/sync/push/?last_pulled_at=1&schema_version={version}",
            {"changes": {}},
            format="json",
        ),
    ):
        assert response.status_code == 426
        assert response.json()["min_schema_version"] == MIN_SCHEMA_VERSION
        assert response.json()["max_schema_version"] == SCHEMA_VERSION
        assert response.json()["code"] == "unsupported_schema_version"


def test_migration_sync_returns_every_row_of_the_new_table():
    pair = team_pair()
    old_notes = {str(NoteFactory(call=pair.call).pk) for _ in range(3)}
    old_event = StatusEventFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    new_note = str(NoteFactory(call=pair.call).pk)
    migration = json.dumps({"from": 0, "tables": ["notes"], "columns": []})

    body = pull_body(pair.first.client, cursor, migration=migration)

    assert set(records_of(body, "notes")) == old_notes | {new_note}
    assert ids_of(body, "notes", "created") == [new_note]
    assert str(old_event.pk) in records_of(body, "status_events")
    assert duplicated_ids(body) == {}


def test_migration_sync_of_one_new_column_returns_every_row_of_its_table():
    pair = team_pair()
    old_notes = {str(NoteFactory(call=pair.call).pk) for _ in range(2)}
    StatusEventFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    migration = json.dumps(
        {"from": SCHEMA_VERSION, "tables": [], "columns": [{"table": "notes", "columns": ["x"]}]}
    )

    body = pull_body(pair.first.client, cursor, migration=migration)

    assert set(records_of(body, "notes")) == old_notes
    assert records_of(body, "status_events") == {}


def test_migration_null_is_an_ordinary_pull():
    pair = team_pair()
    NoteFactory(call=pair.call)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    body = pull_body(pair.first.client, cursor, migration="null")

    assert all(all_ids(body, table) == [] for table in TABLES)


# --- paging a large first sync -----------------------------------------------------------------


def page_through(phone, limit: int, cursor=None) -> list[dict]:
    pages = []
    for _ in range(200):
        body = pull_body(phone.client, cursor, limit=limit)
        pages.append({"from": cursor, **body})
        cursor = body["timestamp"]
        if not body["has_more"]:
            return pages
    raise AssertionError("Paging did not end.")


def in_scope_ids_between(phone, low, high) -> dict[str, set[str]]:
    """What the phone's scope holds with low < sync_seq <= high, straight from the tables."""
    low = -1 if low is None else low
    return {
        name: {
            str(pk)
            for pk in table.model.objects.filter(table.audience(phone.responder))
            .filter(sync_seq__gt=low, sync_seq__lte=high)
            .values_list("pk", flat=True)
        }
        for name, table in registry.items()
        if table.pulled  # push-only tables hold no synced rows
    }


@pytest.fixture
def busy_team():
    """A team with a shift's worth of records over several calls, and a person."""
    pair = team_pair()
    ServiceFactory()
    for index in range(4):
        call = pair.call if index == 0 else CallFactory(team=pair.team)
        for _ in range(4):
            NoteFactory(call=call)
        StatusEventFactory(call=call, kind=EventKind.ACKNOWLEDGED)
        call.person = PersonFactory(provider=pair.team.provider)
        call.save()
    FollowUpFactory(call=pair.call)
    return pair


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_paged_first_sync_has_every_record_once_and_equals_the_unpaged_pull(busy_team, limit):
    phone = busy_team.first
    whole = pull_body(phone.client, None)

    pages = page_through(phone, limit)

    assert len(pages) > 1
    for table in TABLES:
        paged = [i for page in pages for i in all_ids(page, table)]
        assert len(paged) == len(set(paged)), table
        assert set(paged) == set(all_ids(whole, table)), table
        merged = {}
        for page in pages:
            merged.update(records_of(page, table))
        assert merged == records_of(whole, table), table
    assert pages[-1]["timestamp"] == whole["timestamp"]


def position(cursor):
    """The sequence number a page's cursor reached (a page with more to come answers an
    opaque SyncPage cursor; the last page a sequence number)."""
    if cursor is None or cursor < PAGE_CURSOR_BASE:
        return cursor
    return SyncPage.objects.get(pk=cursor - PAGE_CURSOR_BASE).position


def test_each_page_is_the_consistent_prefix_up_to_its_timestamp(busy_team):
    """A first sync larger than a page sends the open calls and theirs first (their own
    page); every page after it is the consistent prefix up to the position it reached, less
    what the first page sent."""
    phone = busy_team.first

    pages = page_through(phone, 4)

    first_page = {table: set(all_ids(pages[0], table)) for table in TABLES}
    assert first_page["calls"] == {str(busy_team.call.pk), *first_page["calls"]}
    for page in pages[1:]:
        low, high = position(page["from"]), position(page["timestamp"])
        expected = in_scope_ids_between(phone, None if low == -1 else low, high)
        for table in TABLES:
            assert set(all_ids(page, table)) == expected[table] - first_page[table], (table, high)
    positions = [position(page["timestamp"]) for page in pages[1:]]
    assert positions == sorted(set(positions))


def test_paged_incremental_pull_carries_the_departures_of_a_reassignment():
    pair = team_pair()
    notes = {str(NoteFactory(call=pair.call).pk) for _ in range(3)}
    cursor = pull_body(pair.first.client, None)["timestamp"]
    other = CallFactory(team=pair.team)
    kept = {str(NoteFactory(call=other).pk) for _ in range(3)}
    supervisor = SupervisorFactory(provider=pair.team.provider)
    call_services.assign_call(
        call=pair.call, team=TeamFactory(provider=pair.team.provider), assigned_by=supervisor
    )

    pages = page_through(pair.first, 2, cursor)

    deleted = [i for page in pages for i in ids_of(page, "notes", "deleted")]
    pulled = [i for page in pages for i in records_of(page, "notes")]
    assert sorted(deleted) == sorted(notes)
    assert sorted(pulled) == sorted(kept)


def test_paged_pull_keeps_rows_written_under_one_sequence_number_together():
    pair = team_pair()
    notes = {str(NoteFactory(call=pair.call).pk) for _ in range(8)}
    # One statement re-stamps them all with one number, as a reassignment does.
    Note.objects.filter(call=pair.call).touch()

    pages = page_through(pair.first, 3)

    pulled = [i for page in pages for i in records_of(page, "notes")]
    assert sorted(pulled) == sorted(notes)


def test_paged_pull_sends_every_departure_of_a_call_with_many_notes():
    pair = team_pair()
    notes = {str(NoteFactory(call=pair.call).pk) for _ in range(8)}
    cursor = pull_body(pair.first.client, None)["timestamp"]
    supervisor = SupervisorFactory(provider=pair.team.provider)
    call_services.assign_call(
        call=pair.call, team=TeamFactory(provider=pair.team.provider), assigned_by=supervisor
    )

    pages = page_through(pair.first, 3, cursor)

    deleted = [i for page in pages for i in ids_of(page, "notes", "deleted")]
    assert sorted(deleted) == sorted(notes)


# --- query count ------------------------------------------------------------------------------


def fill(pair, calls: int) -> None:
    person = PersonFactory(provider=pair.team.provider)
    for _ in range(calls):
        call = CallFactory(team=pair.team, person=person)
        NoteFactory(call=call)
        NoteFactory(call=call)
        StatusEventFactory(call=call)
        OutcomeFactory(call=call)
        FollowUpFactory(call=call, person=person)
        ReferralFactory(call=call, person=person)


def counted_pull(phone, cursor, django_assert_max_num_queries) -> tuple[int, dict]:
    # Per table: the sequence numbers that decide the page, its rows, and (incremental) the
    # rows that left the window, these two in two steps each on an incremental pull (the
    # ids written or moved since the cursor, then the window's rule on those rows:
    # umcr.sync.pull._passing); the departures, and a fixed few: the token, the window's mark
    # (read; written once a day) and marks, the responder's scope as the snapshot sees it,
    # the cursor, BEGIN/COMMIT; the access log.
    per_table = 3 if cursor is None else 5
    with django_assert_max_num_queries(per_table * len(TABLES) + 10) as captured:
        body = pull_body(phone.client, cursor)
    return len(captured), body


def test_pull_query_count_does_not_grow_with_the_records(django_assert_max_num_queries):
    small, large = team_pair(), team_pair()
    fill(small, 2)
    fill(large, 20)
    pull_body(small.first.client, None)  # the phones' first requests touch last_seen_at
    pull_body(large.first.client, None)

    small_count, small_body = counted_pull(small.first, None, django_assert_max_num_queries)
    large_count, large_body = counted_pull(large.first, None, django_assert_max_num_queries)

    assert len(all_ids(large_body, "notes")) == 10 * len(all_ids(small_body, "notes"))
    assert small_count == large_count


def test_incremental_pull_query_count_does_not_grow_with_the_changes(
    django_assert_max_num_queries,
):
    small, large = team_pair(), team_pair()
    cursors = [pull_body(p.first.client, None)["timestamp"] for p in (small, large)]
    fill(small, 2)
    fill(large, 20)
    supervisor = SupervisorFactory(provider=large.team.provider)
    call_services.assign_call(
        call=large.call, team=TeamFactory(provider=large.team.provider), assigned_by=supervisor
    )
    call_services.assign_call(
        call=small.call,
        team=TeamFactory(provider=small.team.provider),
        assigned_by=SupervisorFactory(provider=small.team.provider),
    )

    small_count, small_body = counted_pull(small.first, cursors[0], django_assert_max_num_queries)
    large_count, large_body = counted_pull(large.first, cursors[1], django_assert_max_num_queries)

    assert len(all_ids(large_body, "notes")) == 10 * len(all_ids(small_body, "notes"))
    assert ids_of(large_body, "calls", "deleted") == [str(large.call.pk)]
    assert small_count == large_count


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"last_pulled_at": "abc"}, "last_pulled_at"),
        ({"last_pulled_at": "1.5"}, "last_pulled_at"),
        ({"last_pulled_at": "-1"}, "last_pulled_at"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"schema_version": "abc"}, "schema_version"),
        ({"migration": "notjson"}, "migration"),
        ({"migration": "[1, 2]"}, "migration"),
        ({"migration": '{"tables": ["notes"]}'}, "migration"),
    ],
)
def test_bad_pull_parameter_is_a_400_naming_it(params, named):
    phone = team_pair().first
    phone.client.raise_request_exception = False
    query = {"last_pulled_at": "null", "schema_version": SCHEMA_VERSION, **params}

    response = phone.client.get("/api/v1/sync/pull/", query)

    assert response.status_code == 400
    assert named in response.json()


@pytest.mark.parametrize(
    "migration",
    [
        {"from": 0, "tables": [], "columns": ["notes"]},
        {"from": 0, "tables": 5, "columns": []},
        {"from": True, "tables": ["notes"], "columns": []},
        {"from": 1.5, "tables": [], "columns": []},
    ],
)
def test_malformed_migration_is_a_400_naming_it(migration):
    phone = team_pair().first
    phone.client.raise_request_exception = False

    response = pull(phone.client, 1, migration=json.dumps(migration))

    assert response.status_code == 400
    assert "migration" in response.json()


def test_cursor_beyond_the_server_sequence_is_not_a_500():
    phone = team_pair().first
    phone.client.raise_request_exception = False

    response = pull(phone.client, 10**30)

    assert response.status_code in (200, 400)


# --- revoked devices ---------------------------------------------------------------------------


def test_revoked_device_cannot_pull_or_push_at_once():
    pair = team_pair()
    phone = pair.first
    cursor = pull_body(phone.client, None)["timestamp"]

    supervisor = SupervisorFactory(provider=pair.team.provider)
    revoke_device(device=phone.device, revoked_by=supervisor.user)

    assert pull(phone.client, cursor).status_code == 401
    record = note_record(pair.call, "Written on a lost phone.", minutes_ago_ms(1))
    assert push(phone.client, created(notes=[record]), cursor).status_code == 401
    assert not Note.objects.filter(pk=record["id"]).exists()
    # The partner's phone keeps working.
    assert pull(pair.second.client, cursor).status_code == 200


def test_person_of_a_call_reaches_the_team():
    pair = team_pair()
    person = PersonFactory(provider=pair.team.provider)
    pair.call.person = person
    pair.call.save()

    body = pull_body(pair.first.client, None)

    assert ids_of(body, "people", "created") == [str(person.pk)]
    assert Person.objects.count() == 1


def test_calls_carry_their_program_and_a_phone_on_schema_1_gets_it_by_a_migration_sync():
    pair = team_pair()
    first = pull_body(pair.first.client, None)
    migration = json.dumps(
        {"from": 1, "tables": [], "columns": [{"table": "calls", "columns": ["program_id"]}]}
    )

    body = pull_body(pair.first.client, first["timestamp"], schema_version=2, migration=migration)

    program = str(pair.call.program_id)  # ids go as strings, as WatermelonDB keeps them
    assert records_of(first, "calls")[str(pair.call.pk)]["program_id"] == program
    # Nothing changed since the cursor, yet the calls come again, now with their program.
    assert records_of(body, "calls")[str(pair.call.pk)]["program_id"] == program
    assert records_of(body, "notes") == {}
