"""A first sync's window is fixed on its first page (umcr.sync.window.Window.anchors): the
ids inside of the calls, people, follow-ups and referrals, found once by the full rules and
kept with its pages, which test membership by id. What changes between the pages comes with
the incremental pull that follows them, so the phone ends where a fresh first sync starts.
Its later pages read only the tables its plan found rows in, and PostgreSQL sends times as
the epoch milliseconds a phone reads."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls import services as call_services
from calls.models import Call, Note
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from tests.factories import (
    DispatcherFactory,
    FollowUpFactory,
    NoteFactory,
    PersonFactory,
    StatusEventFactory,
    SupervisorFactory,
    TeamFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    TABLES,
    Phone,
    all_ids,
    closed_call,
    migration_data,  # noqa: F401  (a fixture)
    pull,
    pull_body,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import SyncPage
from umcr.sync.exits import FIRST_SYNC_KEPT, purge_expired_exits
from umcr.sync.pull import PAGE_CURSOR_BASE
from umcr.sync.registry import epoch_ms
from umcr.sync.window import Ids

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


@pytest.fixture
def history():
    """A pair with an open call, recent closed calls with notes (more than a page), an old
    call outside the window and an old call an open follow-up holds inside it."""
    pair = team_pair(person=PersonFactory())
    for days in range(6):
        call = closed_call(pair.team, days + 0.5, person=PersonFactory())
        NoteFactory(call=call)
        StatusEventFactory(call=call)
    outside = closed_call(pair.team, 60, person=PersonFactory())
    outside_note = NoteFactory(call=outside)
    held = closed_call(pair.team, 50, person=PersonFactory())
    held_note = NoteFactory(call=held)
    holder = FollowUpFactory(call=held, person=held.person)
    return pair, outside, outside_note, held, held_note, holder


def page_of(body: dict) -> SyncPage:
    return SyncPage.objects.get(pk=body["timestamp"] - PAGE_CURSOR_BASE)


def assert_like_a_fresh_first_sync(phone: Phone, pair, settings) -> None:
    """The phone holds what the pair's other phone gets in one unpaged first sync now."""
    settings.SYNC_MAX_PAGE = 10_000
    settings.SYNC_FIRST_SYNC_PAGE = 10_000
    fresh = Phone(pair.second.responder, "fresh")
    fresh.pull()
    assert len(fresh.pulls) == 1
    for table in TABLES:
        assert phone.store[table] == fresh.store[table], table


def test_the_first_page_keeps_the_windows_ids_for_the_pages_after_it(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair, outside, _, held, _, holder = history

    first = pull_body(pair.first.client, None)

    anchors = page_of(first).anchors
    window_calls = set(
        Call.objects.filter(team=pair.team).exclude(pk=outside.pk).values_list("pk", flat=True)
    )
    assert set(anchors["calls"]) == {str(pk) for pk in window_calls}
    assert str(held.person_id) in anchors["people"]
    assert str(outside.person_id) not in anchors["people"]
    assert anchors["follow_ups"] == [str(holder.pk)]
    assert anchors["referrals"] == []
    # Kept once: the pages after it name the first page, until the first sync reaches its
    # snapshot.
    second = pull_body(pair.first.client, first["timestamp"])
    assert second["has_more"] is True
    assert page_of(second).anchors is None
    assert page_of(second).first_page_id == page_of(first).pk


def test_a_first_sync_left_unfinished_for_a_day_starts_again(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair = history[0]
    first = pull_body(pair.first.client, None)
    second = pull_body(pair.first.client, first["timestamp"])
    kept = page_of(first).pk
    SyncPage.objects.filter(pk=kept).update(
        created_at=timezone.now() - FIRST_SYNC_KEPT - timedelta(minutes=1)
    )

    purge_expired_exits()

    assert not SyncPage.objects.filter(pk=kept).exists()
    for cursor in (first["timestamp"], second["timestamp"]):
        response = pull(pair.first.client, cursor)
        assert response.status_code == 409
        assert response.json()["reason"] == "expired"


def test_changes_between_the_pages_leave_the_phone_where_a_fresh_first_sync_starts(
    history, settings
):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair, outside, outside_note, held, held_note, holder = history
    phone = pair.first
    phone.apply(pull_body(phone.client, None))
    assert phone.pulls[-1]["has_more"] is True

    # Between the pages: the old call outside gets a follow-up (it enters the window), the
    # held call's follow-up is done (it leaves), and the open call gets a note.
    FollowUpFactory(call=outside, person=outside.person)
    FollowUp.objects.filter(pk=holder.pk).update(
        status=FollowUpStatus.COMPLETED, closed_at=timezone.now()
    )
    late = NoteFactory(call=pair.call)
    phone.pull()

    assert_like_a_fresh_first_sync(phone, pair, settings)
    assert str(outside_note.pk) in phone.store["notes"]
    assert str(held_note.pk) not in phone.store["notes"]
    assert str(held.pk) not in phone.store["calls"]
    assert str(late.pk) in phone.store["notes"]


def test_later_pages_read_only_the_tables_their_plan_found_rows_in(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair = history[0]
    first = pull_body(pair.first.client, None)

    with CaptureQueriesContext(connection) as captured:
        second = pull_body(pair.first.client, first["timestamp"])

    read = " ".join(query["sql"] for query in captured)
    assert '"calls_note"' in read
    # No check-ins, safety alerts or rides anywhere in this team's window: never asked for.
    assert '"calls_checkin"' not in read
    assert '"calls_safetyalert"' not in read
    assert '"transports_transport"' not in read
    assert all_ids(second, "notes") or all_ids(second, "status_events")


def plan_branches(captured: CaptureQueriesContext) -> list[str]:
    """The branches (one a table) of a first sync's plan: one query (a server-side
    cursor's DECLARE ... FOR SELECT), a UNION ALL in sequence order."""
    plans = [q["sql"] for q in captured if 'AS "sync_table"' in q["sql"]]
    assert len(plans) == 1
    return plans[0].split(" UNION ALL ")


def test_the_plan_counts_every_row_its_anchor_names_so_no_page_is_longer(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair = history[0]
    # The open call's notes go on the first page. The plan reads each anchored table through
    # its anchor alone (no audience joins, no first-page exclusion): it counts them too,
    # which can only make a later page shorter.
    for _ in range(7):
        NoteFactory(call=pair.call)
    phone = pair.first

    connection.queries_log.clear()  # a full log (9,000 queries) would capture nothing
    with CaptureQueriesContext(connection) as captured:
        phone.apply(pull_body(phone.client, None))
    # The plan's read of the notes: its branch of the plan's one query.
    planned = [sql for sql in plan_branches(captured) if 'FROM "calls_note"' in sql]
    phone.pull()

    assert len(planned) == 1
    assert " JOIN " not in planned[0] and "NOT " not in planned[0]
    assert len(all_ids(phone.pulls[0], "notes")) == 7
    later = phone.pulls[1:]
    sizes = [sum(len(all_ids(body, t)) for t in TABLES) for body in later]
    assert all(size <= 5 for size in sizes)
    # The 7 first-page notes were counted: at least as many pages as 7 more records need.
    assert len(later) >= -(-(sum(sizes) + 7) // 5)
    assert_like_a_fresh_first_sync(phone, pair, settings)


def test_the_desks_plan_counts_no_table_it_may_not_read(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    desk = Phone(DispatcherFactory(), "desk")

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        first = pull_body(desk.client, None)
    plan = plan_branches(captured)

    # Its calls are anchored, but it reads no notes: the plan does not stream them.
    assert first["has_more"] is True
    assert page_of(first).anchors["calls"]
    assert any('FROM "calls_call"' in sql for sql in plan)
    assert not any('FROM "calls_note"' in sql for sql in plan)
    assert "notes" not in page_of(first).plan_reads["tables"]


def test_a_call_reassigned_between_the_pages_leaves_the_phone_with_its_records(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair = history[0]
    note = NoteFactory(call=pair.call)
    phone = pair.first
    phone.apply(pull_body(phone.client, None))
    assert str(note.pk) in phone.store["notes"]  # the open call's, on the first page

    other = TeamFactory(provider=pair.team.provider)
    call_services.assign_call(
        call=pair.call, team=other, assigned_by=SupervisorFactory(provider=pair.team.provider)
    )
    phone.pull()

    assert str(pair.call.pk) not in phone.store["calls"]
    assert str(note.pk) not in phone.store["notes"]
    assert_like_a_fresh_first_sync(phone, pair, settings)


def test_a_window_grown_between_the_pages_brings_in_what_it_grew_by(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair, outside, outside_note = history[:3]
    phone = pair.first
    phone.apply(pull_body(phone.client, None))

    settings.SYNC_WINDOW_DAYS = 90  # the 60-day-old call is inside now
    phone.pull()

    assert str(outside.pk) in phone.store["calls"]
    assert str(outside_note.pk) in phone.store["notes"]


def test_a_page_longer_than_a_page_is_streamed_and_arrives_whole(history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5
    pair, outside = history[:2]
    recent = Call.objects.filter(
        team=pair.team, received_at__gte=timezone.now() - timedelta(days=7)
    ).exclude(pk=pair.call.pk)
    # One write stamps one sequence number on every note: more than a page at one number.
    touched = Note.objects.filter(call__in=recent)
    assert touched.touch() > 5
    first = pull_body(pair.first.client, None)

    assert len(page_of(first).plan_reads["streamed"]) == 1
    pages = [first]
    while pages[-1]["has_more"]:
        pages.append(pull_body(pair.first.client, pages[-1]["timestamp"]))
    notes = [i for body in pages for i in all_ids(body, "notes")]
    inside = Note.objects.filter(call__team=pair.team).exclude(call=outside)
    assert sorted(notes) == sorted(str(pk) for pk in inside.values_list("pk", flat=True))
    assert max(len(all_ids(body, "notes")) for body in pages) >= touched.count() > 5


@pytest.mark.parametrize(
    "values",
    [
        ("x",),
        ("97d04a00-76f2-4dcd-9451-28351f2149e1}'; DROP TABLE calls_call; --",),
        ("97D04A00-76F2-4DCD-9451-28351F2149E1",),
        ("97d04a00-76f2-4dcd-9451-28351f2149e197d04a00-76f2-4dcd-9451-28351f2149e1",),
    ],
)
def test_an_anchor_holds_canonical_uuids_only(values):
    with pytest.raises(ValueError):
        _ = Ids(values).literal


def test_an_anchor_literal_is_a_postgresql_array():
    ids = ("97d04a00-76f2-4dcd-9451-28351f2149e1", "256bebb3-338c-4f3f-8117-678243a155b8")
    assert Ids(ids).literal == "{" + ",".join(ids) + "}"
    assert Ids(()).literal == "{}"


def test_times_arrive_as_whole_milliseconds_rounded_down(settings):
    pair = team_pair()
    written = timezone.now().replace(microsecond=123_999) - timedelta(hours=1)
    note = NoteFactory(call=pair.call)
    Note.objects.filter(pk=note.pk).update(occurred_at=written)
    settings.SYNC_MAX_PAGE = 1
    settings.SYNC_FIRST_SYNC_PAGE = 1

    pages = pair.first.pull()

    record = next(r for body in pages for r in records_of(body, "notes").values())
    assert record["written_at"] == epoch_ms(written) == int(written.timestamp() * 1000)
    assert record["written_at"] % 1000 == 123
    assert record["id"] == str(note.pk)
    assert record["call_id"] == str(pair.call.pk)
