"""Who may do what to follow-ups: their row of the role matrix and their scope, asked by the
services, the REST views, the sync push and pull, and the admin.

A pair sees the follow-ups assigned to it or tied to its calls; provider staff all of their
provider's; the desk none. Scope follows the record (its team, its call's team, its
provider), never the current team of whoever scheduled it.
"""

import uuid

from django.db.models import Q

from calls.permissions import team_records_scope
from responders.models import Responder
from umcr import policy

from .models import FollowUp

RESOURCE = "follow_ups"

policy.register(
    RESOURCE,
    "follow-ups",
    clinician="read create change",
    case_manager="read create change",
    supervisor="read create change",
)


def may(responder: Responder | None, action: str) -> bool:
    return policy.may(responder, action, RESOURCE)


def check(responder: Responder | None, action: str) -> None:
    policy.check(responder, action, RESOURCE)


def followup_scope(responder: Responder) -> Q:
    """The follow-ups `responder` reaches, as a filter on FollowUp."""
    return team_records_scope(responder, RESOURCE, "assigned_team_id", "call__team_id")


def access_followup(
    responder: Responder, followup_id: uuid.UUID, *, action: str, lock: bool = False
) -> FollowUp:
    """The follow-up as the responder may reach it (umcr.policy.access): in their scope,
    locked when asked, the action checked; missing and out of scope alike are 404."""
    return policy.access(
        responder,
        FollowUp,
        followup_id,
        resource=RESOURCE,
        scope=followup_scope,
        action=action,
        lock=lock,
    )
