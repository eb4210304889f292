"""Open calls first, and paging as the rule: a first sync larger than a page sends the
team's open calls with their person and records on its first page, then everything else in
pages of at most SYNC_FIRST_SYNC_PAGE records (the window's download), then whatever was
written meanwhile in pages of at most SYNC_MAX_PAGE; over all pages each record arrives
exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from calls.choices import CallStatus
from tests.factories import (
    BackupRequestFactory,
    CallFactory,
    NoteFactory,
    PersonFactory,
    ServiceFactory,
    StatusEventFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    TABLES,
    all_ids,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    pull_body,
    records_of,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.sync.pull import PAGE_CURSOR_BASE

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


@pytest.fixture
def team_with_history():
    """Two open calls with a person, events, notes and a backup request, among more
    closed calls of the last days than a page holds."""
    pair = team_pair(person=None)
    ServiceFactory()
    open_calls = [pair.call, CallFactory(team=pair.team)]
    mine = {"calls": set(), "notes": set(), "status_events": set(), "people": set()}
    mine["backup_requests"] = set()
    for call in open_calls:
        call.person = PersonFactory(provider=pair.team.provider)
        call.save()
        mine["calls"].add(str(call.pk))
        mine["people"].add(str(call.person_id))
        mine["notes"] |= {str(NoteFactory(call=call).pk) for _ in range(2)}
        mine["status_events"].add(str(StatusEventFactory(call=call).pk))
        mine["backup_requests"].add(str(BackupRequestFactory(call=call).pk))
    for days in range(12):
        closed = CallFactory(
            team=pair.team,
            received_at=timezone.now() - timedelta(days=days, hours=1),
            status=CallStatus.CLEARED,
        )
        NoteFactory(call=closed)
    return pair, mine


def page_through(client, cursor=None, **params) -> list[dict]:
    pages = []
    for _ in range(100):
        body = pull_body(client, cursor, **params)
        pages.append(body)
        cursor = body["timestamp"]
        if not body["has_more"]:
            return pages
    raise AssertionError("Paging did not end.")


def test_first_page_holds_the_open_calls_with_their_person_and_records(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 10
    settings.SYNC_FIRST_SYNC_PAGE = 10
    pair, mine = team_with_history

    first = pull_body(pair.first.client, None)

    assert first["has_more"] is True
    assert isinstance(first["timestamp"], int) and first["timestamp"] >= PAGE_CURSOR_BASE
    for table, expected in mine.items():
        assert set(ids_of(first, table, "created")) == expected, table
    assert all_ids(first, "services") == []


def test_every_record_arrives_exactly_once_over_all_pages(team_with_history, settings):
    pair, _ = team_with_history
    settings.SYNC_MAX_PAGE = 10_000
    settings.SYNC_FIRST_SYNC_PAGE = 10_000
    whole = pull_body(pair.second.client, None)
    assert whole["has_more"] is False
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 5

    pages = page_through(pair.first.client)

    assert len(pages) > 3
    for page in pages[1:]:
        assert sum(len(all_ids(page, t)) for t in TABLES) <= 5
    for table in TABLES:
        listed = [i for page in pages for i in all_ids(page, table)]
        assert len(listed) == len(set(listed)), table
        assert set(listed) == set(all_ids(whole, table)), table
        merged = {}
        for page in pages:
            merged.update(records_of(page, table))
        assert merged == records_of(whole, table), table
    assert pages[-1]["timestamp"] == whole["timestamp"] < PAGE_CURSOR_BASE


def test_a_note_written_between_pages_is_not_lost(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 10
    settings.SYNC_FIRST_SYNC_PAGE = 10
    pair, _ = team_with_history
    first = pull_body(pair.first.client, None)

    late = NoteFactory(call=pair.call)
    pages = [first, *page_through(pair.first.client, first["timestamp"])]

    listed = [i for page in pages for i in all_ids(page, "notes")]
    assert listed.count(str(late.pk)) == 1


def test_a_limit_smaller_than_the_servers_page_is_kept(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 50
    settings.SYNC_FIRST_SYNC_PAGE = 50
    pair, _ = team_with_history

    pages = page_through(pair.first.client, limit=3)

    for page in pages[1:]:
        assert sum(len(all_ids(page, t)) for t in TABLES) <= 3


def test_an_unknown_page_cursor_is_told_to_resync():
    pair = team_pair()

    response = pair.first.client.get(
        "/api/v1/sync/pull/", {"last_pulled_at": PAGE_CURSOR_BASE + 999_999}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "resync_required"
    assert response.json()["reason"] == "expired"


def test_another_responders_page_cursor_is_not_theirs(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 10
    settings.SYNC_FIRST_SYNC_PAGE = 10
    pair, _ = team_with_history
    cursor = pull_body(pair.first.client, None)["timestamp"]

    response = pair.second.client.get("/api/v1/sync/pull/", {"last_pulled_at": cursor})

    assert response.status_code == 409


def page_sizes(pages: list[dict]) -> list[int]:
    return [sum(len(all_ids(page, t)) for t in TABLES) for page in pages]


def test_a_first_syncs_download_comes_in_pages_of_the_first_sync_page(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 12
    pair, _ = team_with_history
    first = pull_body(pair.first.client, None)
    # Written after the first page: it comes after the download, in pages of SYNC_MAX_PAGE.
    for _ in range(8):
        NoteFactory(call=pair.call)

    pages = page_through(pair.first.client, first["timestamp"])

    sizes = page_sizes(pages)
    planned = [size for page, size in zip(pages, sizes, strict=True) if page["has_more"]]
    assert max(planned) > 5 and all(size <= 12 for size in planned)
    # The download ends at the first page's snapshot; the notes written since follow it.
    tail = pages[[i for i, size in enumerate(sizes) if size > 5][-1] + 1 :]
    assert sum(len(all_ids(page, "notes")) for page in tail) >= 8
    assert all(size <= 5 for size in page_sizes(tail))


def test_a_phones_limit_bounds_the_download_too(team_with_history, settings):
    settings.SYNC_MAX_PAGE = 5
    settings.SYNC_FIRST_SYNC_PAGE = 12

    pages = page_through(team_with_history[0].first.client, limit=3)

    assert len(pages) > 4
    assert all(size <= 3 for size in page_sizes(pages[1:]))
