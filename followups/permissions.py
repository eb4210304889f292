"""Who may do what to follow-ups: their row of the role matrix and their scope, asked by the
services, the REST views, the sync push and pull, and the admin.

A pair sees the follow-ups assigned to it or tied to its calls; provider staff all of their
provider's; the desk none. Scope follows the record (its team, its call's team, its
provider), never the current team of whoever scheduled it.
"""

from django.db.models import Q
from django.http import Http404

from responders.choices import Role
from responders.models import Responder
from umcr import policy
from umcr.errors import NotAllowed
from umcr.policy import NOTHING

from .models import FollowUp

policy.register(
    "follow_ups",
    "follow-ups",
    clinician="read create change",
    case_manager="read create change",
    supervisor="read create change",
)


def may(responder: Responder | None, action: str) -> bool:
    return responder is not None and policy.allows(responder.role, action, "follow_ups")


def check(responder: Responder | None, action: str) -> None:
    if not may(responder, action):
        raise NotAllowed(f"Your role may not {action} follow-ups.")


def followup_scope(responder: Responder) -> Q:
    """The follow-ups `responder` reaches, as a filter on FollowUp."""
    if not may(responder, policy.READ):
        return NOTHING
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return NOTHING
        return Q(assigned_team_id=responder.team_id) | Q(call__team_id=responder.team_id)
    if responder.provider_id is None:
        return NOTHING
    return Q(provider_id=responder.provider_id)


def access_followup(responder: Responder, followup_id, *, action: str, lock: bool = False):
    """The follow-up as the responder may reach it: found in their scope (locked when
    asked, so a hand-over committed meanwhile is seen), the action checked against the
    matrix. Missing and out of scope are answered alike (404)."""
    check(responder, action)
    rows = FollowUp.objects.filter(followup_scope(responder))
    if lock:
        rows = rows.select_for_update(of=("self",))
    followup = rows.filter(pk=followup_id).first()
    if followup is None:
        raise Http404
    return followup
