"""Shared pieces of the intake, routing, assignment, figures and dashboard tests: the
endpoints, an intake body as the desk's CAD link sends it, a phone's pull, and calls built
with an exact timeline (status events, outcome) for hand-computed figures.

Builds on tests/factories.py; holds no assertions of its own.
"""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from calls.choices import CallSource, CallType, Disposition, EventKind
from calls.models import Call
from calls.services import refresh_call_state
from responders.models import Division, Responder, Team
from tests.factories import (
    CallFactory,
    OutcomeFactory,
    StatusEventFactory,
    signed_in_client,
)
from umcr.models import SyncCounter
from umcr.sync.registry import SCHEMA_VERSION

INTAKE = "/api/v1/intake/calls/"
METRICS = "/api/v1/metrics/"
PULL = "/api/v1/sync/pull/"
DASHBOARD = "/admin/dashboard/"
CALL_CHANGELIST = "/admin/calls/call/"

# The deployment's zone (settings.TIME_ZONE): periods and coverage days are local days.
LA = ZoneInfo("America/Los_Angeles")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Los Angeles."""
    return datetime(year, month, day, hour, minute, tzinfo=LA)


def assign_url(call: Call | uuid.UUID | str) -> str:
    return f"/api/v1/calls/{getattr(call, 'pk', call)}/assign/"


def client_for(responder: Responder) -> APIClient:
    """An API client signed in as `responder` on a phone of its own (a real token)."""
    return signed_in_client(responder)[0]


def intake_body(division: Division | str, **overrides) -> dict:
    """A valid intake request, as the CAD link sends it, for a call in `division`."""
    body = {
        "source": CallSource.CAD_911,
        "cad_incident_number": f"LAPD-{uuid.uuid4().hex[:10]}",
        "received_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "call_type": CallType.WELFARE_CHECK,
        "priority": 2,
        "division": getattr(division, "code", division),
        "address": "5800 Wilshire Blvd",
        "latitude": "34.062300",
        "longitude": "-118.356400",
        "narrative": "Man sitting in the bus shelter for hours, not responding.",
        "caller_account": "He has been there since this morning.",
        "safety_flags": ["intoxicated"],
        "weapon_reported": False,
        "violence_in_progress": False,
    }
    body.update(overrides)
    return body


# --- a phone's pull -----------------------------------------------------------------------

# A pull is a REPEATABLE READ snapshot, which PostgreSQL cannot start inside a test's outer
# transaction: tests that pull run in real transactions. `available_apps` makes the flush
# after each one TRUNCATE ... CASCADE (knox leaves a table that references auth_user).
# Use with the `sync_counter` fixture (assign it in the test module:
# `sync_counter = routing_helpers.sync_counter`).
SYNC_DB = pytest.mark.django_db(
    transaction=True, available_apps=[app.name for app in django_apps.get_app_configs()]
)


@pytest.fixture(scope="module")
def migration_data(django_db_setup, django_db_blocker):
    """What the migrations put in the database (the sync counter row), kept before the
    transactional tests flush every table and put back after them, for later tests."""
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


def pull(client: APIClient, last_pulled_at: int | None = None) -> dict:
    """GET the sync pull as a phone does; the body, or the failed response raised."""
    response = client.get(
        PULL,
        {
            "last_pulled_at": "null" if last_pulled_at is None else str(last_pulled_at),
            "schema_version": SCHEMA_VERSION,
        },
    )
    if response.status_code != 200:
        raise AssertionError(f"pull answered {response.status_code}: {response.content!r}")
    return response.json()


def pulled_call_ids(body: dict) -> set[str]:
    """The calls a pull created or updated on the phone."""
    section = body["changes"]["calls"]
    return {record["id"] for op in ("created", "updated") for record in section[op]}


def deleted_ids(body: dict, table: str = "calls") -> set[str]:
    return set(body["changes"][table]["deleted"])


# --- calls with an exact timeline -----------------------------------------------------------


def timed_call(
    *,
    team: Team,
    division: Division,
    received_at: datetime,
    response: float | None = None,
    on_scene: float | None = None,
    cleared: bool = True,
    cancelled: bool = False,
    disposition: str = Disposition.RESOLVED_ON_SCENE,
    police_involved: bool = False,
    call_type: str = CallType.WELFARE_CHECK,
    **call_fields,
) -> Call:
    """A call of `team` dispatched two minutes after it was received, on scene `response`
    minutes later, cleared `on_scene` minutes after that (with an outcome), or cancelled.
    Its status and timestamps are derived from those events, as the services do."""
    call = CallFactory(
        team=team,
        division=division,
        received_at=received_at,
        call_type=call_type,
        **call_fields,
    )
    dispatched_at = received_at + timedelta(minutes=2)
    StatusEventFactory(call=call, kind=EventKind.DISPATCHED, occurred_at=dispatched_at)
    if cancelled:
        StatusEventFactory(
            call=call, kind=EventKind.CANCELLED, occurred_at=dispatched_at + timedelta(minutes=5)
        )
    elif response is not None:
        on_scene_at = dispatched_at + timedelta(minutes=response)
        StatusEventFactory(call=call, kind=EventKind.ON_SCENE, occurred_at=on_scene_at)
        if cleared and on_scene is not None:
            cleared_at = on_scene_at + timedelta(minutes=on_scene)
            OutcomeFactory(
                call=call,
                disposition=disposition,
                police_involved=police_involved,
                occurred_at=cleared_at,
            )
            StatusEventFactory(call=call, kind=EventKind.CLEARED, occurred_at=cleared_at)
    return refresh_call_state(call=call)
