"""Shared pieces of the follow-up, referral and person-page tests: the endpoints, times
relative to now, one provider's staff signed in on their own devices, and the admin's
action posts.

Builds on tests/factories.py; holds no assertions of its own.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from calls.models import Call, Person
from followups.choices import FollowUpStatus
from followups.models import FollowUp
from referrals.choices import ReferralStatus
from referrals.models import Referral
from responders.models import Division, Provider, Responder, Team
from tests.factories import (
    CallFactory,
    CaseManagerFactory,
    ClinicianFactory,
    DivisionFactory,
    FollowUpFactory,
    PersonFactory,
    ProviderFactory,
    ReferralFactory,
    SupervisorFactory,
    TeamFactory,
    signed_in_client,
)

FOLLOWUPS = "/api/v1/followups/"
REFERRALS = "/api/v1/referrals/"
SERVICES = "/api/v1/services/"
PEOPLE = "/api/v1/people/"

FOLLOWUP_MOVES = ("complete", "missed", "cancel", "reschedule", "assign")
CLOSED_FOLLOWUP_STATUSES = (
    FollowUpStatus.COMPLETED,
    FollowUpStatus.MISSED,
    FollowUpStatus.CANCELLED,
)


def followup_url(followup: FollowUp | uuid.UUID | str, tail: str = "") -> str:
    return f"{FOLLOWUPS}{getattr(followup, 'pk', followup)}/{tail}"


def referral_url(referral: Referral | uuid.UUID | str, tail: str = "") -> str:
    return f"{REFERRALS}{getattr(referral, 'pk', referral)}/{tail}"


def referral_status_url(referral: Referral | uuid.UUID | str) -> str:
    return referral_url(referral, "status/")


def person_url(person: Person | uuid.UUID | str) -> str:
    return f"{PEOPLE}{getattr(person, 'pk', person)}/"


# --- times --------------------------------------------------------------------------------


def hours_from_now(hours: float) -> datetime:
    return timezone.now() + timedelta(hours=hours)


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def local_midnight_tonight(now: datetime | None = None) -> datetime:
    """The end of the local (program time zone) day: where `due_today` stops."""
    local = timezone.localtime(now or timezone.now())
    tomorrow = local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


def iso(moment: datetime) -> str:
    return moment.isoformat()


def same_instant(text: str | None, moment: datetime) -> bool:
    """Whether an API timestamp names `moment` (to the microsecond, any offset)."""
    return text is not None and datetime.fromisoformat(text) == moment


# --- one provider's people -------------------------------------------------------------------


@dataclass
class ProviderStaff:
    """A provider with a pair of clinicians on one team, a case manager, a supervisor, and a
    call of the pair's in one division, about one person."""

    provider: Provider
    division: Division
    team: Team
    clinician: Responder
    partner: Responder
    case_manager: Responder
    supervisor: Responder
    person: Person
    call: Call


def provider_staff(name: str, division_code: str) -> ProviderStaff:
    provider = ProviderFactory(name=name, slug=name.lower())
    division = DivisionFactory(name=f"{name} division", code=division_code)
    team = TeamFactory(provider=provider, call_sign=f"{name.upper()}-1")
    clinician = ClinicianFactory(team=team, user__username=f"{name.lower()}-clinician")
    partner = ClinicianFactory(team=team, user__username=f"{name.lower()}-partner")
    person = PersonFactory(provider=provider, given_name="Dana", family_name=f"{name}son")
    call = CallFactory(team=team, division=division, person=person)
    return ProviderStaff(
        provider=provider,
        division=division,
        team=team,
        clinician=clinician,
        partner=partner,
        case_manager=CaseManagerFactory(
            provider=provider, user__username=f"{name.lower()}-case-manager"
        ),
        supervisor=SupervisorFactory(
            provider=provider, user__username=f"{name.lower()}-supervisor"
        ),
        person=person,
        call=call,
    )


def api_as(responder: Responder) -> APIClient:
    """An API client signed in as `responder` on a device of their own."""
    client, _, _ = signed_in_client(responder)
    return client


# --- bodies and records --------------------------------------------------------------------


def followup_body(**fields) -> dict:
    """A follow-up as the phone posts it: a visit from tomorrow for two days."""
    opens = fields.pop("not_before", hours_from_now(24))
    body = {
        "id": str(uuid.uuid4()),
        "kind": "visit",
        "not_before": iso(opens),
        "due_by": iso(fields.pop("due_by", opens + timedelta(days=2))),
        "purpose": "See whether the shelter bed worked out.",
    }
    body.update({k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in fields.items()})
    return body


def referral_body(service, **fields) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "service": service.pk,
        "consent_given": True,
        "consent_method": "verbal",
        "notes": "Wants a bed tonight; has a dog.",
    }
    body.update({k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in fields.items()})
    return body


def closed_followup(staff: ProviderStaff, status: str, **fields) -> FollowUp:
    """A follow-up of the staff's call already closed as `status`."""
    fields.setdefault("call", staff.call)
    fields.setdefault("person", staff.person)
    fields.setdefault("closed_at", timezone.now())
    if status == FollowUpStatus.COMPLETED:
        fields.setdefault("outcome", "Met at the shelter.")
    return FollowUpFactory(status=status, **fields)


def referral_in(staff: ProviderStaff, status: str = ReferralStatus.PROPOSED, **fields):
    """A referral of the staff's call (and its person) in `status`."""
    fields.setdefault("call", staff.call)
    fields.setdefault("person", staff.person)
    return ReferralFactory(status=status, **fields)


def history_steps(body: dict) -> list[tuple[str, str]]:
    return [(step["from_status"], step["to_status"]) for step in body["history"]]


def ids(body: dict | list) -> set[str]:
    """The ids of a list response (paginated `results` or a bare list)."""
    rows = body["results"] if isinstance(body, dict) else body
    return {str(row["id"]) for row in rows}


# --- admin -----------------------------------------------------------------------------------


def admin_changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def admin_change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def run_admin_action(client, model, action: str, records) -> tuple[object, list[str]]:
    """Post an admin action on the changelist as the browser does; return the response
    and the messages it left for the user."""
    response = client.post(
        admin_changelist(model),
        {"action": action, "_selected_action": [str(r.pk) for r in records], "index": 0},
    )
    return response, [str(m) for m in get_messages(response.wsgi_request)]
