"""Who may do what to referrals: their row of the role matrix and their scope, asked by the
services, the REST views, the sync push and pull, and the admin.

A pair sees the referrals its team made or that come from its calls; provider staff all of
their provider's; the desk none. Scope follows the record (the referring team kept on the
referral, its call's team, its provider), never the current team of whoever referred.
"""

import uuid

from django.db.models import Q

from calls.permissions import team_records_scope
from responders.models import Responder
from umcr import policy

from .models import Referral

RESOURCE = "referrals"

policy.register(
    RESOURCE,
    "referrals",
    clinician="read create change",
    case_manager="read create change",
    supervisor="read create change",
)


def may(responder: Responder | None, action: str) -> bool:
    return policy.may(responder, action, RESOURCE)


def check(responder: Responder | None, action: str) -> None:
    policy.check(responder, action, RESOURCE)


def referral_scope(responder: Responder) -> Q:
    """The referrals `responder` reaches, as a filter on Referral."""
    return team_records_scope(responder, RESOURCE, "call__team_id", "team_id")


def access_referral(
    responder: Responder, referral_id: uuid.UUID, *, action: str, lock: bool = False
) -> Referral:
    """The referral as the responder may reach it (umcr.policy.access): in their scope,
    locked when asked, the action checked; missing and out of scope alike are 404."""
    return policy.access(
        responder,
        Referral,
        referral_id,
        resource=RESOURCE,
        scope=referral_scope,
        action=action,
        lock=lock,
    )
