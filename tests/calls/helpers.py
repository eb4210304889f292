"""Shared pieces of the calls API tests: the endpoints, request bodies as a phone sends
them, and a team's pair of clinicians signed in on their own phones.

Builds on tests/factories.py; holds no assertions of its own.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from calls.choices import Disposition
from calls.models import Call
from responders.models import Device, Responder, Team
from tests.factories import CallFactory, ClinicianFactory, TeamFactory, signed_in_client

CALLS = "/api/v1/calls/"
BACKUP_REQUESTS = "/api/v1/backup-requests/"
NOTIFICATIONS = "/api/v1/notifications/"
LOGIN = "/api/v1/auth/login/"


def call_url(call: Call | uuid.UUID | str, tail: str = "") -> str:
    call_id = call.pk if isinstance(call, Call) else call
    return f"{CALLS}{call_id}/{tail}"


def events_url(call) -> str:
    return call_url(call, "events/")


def notes_url(call) -> str:
    return call_url(call, "notes/")


def outcome_url(call) -> str:
    return call_url(call, "outcome/")


def backups_url(call) -> str:
    return call_url(call, "backup-requests/")


def backup_status_url(backup) -> str:
    return f"{BACKUP_REQUESTS}{getattr(backup, 'pk', backup)}/status/"


# --- times --------------------------------------------------------------------------------


def minutes_ago(minutes: float) -> datetime:
    return timezone.now() - timedelta(minutes=minutes)


def iso(moment: datetime) -> str:
    return moment.isoformat()


# --- bodies as a phone sends them -------------------------------------------------------------


def event_body(kind: str, occurred_at: datetime, event_id: uuid.UUID | None = None) -> dict:
    return {"id": str(event_id or uuid.uuid4()), "kind": kind, "occurred_at": iso(occurred_at)}


def note_body(
    body: str,
    written_at: datetime,
    note_id: uuid.UUID | None = None,
    amends: uuid.UUID | str | None = None,
) -> dict:
    data = {"id": str(note_id or uuid.uuid4()), "body": body, "written_at": iso(written_at)}
    if amends is not None:
        data["amends"] = str(amends)
    return data


def outcome_body(
    occurred_at: datetime,
    disposition: str = Disposition.RESOLVED_ON_SCENE,
    outcome_id: uuid.UUID | None = None,
    supersedes: uuid.UUID | str | None = None,
    police_involved: bool = False,
    people_served: int = 1,
    summary: str = "Talked it through; he went inside to sleep.",
) -> dict:
    data = {
        "id": str(outcome_id or uuid.uuid4()),
        "disposition": disposition,
        "police_involved": police_involved,
        "people_served": people_served,
        "summary": summary,
        "occurred_at": iso(occurred_at),
    }
    if supersedes is not None:
        data["supersedes"] = str(supersedes)
    return data


def backup_body(
    occurred_at: datetime,
    reason: str = "weapon_seen",
    details: str = "Knife in his waistband; we stepped back to the van.",
    request_id: uuid.UUID | None = None,
) -> dict:
    return {
        "id": str(request_id or uuid.uuid4()),
        "reason": reason,
        "details": details,
        "occurred_at": iso(occurred_at),
    }


def post(client: APIClient, url: str, body) -> object:
    return client.post(url, body, format="json")


# --- people and phones ---------------------------------------------------------------------


@dataclass
class Phone:
    """A responder signed in on a device through the real sign-in service."""

    responder: Responder
    client: APIClient
    device: Device


def phone_of(responder: Responder, device_name: str = "Test phone") -> Phone:
    client, _, device = signed_in_client(responder, device_name=device_name)
    return Phone(responder=responder, client=client, device=device)


@dataclass
class Pair:
    """A team of two clinicians, each signed in on their own phone, and a call of theirs."""

    team: Team
    first: Phone
    second: Phone
    call: Call


def team_pair(**call_fields) -> Pair:
    team = TeamFactory()
    first = ClinicianFactory(team=team)
    second = ClinicianFactory(team=team)
    call = CallFactory(team=team, **call_fields)
    return Pair(
        team=team,
        first=phone_of(first, "Pixel of the first"),
        second=phone_of(second, "iPhone of the second"),
        call=call,
    )
