"""A push's queries are bounded by its tables and calls, not by its records (issue 14): the
notes of a slice are found, locked, checked and written in a fixed number of statements,
whatever their number and over however many calls (the calls are locked in one query).
tests/test_write_budgets.py holds the exact numbers of each table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Note
from tests.factories import CallFactory
from tests.sync.helpers import (
    SYNC_DB,
    created,
    migration_data,  # noqa: F401  (a fixture)
    minutes_ago_ms,
    note_record,
    push,
    sync_counter,  # noqa: F401  (a fixture)
    team_pair,
)
from umcr.sync import sequence

pytestmark = [SYNC_DB, pytest.mark.usefixtures("sync_counter")]


def statements_of_push(pair, notes: list[dict]) -> int:
    """Statements of one push of `notes` (BEGIN and COMMIT left out), which must apply all."""
    cursor = sequence.current()
    with CaptureQueriesContext(connection) as captured:
        response = push(pair.first.client, created(notes=notes), cursor)
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == len(notes), response.json()["rejected"]
    return len([q for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")])


def notes_on(calls, count: int) -> list[dict]:
    """`count` new notes spread over `calls` in turn."""
    return [
        note_record(calls[n % len(calls)], f"Note {n}.", minutes_ago_ms(60 - n / 10))
        for n in range(count)
    ]


def test_five_notes_and_fifty_notes_on_one_call_cost_the_same_queries():
    pair = team_pair()

    five = statements_of_push(pair, notes_on([pair.call], 5))
    fifty = statements_of_push(pair, notes_on([pair.call], 50))

    assert five == fifty
    assert Note.objects.filter(call=pair.call).count() == 55


def test_notes_on_more_calls_cost_no_query_more_per_call():
    pair = team_pair()
    calls = [pair.call, *CallFactory.create_batch(2, team=pair.team)]

    on_one = statements_of_push(pair, notes_on(calls[:1], 30))
    on_two = statements_of_push(pair, notes_on(calls[:2], 30))
    on_three = statements_of_push(pair, notes_on(calls, 30))

    # The calls of a slice are locked in one SELECT ... FOR UPDATE, in id order.
    assert on_one == on_two == on_three


def test_addenda_cost_one_lookup_of_the_notes_they_amend_not_one_each():
    pair = team_pair()
    plain = statements_of_push(pair, notes_on([pair.call], 10))
    stored = notes_on([pair.call], 10)
    statements_of_push(pair, stored)
    addenda = [
        note_record(pair.call, f"Correction {n}.", minutes_ago_ms(5), amends_id=note["id"])
        for n, note in enumerate(stored)
    ]

    amending = statements_of_push(pair, addenda)

    assert amending == plain + 1
    assert Note.objects.filter(amends__isnull=False).count() == 10
