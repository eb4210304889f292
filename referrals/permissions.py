"""Who may do what to referrals: their row of the role matrix and their scope, asked by the
services, the REST views, the sync push and pull, and the admin.

A pair sees the referrals its team made or that come from its calls; provider staff all of
their provider's; the desk none. Scope follows the record (the referring team kept on the
referral, its call's team, its provider), never the current team of whoever referred.
"""

from django.db.models import Q
from django.http import Http404

from responders.choices import Role
from responders.models import Responder
from umcr import policy
from umcr.errors import NotAllowed
from umcr.policy import NOTHING

from .models import Referral

policy.register(
    "referrals",
    "referrals",
    clinician="read create change",
    case_manager="read create change",
    supervisor="read create change",
)


def may(responder: Responder | None, action: str) -> bool:
    return responder is not None and policy.allows(responder.role, action, "referrals")


def check(responder: Responder | None, action: str) -> None:
    if not may(responder, action):
        raise NotAllowed(f"Your role may not {action} referrals.")


def referral_scope(responder: Responder) -> Q:
    """The referrals `responder` reaches, as a filter on Referral."""
    if not may(responder, policy.READ):
        return NOTHING
    if responder.role == Role.CLINICIAN:
        if responder.team_id is None:
            return NOTHING
        return Q(call__team_id=responder.team_id) | Q(team_id=responder.team_id)
    if responder.provider_id is None:
        return NOTHING
    return Q(provider_id=responder.provider_id)


def access_referral(responder: Responder, referral_id, *, action: str, lock: bool = False):
    """The referral as the responder may reach it: found in their scope (locked when
    asked), the action checked against the matrix. Missing and out of scope alike: 404."""
    check(responder, action)
    rows = Referral.objects.filter(referral_scope(responder))
    if lock:
        rows = rows.select_for_update(of=("self",))
    referral = rows.filter(pk=referral_id).first()
    if referral is None:
        raise Http404
    return referral
