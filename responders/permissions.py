"""Who may do what to devices and accounts: the responders app's rows of the role matrix,
asked by its services and its admin actions.

A supervisor revokes a lost phone of their provider, or suspends an account (every device
and session ends at once, and no new sign-in) and reinstates it; superusers anyone's.
Everyone signs their own devices in and out. Nobody suspends themselves.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q

from umcr import policy
from umcr.errors import NotAllowed
from umcr.policy import CHANGE, NOTHING, VOID

from .choices import Role
from .models import Device, Responder, Team

policy.register(
    "devices",
    "devices and accounts",
    supervisor="read change void",
    limits={
        "supervisor": "revoke a device, suspend an account",
        "clinician": "signs own devices in and out",
        "case_manager": "signs own devices in and out",
        "dispatcher": "signs own devices in and out",
    },
    position=800,
)


User = AuthUser | AnonymousUser


policy.register(
    "team_status",
    "team availability and position",
    clinician="read change",
    case_manager="read",
    supervisor="read",
    dispatcher="read",
    limits={"clinician": "their own team: availability, position pings"},
    position=700,
)


def check_own_team(responder: Responder, action: str) -> Team:
    """The team whose status `responder` reports: their own, if the matrix lets them."""
    policy.check(responder, action, "team_status")
    if responder.team is None:
        raise NotAllowed("You are in no team.")
    return responder.team


def _responder_of(user: User) -> Responder | None:
    return getattr(user, "responder", None)


def may(user: User, action: str) -> bool:
    """Whether `user` may take `action` on devices and accounts at all (the admin's
    actions ask this before they are offered)."""
    if user.is_superuser:
        return True
    responder = _responder_of(user)
    return responder is not None and policy.allows(responder.role, action, "devices")


def _same_provider(user: User, responder: Responder) -> bool:
    actor = _responder_of(user)
    return actor is not None and actor.provider_id == responder.provider_id


def check_can_revoke(user: User, device: Device) -> None:
    if not may(user, VOID) or not (user.is_superuser or _same_provider(user, device.responder)):
        raise NotAllowed("You may not revoke this device.")


def check_can_suspend(user: User, responder: Responder) -> None:
    if responder.user_id == user.pk:
        raise NotAllowed("You may not suspend your own account.")
    if not may(user, CHANGE) or not (user.is_superuser or _same_provider(user, responder)):
        raise NotAllowed("You may not suspend this account.")


def provider_of(responder: Responder) -> int:
    """The provider `responder` works for. Only the dispatch desk has none, and the desk's
    role holds no right that needs one, so reaching here without one is refused."""
    if responder.provider_id is None:
        raise NotAllowed("Only a provider's staff may do this.")
    return responder.provider_id


def team_scope(responder: Responder) -> Q:
    """The teams whose status `responder` reads: the desk every team, provider staff their
    provider's, a clinician their own."""
    if not policy.may(responder, policy.READ, "team_status"):
        return NOTHING
    if responder.role == Role.DISPATCHER:
        return Q()
    if responder.role == Role.CLINICIAN:
        return Q(pk=responder.team_id) if responder.team_id else NOTHING
    return Q(provider_id=responder.provider_id) if responder.provider_id else NOTHING
