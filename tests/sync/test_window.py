"""The sync window (umcr/sync/window.py): a phone holds its open calls, the last
SYNC_WINDOW_DAYS days and what open follow-ups and referrals point at, with their records.
A record leaving the window - by a write, or by time passing alone - reaches the phone as a
delete of its copy (the server keeps it); it comes back if it re-enters.

Time passing is played by shrinking SYNC_WINDOW_DAYS between pulls: the window's start moves
forward exactly as it does at midnight (a new mark, no write to any record)."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from calls.choices import CallStatus
from calls.models import Call
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from tests.factories import (
    CallFactory,
    FollowUpFactory,
    NoteFactory,
    PersonFactory,
    ReferralFactory,
    StatusEventFactory,
)
from tests.sync.helpers import (
    SYNC_DB,
    TABLES,
    all_ids,
    closed_call,
    ids_of,
    migration_data,  # noqa: F401  (a fixture)
    pull_body,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.models import SyncCounter
from umcr.sync.window import NOTHING, terms

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def test_first_sync_holds_open_recent_and_held_calls_not_old_closed_ones():
    pair = team_pair()
    recent = closed_call(pair.team, 3)
    old = closed_call(pair.team, 60)
    old_open = CallFactory(team=pair.team, received_at=timezone.now() - timedelta(days=60))
    held = closed_call(pair.team, 90, person=PersonFactory(provider=pair.team.provider))
    followup = FollowUpFactory(call=held)
    old_note, held_note = NoteFactory(call=old), NoteFactory(call=held)

    body = pull_body(pair.first.client, None)

    calls = set(ids_of(body, "calls", "created"))
    assert calls == {str(c.pk) for c in (pair.call, recent, old_open, held)}
    notes = set(ids_of(body, "notes", "created"))
    assert str(held_note.pk) in notes and str(old_note.pk) not in notes
    assert str(held.person_id) in ids_of(body, "people", "created")
    assert ids_of(body, "follow_ups", "created") == [str(followup.pk)]


def test_call_aging_out_with_no_write_is_deleted_on_the_phone_and_kept(settings):
    pair = team_pair()
    aging = closed_call(pair.team, 10)
    note = NoteFactory(call=aging)
    event = StatusEventFactory(call=aging)
    cursor = pull_body(pair.first.client, None)["timestamp"]
    stamped = Call.objects.get(pk=aging.pk).sync_seq

    settings.SYNC_WINDOW_DAYS = 5  # ten days pass: the start moves past the call
    body = pull_body(pair.first.client, cursor)

    assert ids_of(body, "calls", "deleted") == [str(aging.pk)]
    assert ids_of(body, "notes", "deleted") == [str(note.pk)]
    assert ids_of(body, "status_events", "deleted") == [str(event.pk)]
    assert str(pair.call.pk) not in all_ids(body, "calls")  # the open call stays
    # No write to the call: time alone took it out; the server keeps it.
    assert Call.objects.get(pk=aging.pk).sync_seq == stamped
    # Said once: the next pull is empty.
    again = pull_body(pair.first.client, body["timestamp"])
    assert all_ids(again, "calls") == [] and all_ids(again, "notes") == []


def test_follow_up_scheduled_on_an_old_call_brings_it_back_and_closing_it_takes_it_away():
    pair = team_pair()
    old = closed_call(pair.team, 45, person=PersonFactory(provider=pair.team.provider))
    note = NoteFactory(call=old)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    followup = FollowUpFactory(call=old, person=old.person)
    back = pull_body(pair.first.client, cursor)

    assert str(old.pk) in ids_of(back, "calls", "updated")
    assert str(note.pk) in ids_of(back, "notes", "updated")
    assert str(old.person_id) in all_ids(back, "people")
    assert ids_of(back, "follow_ups", "created") == [str(followup.pk)]

    FollowUp.objects.filter(pk=followup.pk).update(
        status=FollowUpStatus.COMPLETED, closed_at=timezone.now()
    )
    away = pull_body(pair.first.client, back["timestamp"])

    assert ids_of(away, "calls", "deleted") == [str(old.pk)]
    assert ids_of(away, "notes", "deleted") == [str(note.pk)]


def test_open_referral_keeps_an_old_call_in_the_window():
    pair = team_pair()
    old = closed_call(pair.team, 45)
    ReferralFactory(call=old, person=PersonFactory(provider=pair.team.provider))

    body = pull_body(pair.first.client, None)

    assert str(old.pk) in ids_of(body, "calls", "created")


def test_old_call_reopened_comes_back_with_its_records():
    pair = team_pair()
    old = closed_call(pair.team, 45)
    note = NoteFactory(call=old)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    Call.objects.filter(pk=old.pk).update(status=CallStatus.ON_SCENE)  # stamped: a write
    body = pull_body(pair.first.client, cursor)

    assert str(old.pk) in all_ids(body, "calls")
    assert str(note.pk) in ids_of(body, "notes", "updated")


def test_open_old_call_closing_leaves_the_phone():
    pair = team_pair()
    old_open = CallFactory(team=pair.team, received_at=timezone.now() - timedelta(days=50))
    note = NoteFactory(call=old_open)
    cursor = pull_body(pair.first.client, None)["timestamp"]

    Call.objects.filter(pk=old_open.pk).update(status=CallStatus.CLEARED)
    body = pull_body(pair.first.client, cursor)

    assert ids_of(body, "calls", "deleted") == [str(old_open.pk)]
    assert ids_of(body, "notes", "deleted") == [str(note.pk)]


def test_window_off_sends_the_whole_history(settings):
    settings.SYNC_WINDOW_DAYS = 0
    pair = team_pair()
    old = closed_call(pair.team, 400)

    body = pull_body(pair.first.client, None)

    assert str(old.pk) in ids_of(body, "calls", "created")


def test_history_beyond_the_window_stays_on_the_rest_api():
    pair = team_pair()
    old = closed_call(pair.team, 60)
    before = (timezone.now() - timedelta(days=30)).isoformat()

    response = pair.first.client.get("/api/v1/calls/", {"received_before": before})

    assert response.status_code == 200, response.content
    listed = response.json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [str(old.pk)]
    assert pair.first.client.get("/api/v1/calls/", {"received_before": "soon"}).status_code == 400


def test_pull_query_count_with_records_leaving_does_not_grow_with_them(
    settings, django_assert_max_num_queries
):
    counts = []
    for size in (1, 10):
        pair = team_pair()
        for _ in range(size):
            NoteFactory(call=closed_call(pair.team, 10))
        cursor = pull_body(pair.first.client, None)["timestamp"]
        settings.SYNC_WINDOW_DAYS = 5
        # A few queries per synced table: was 40 for 9 tables (2 each windowed table).
        with django_assert_max_num_queries(4 * len(TABLES) + 4) as captured:
            body = pull_body(pair.first.client, cursor)
        assert len(ids_of(body, "calls", "deleted")) == size
        counts.append(len(captured))
        settings.SYNC_WINDOW_DAYS = 30
    assert counts[0] == counts[1]
    assert SyncCounter.objects.get().value > 0


def test_a_moved_rule_splits_into_terms_with_no_or_left_in_them():
    # Each term is its own UNION branch of a pull (umcr.sync.pull.branches): an OR inside
    # one made PostgreSQL scan every call for a follow-up's "its call moved".
    held = Q(call__isnull=False)
    aged = Q(updated_at__lt=timezone.now())
    rule = aged | held & (NOTHING | Q(pk__in=[1]) | Q(sync_seq__gt=5))
    negated = ~(Q(status="a") | Q(status="b"))

    found = terms(rule)

    assert found == [
        aged,
        Q(*held.children, Q(pk__in=[1])),
        Q(*held.children, Q(sync_seq__gt=5)),
    ]
    assert terms(NOTHING) == []
    assert terms(negated) == [negated]
