"""Who may do what to transports: their row of the role matrix and their scope, asked by the
services, the REST views and the admin.

The pair on the call drives and records the ride; provider staff read their provider's; the
desk follows the call's status (`transporting`), not the ride's details. Scope: the team
that drove (kept on the ride) and the call's current team, as for the call's other records;
provider staff by the provider the call had when the ride began.
"""

import uuid

from django.db.models import Q

from calls.permissions import team_records_scope
from responders.models import Responder
from umcr import policy

from .models import Transport

RESOURCE = "transports"

policy.register(
    RESOURCE,
    "transports: destination, consent, times, who took the client over",
    clinician="read create change",
    case_manager="read",
    supervisor="read",
    limits={"clinician": "the team's rides"},
    position=450,
)


def may(responder: Responder | None, action: str) -> bool:
    return policy.may(responder, action, RESOURCE)


def check(responder: Responder | None, action: str) -> None:
    policy.check(responder, action, RESOURCE)


def transport_scope(responder: Responder) -> Q:
    """The transports `responder` reaches, as a filter on Transport."""
    return team_records_scope(responder, RESOURCE, "call__team_id", "team_id")


def refusal_scope(responder: Responder) -> Q:
    """The destinations' refusals `responder` reaches: those of the transports they reach
    (a filter on DestinationRefusal)."""
    return Q(transport__in=Transport.objects.filter(transport_scope(responder)).values("pk"))


def access_transport(
    responder: Responder, transport_id: uuid.UUID, *, action: str, lock: bool = False
) -> Transport:
    """The transport as the responder may reach it (umcr.policy.access): in their scope,
    locked when asked, the action checked; missing and out of scope alike are 404."""
    return policy.access(
        responder,
        Transport,
        transport_id,
        resource=RESOURCE,
        scope=transport_scope,
        action=action,
        lock=lock,
    )
