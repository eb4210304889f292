"""Shared pieces of the sync tests: the two endpoints, raw WatermelonDB records as a phone
writes them, and `Phone`, a small stand-in for a WatermelonDB app (a local store, a cursor,
pending local changes) that syncs through the real HTTP endpoints.

Builds on tests/factories.py; `Phone` asserts only what any client would check (a status).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from calls.choices import CallStatus, Disposition
from calls.models import Call
from responders.models import Device, Responder, Team
from tests.factories import CallFactory, ClinicianFactory, TeamFactory, signed_in_client
from umcr.models import SyncCounter
from umcr.sync.registry import SCHEMA_VERSION

PULL = "/api/v1/sync/pull/"
PUSH = "/api/v1/sync/push/"

TABLES = (
    "calls",
    "status_events",
    "notes",
    "outcomes",
    "backup_requests",
    "people",
    "follow_ups",
    "referrals",
    "services",
    "desk_notes",
    "transports",
    "destination_refusals",
    "check_ins",
    "safety_alerts",
)
OPERATIONS = ("created", "updated", "deleted")


# --- times --------------------------------------------------------------------------------


def ms(moment: datetime) -> int:
    """A time as WatermelonDB stores it: epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def minutes_ago_ms(minutes: float) -> int:
    return ms(timezone.now() - timedelta(minutes=minutes))


# --- requests -----------------------------------------------------------------------------


def cursor_param(value) -> str:
    return "null" if value is None else str(value)


def pull(client: APIClient, last_pulled_at=None, **params):
    """GET the pull endpoint; `params` go to the query string as given."""
    query = {"last_pulled_at": cursor_param(last_pulled_at), "schema_version": SCHEMA_VERSION}
    query.update(params)
    return client.get(PULL, query)


def pull_body(client: APIClient, last_pulled_at=None, **params) -> dict:
    response = pull(client, last_pulled_at, **params)
    assert response.status_code == 200, response.content
    return response.json()


def push(client: APIClient, changes, last_pulled_at, batch_id: str | None = None, **params):
    """POST the push endpoint with `{"changes": changes}`."""
    query = {"last_pulled_at": cursor_param(last_pulled_at), **params}
    if batch_id is not None:
        query["batch_id"] = batch_id
    url = PUSH + "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return client.post(url, {"changes": changes}, format="json")


def changes(**tables) -> dict:
    """A changes object; each table given as {"created": [...], ...} (missing lists empty)."""
    return {name: {op: list(ops.get(op, [])) for op in OPERATIONS} for name, ops in tables.items()}


def created(**tables: Iterable[dict]) -> dict:
    """A changes object that only creates: created(notes=[...], status_events=[...])."""
    return changes(**{name: {"created": records} for name, records in tables.items()})


def ids_of(body: dict, table: str, op: str) -> list[str]:
    """The ids a pull body lists for `table` under `op` (deleted holds ids already)."""
    items = body["changes"][table][op]
    return list(items) if op == "deleted" else [record["id"] for record in items]


def records_of(body: dict, table: str) -> dict[str, dict]:
    """Created and updated records of `table` in a pull body, by id."""
    section = body["changes"][table]
    return {record["id"]: record for op in ("created", "updated") for record in section[op]}


def all_ids(body: dict, table: str) -> list[str]:
    return [i for op in OPERATIONS for i in ids_of(body, table, op)]


def duplicated_ids(body: dict) -> dict[str, list[str]]:
    """Ids listed more than once in a table of a pull body (across created/updated/deleted)."""
    found = {}
    for table in body["changes"]:
        listed = all_ids(body, table)
        twice = sorted({i for i in listed if listed.count(i) > 1})
        if twice:
            found[table] = twice
    return found


# --- raw records as a phone writes them ---------------------------------------------------------


def note_record(call, body: str, written_at: int, note_id=None, amends_id=None) -> dict:
    return {
        "id": str(note_id or uuid.uuid4()),
        "call_id": str(getattr(call, "pk", call)),
        "body": body,
        "written_at": written_at,
        "amends_id": None if amends_id is None else str(amends_id),
    }


def event_record(call, kind: str, occurred_at: int, event_id=None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "call_id": str(getattr(call, "pk", call)),
        "kind": kind,
        "occurred_at": occurred_at,
    }


def outcome_record(
    call,
    occurred_at: int,
    disposition: str = Disposition.RESOLVED_ON_SCENE,
    outcome_id=None,
    supersedes_id=None,
) -> dict:
    return {
        "id": str(outcome_id or uuid.uuid4()),
        "call_id": str(getattr(call, "pk", call)),
        "disposition": disposition,
        "police_involved": False,
        "people_served": 1,
        "summary": "Talked it through; he agreed to a shelter bed.",
        "occurred_at": occurred_at,
        "supersedes_id": None if supersedes_id is None else str(supersedes_id),
    }


def person_record(person_id=None, call=None, **fields) -> dict:
    record = {"id": str(person_id or uuid.uuid4()), "given_name": "Sam", "family_name": "Doe"}
    if call is not None:
        record["call_id"] = str(getattr(call, "pk", call))
    record.update(fields)
    return record


def followup_record(call, not_before: int, due_by: int, followup_id=None, **fields) -> dict:
    record = {
        "id": str(followup_id or uuid.uuid4()),
        "call_id": str(getattr(call, "pk", call)),
        "person_id": None,
        "kind": "visit",
        "purpose": "Check the shelter bed worked out.",
        "not_before": not_before,
        "due_by": due_by,
    }
    record.update(fields)
    return record


def referral_record(call, service, referral_id=None, **fields) -> dict:
    record = {
        "id": str(referral_id or uuid.uuid4()),
        "call_id": str(getattr(call, "pk", call)),
        "person_id": None,
        "service_id": str(getattr(service, "pk", service)),
        "consent_given": True,
        "consent_method": "verbal",
        "notes": "Agreed to a bed tonight.",
    }
    record.update(fields)
    return record


# --- a phone ------------------------------------------------------------------------------------


class Phone:
    """A WatermelonDB-like client of one responder on one signed-in device.

    `store` is the local database {table: {id: record}}; `pending` the local changes not yet
    accepted by the server {table: {id: ("created" | "updated", changed columns)}}. As in
    WatermelonDB: a pull upserts created/updated and removes deleted records, keeping the
    columns changed locally on top; a push sends the pending changes against the cursor;
    records the server refuses (experimentalRejectedIds) stay pending; a 409 keeps all.
    """

    def __init__(self, responder: Responder, name: str = "Test phone"):
        self.responder = responder
        signed_in: tuple[APIClient, str, Device] = signed_in_client(responder, device_name=name)
        self.client, self.token, self.device = signed_in
        self.store: dict[str, dict[str, dict]] = {table: {} for table in TABLES}
        self.pending: dict[str, dict[str, tuple[str, set[str]]]] = {t: {} for t in TABLES}
        self.cursor: int | None = None
        self.pulls: list[dict] = []

    # local writes ---------------------------------------------------------------------------

    def write(self, table: str, record: dict) -> dict:
        """Create a record locally (offline)."""
        self.store[table][record["id"]] = dict(record)
        self.pending[table][record["id"]] = ("created", set(record))
        return record

    def edit(self, table: str, record_id: str, **columns) -> dict:
        """Change columns of a local record (offline)."""
        record = self.store[table][record_id]
        record.update(columns)
        op, changed = self.pending[table].get(record_id, ("updated", set()))
        self.pending[table][record_id] = (op, changed | set(columns))
        return record

    def has_pending(self) -> bool:
        return any(self.pending.values())

    # pull ---------------------------------------------------------------------------------

    def pull(self, limit: int | None = None) -> list[dict]:
        """Pull until the server has no more pages; returns the bodies."""
        bodies = []
        while True:
            params = {} if limit is None else {"limit": limit}
            body = pull_body(self.client, self.cursor, **params)
            self.apply(body)
            bodies.append(body)
            if not body.get("has_more"):
                return bodies

    def apply(self, body: dict) -> None:
        for table, section in body["changes"].items():
            local = self.store.setdefault(table, {})
            for op in ("created", "updated"):
                for record in section[op]:
                    mine = self.pending[table].get(record["id"])
                    merged = dict(record)
                    if mine is not None:
                        # WatermelonDB keeps the columns changed locally since the last push.
                        stored = local.get(record["id"], {})
                        merged.update({c: stored[c] for c in mine[1] if c in stored})
                    local[record["id"]] = merged
            for record_id in section["deleted"]:
                local.pop(record_id, None)
                self.pending[table].pop(record_id, None)
        self.cursor = body["timestamp"]
        self.pulls.append(body)

    # push ---------------------------------------------------------------------------------

    def pending_changes(self) -> dict:
        out = {}
        for table, entries in self.pending.items():
            if not entries:
                continue
            section = {op: [] for op in OPERATIONS}
            for record_id, (op, columns) in entries.items():
                # As WatermelonDB sends it: the whole raw record and its sync bookkeeping.
                record = dict(self.store[table][record_id])
                record["_status"] = op
                record["_changed"] = "" if op == "created" else ",".join(sorted(columns))
                section[op].append(record)
            out[table] = section
        return out

    def push(self, batch_id: str | None = None, lose_response: bool = False):
        """Push the pending changes. With `lose_response` the server applies the push but
        the phone never hears back (its changes stay pending, as after a dropped reply)."""
        response = push(self.client, self.pending_changes(), self.cursor, batch_id=batch_id)
        if lose_response or response.status_code != 200:
            return response
        refused = response.json()["experimentalRejectedIds"]
        for table in list(self.pending):
            kept = set(refused.get(table, []))
            self.pending[table] = {i: v for i, v in self.pending[table].items() if i in kept}
        return response

    def sync(self, batch_id: str | None = None, attempts: int = 3):
        """WatermelonDB's synchronize(): pull, then push; on a 409 pull and push again."""
        response = None
        for _ in range(attempts):
            self.pull()
            if not self.has_pending():
                return response
            response = self.push(batch_id=batch_id)
            if response.status_code != 409:
                assert response.status_code == 200, response.content
                return response
        raise AssertionError(f"Still stale after {attempts} attempts: {response.content!r}")


# --- the database -------------------------------------------------------------------------------

# Every sync test runs in real transactions, as the endpoints do in production: a pull opens
# a REPEATABLE READ snapshot, which fails inside a test's outer transaction (see
# test_sequence.test_pull_inside_a_callers_transaction_answers).
# `available_apps` makes the teardown flush TRUNCATE ... CASCADE: knox's migrations leave a
# knox_authtoken table (its model is swapped for DeviceToken) that references auth_user.
SYNC_DB = pytest.mark.django_db(
    transaction=True, available_apps=[app.name for app in django_apps.get_app_configs()]
)


@pytest.fixture(scope="module")
def migration_data(django_db_setup, django_db_blocker):
    """What the migrations put in the database (the counter row, schedules), kept before a
    module's transactional tests flush every table and put back after them, so tests that
    run later on the same database (and the next --reuse-db run) find it."""
    with django_db_blocker.unblock():
        data = connection.creation.serialize_db_to_string()
    yield data
    with django_db_blocker.unblock():
        if not SyncCounter.objects.exists():
            connection.creation.deserialize_db_from_string(data)


@pytest.fixture
def sync_counter(migration_data, transactional_db):
    """The counter row, which the previous transactional test's flush removed."""
    SyncCounter.objects.get_or_create(id=1, defaults={"value": 0})


# --- people and phones ----------------------------------------------------------------------


@dataclass
class Pair:
    """A team's two clinicians, each on their own phone, and a call assigned to the team."""

    team: Team
    first: Phone
    second: Phone
    call: Call


def closed_call(team: Team, days_ago: float, **fields) -> Call:
    """A call of `team` received `days_ago` days ago and cleared."""
    return CallFactory(
        team=team,
        received_at=timezone.now() - timedelta(days=days_ago),
        status=CallStatus.CLEARED,
        **fields,
    )


def team_pair(team: Team | None = None, **call_fields) -> Pair:
    team = team or TeamFactory()
    first = Phone(ClinicianFactory(team=team), "Pixel of the first")
    second = Phone(ClinicianFactory(team=team), "iPhone of the second")
    return Pair(team=team, first=first, second=second, call=CallFactory(team=team, **call_fields))
