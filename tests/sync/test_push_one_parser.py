"""One parser (issue 14): a pushed record is read by the serializer of the REST endpoint that
takes the same record, so the same bad record is refused naming the same fields both ways.

Each case is a REST body with bad values; the pushed record is that body as WatermelonDB
writes it (`<name>` is the column `<name>_id`, a good time is epoch milliseconds, a field
record names its call in `call_id`). The push's rejected record and the REST 400 must name
the same fields: the REST API's names (umcr/sync/parsing.py).
"""

import uuid
from datetime import datetime

import pytest

from calls.api.serializers import PersonInputSerializer
from tests.calls.helpers import backups_url, events_url, iso, minutes_ago, notes_url, outcome_url
from tests.factories import CallFactory, ServiceFactory
from tests.followups.helpers import FOLLOWUPS, REFERRALS, hours_from_now
from tests.sync.helpers import SYNC_DB, created, ms, pull_body, push, team_pair
from umcr.models import QuarantinedRecord

pytestmark = [SYNC_DB]

NUL = "a\x00b"
# The column of each REST field a record names by another name (umcr.sync.parsing.api_name
# read backwards).
COLUMNS = {
    name: f"{name}_id"
    for name in ("call", "person", "service", "assigned_team", "assigned_to", "amends")
}


def as_record(body: dict, call=None) -> dict:
    """A REST body as WatermelonDB writes the record: columns, good times in epoch ms."""
    record = {}
    for name, value in body.items():
        if isinstance(value, datetime):
            value = ms(value)
        record[COLUMNS.get(name, name)] = value
    if call is not None:
        record["call_id"] = str(call.pk)
    return record


def as_json(body: dict) -> dict:
    return {name: iso(v) if isinstance(v, datetime) else v for name, v in body.items()}


def new_id() -> str:
    return str(uuid.uuid4())


# table -> (the REST url for the pair's call or None for the list, the REST body with bad
# values, the fields it must name).
CASES = {
    "notes": (
        notes_url,
        {"id": new_id, "body": "", "written_at": "yesterday", "amends": "not-a-uuid"},
        {"body", "written_at", "amends"},
    ),
    "status_events": (
        events_url,
        {"id": new_id, "kind": "teleported", "occurred_at": 12.5e20},
        {"kind", "occurred_at"},
    ),
    "outcomes": (
        outcome_url,
        {
            "id": new_id,
            "disposition": "vanished",
            "police_involved": "perhaps",
            "people_served": 101,
            "summary": NUL,
            "occurred_at": lambda: minutes_ago(5),
        },
        {"disposition", "police_involved", "people_served", "summary"},
    ),
    "backup_requests": (
        backups_url,
        {"id": new_id, "reason": "bored", "details": "x" * 5_001, "occurred_at": "now"},
        {"reason", "details", "occurred_at"},
    ),
    "follow_ups": (
        None,
        {
            "id": new_id,
            "kind": "carrier_pigeon",
            "not_before": lambda: hours_from_now(24),
            "due_by": "1999-12-31T23:59:59Z",
            "assigned_team": 0,
            "purpose": NUL,
        },
        {"kind", "due_by", "assigned_team", "purpose"},
    ),
    "referrals": (
        None,
        {
            "id": new_id,
            "service": True,
            "consent_given": "nope",
            "consent_method": "telepathy",
            "notes": "x" * 5_001,
        },
        {"service", "consent_given", "consent_method", "notes"},
    ),
}
LISTS = {"follow_ups": FOLLOWUPS, "referrals": REFERRALS}


def body_of(spec: dict) -> dict:
    return {name: value() if callable(value) else value for name, value in spec.items()}


def push_refusal(pair, table: str, record: dict) -> dict:
    cursor = pull_body(pair.first.client, None)["timestamp"]
    response = push(pair.first.client, created(**{table: [record]}), cursor)
    assert response.status_code == 200, response.content
    return response.json()["rejected"][table][record["id"]]


@pytest.mark.parametrize("table", list(CASES))
def test_a_bad_record_names_the_same_fields_pushed_and_posted(table):
    pair = team_pair()
    url, spec, named = CASES[table]
    body = body_of(spec)
    rest_url = url(pair.call) if url is not None else LISTS[table]
    if url is None:
        body["call"] = str(pair.call.pk)  # follow-ups and referrals name their call

    posted = pair.first.client.post(rest_url, as_json(body), format="json")
    refusal = push_refusal(pair, table, as_record(body, call=pair.call if url else None))

    assert posted.status_code == 400, posted.content
    assert set(posted.json()) == named
    assert set(refusal) == named
    assert QuarantinedRecord.objects.filter(record_id=body["id"]).exists()


@pytest.mark.parametrize("table", ["follow_ups", "referrals"])
def test_a_call_out_of_scope_is_named_call_both_ways(table):
    """A rule of the service (the call must be the pusher's), not of the serializer: the
    same name too."""
    pair = team_pair()
    theirs = CallFactory()
    if table == "follow_ups":
        body = {"id": new_id(), "kind": "visit", "purpose": "Check in."}
        body |= {"not_before": hours_from_now(24), "due_by": hours_from_now(48)}
    else:
        body = {"id": new_id(), "service": ServiceFactory().pk, "consent_given": True}
        body |= {"consent_method": "verbal", "notes": ""}
    body["call"] = str(theirs.pk)

    posted = pair.first.client.post(LISTS[table], as_json(body), format="json")
    refusal = push_refusal(pair, table, as_record(body))

    assert posted.status_code == 400, posted.content
    assert set(posted.json()) == set(refusal) == {"call"}


def test_a_bad_person_names_the_fields_its_serializer_names():
    """People have no REST write: the push reads a person with PersonInputSerializer, the
    serializer a REST write of people would take, and names what it names."""
    pair = team_pair()
    record = {
        "id": new_id(),
        "given_name": "x" * 81,
        "birth_date": "1899-12-31",
        "approximate_age": 121,
        "phone": NUL,
        "call_id": "not-a-uuid",
    }
    data = {name[:-3] if name == "call_id" else name: value for name, value in record.items()}
    serializer = PersonInputSerializer(data=data)

    refusal = push_refusal(pair, "people", record)

    assert not serializer.is_valid()
    assert (
        set(refusal)
        == set(serializer.errors)
        == {
            "given_name",
            "birth_date",
            "approximate_age",
            "phone",
            "call",
        }
    )


def test_a_pushed_time_is_epoch_milliseconds_or_iso_8601_as_rest_takes_it():
    pair = team_pair()
    cursor = pull_body(pair.first.client, None)["timestamp"]
    when = minutes_ago(3).replace(microsecond=0)
    records = [
        as_record({"id": new_id(), "body": "In ms.", "written_at": when}, call=pair.call),
        as_record({"id": new_id(), "body": "In ISO.", "written_at": iso(when)}, call=pair.call),
    ]

    response = push(pair.first.client, created(notes=records), cursor)

    assert response.status_code == 200
    assert response.json()["applied"] == 2
