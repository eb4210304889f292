"""The transport step: a team starts a ride from the scene with the client's consent (or on
a hold), arrives, is refused by a destination and drives on to another, and hands the client
over. Each write checks the role matrix (permissions.py) once, on the row it locks.

Every way in calls these: the REST actions (transports/api/views.py), the sync push
(transports/sync.py) and nothing else. A change names the version it was based on
(`expected_version`, the REST If-Match): a change of a ride that moved since is a 409.
"""

import uuid
from datetime import datetime

from django.db import transaction

from calls.choices import CallStatus
from calls.selectors import calls_for_responder
from calls.services import Written, check_not_in_future, find_replay
from referrals.choices import ConsentMethod, ServiceCategory
from referrals.models import Service
from responders.models import Responder
from umcr.concurrency import check_version
from umcr.errors import Conflict, Invalid
from umcr.policy import CHANGE, CREATE
from umcr.sync import sequence

from . import permissions
from .choices import CLOSED_TRANSPORT_STATUSES, TransportStatus
from .models import DestinationRefusal, Transport

# Where a van may take a client: the services directory's places of care and shelter.
DESTINATION_CATEGORIES = (
    ServiceCategory.CRISIS_STABILIZATION,
    ServiceCategory.SOBERING_CENTER,
    ServiceCategory.URGENT_CARE,
    ServiceCategory.MEDICAL,
    ServiceCategory.MENTAL_HEALTH,
    ServiceCategory.SHELTER,
)
# A ride starts from the scene (or continues a transport already under way).
STARTS_FROM = (CallStatus.ON_SCENE, CallStatus.TRANSPORTING)


def _destination(service_id: int, field: str = "destination") -> Service:
    service = Service.objects.filter(
        pk=service_id, is_active=True, category__in=DESTINATION_CATEGORIES
    ).first()
    if service is None:
        raise Invalid(
            {
                field: [
                    "No such destination: an active service of category "
                    f"{', '.join(DESTINATION_CATEGORIES)}."
                ]
            }
        )
    return service


@transaction.atomic
def start_transport(
    *,
    responder: Responder,
    transport_id: uuid.UUID,
    call_id: uuid.UUID,
    destination_id: int,
    departed_at: datetime,
    on_hold: bool = False,
    consent_given: bool = False,
    consent_method: str = "",
) -> Written:
    """Leave the scene with the client. Only a program that transports takes this step
    (409 otherwise); the client consents (400 without), unless on a hold."""
    permissions.check(responder, CREATE)
    stored = find_replay(Transport, transport_id, scope=permissions.transport_scope(responder))
    if stored is not None:
        return stored
    call = (
        calls_for_responder(responder=responder)
        .select_for_update(of=("self",))
        .select_related("program")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise Invalid({"call": ["No such call in your scope."]})
    errors: dict[str, list[str]] = {}
    if not on_hold and consent_given is not True:
        errors["consent_given"] = ["The client's consent is required, unless on a hold."]
    if not on_hold and consent_method not in ConsentMethod.values:
        errors["consent_method"] = [f"Not one of {', '.join(ConsentMethod.values)}."]
    if errors:
        raise Invalid(errors)
    destination = _destination(destination_id)
    check_not_in_future(departed_at, "departed_at")
    if not call.program.transports:
        raise Conflict(f"{call.program.name} does not transport clients.")
    if call.status not in STARTS_FROM or call.routed_provider_id is None:
        raise Conflict(f"The call is {call.status}; a transport starts from the scene.")
    if call.transports.exclude(status__in=CLOSED_TRANSPORT_STATUSES).exists():
        raise Conflict("A transport on this call is still under way: finish it first.")
    transport = Transport.objects.create(
        id=transport_id,
        call=call,
        person=call.person,
        provider_id=call.routed_provider_id,  # set: a call on scene was routed
        team_id=call.team_id,
        destination=destination,
        on_hold=on_hold,
        consent_given=bool(consent_given) and not on_hold,
        consent_method="" if on_hold else consent_method,
        departed_at=departed_at,
        driven_by=responder,
    )
    return Written(transport, created=True)


def _lock(responder: Responder, transport: Transport) -> Transport:
    """The ride found again in the responder's scope and locked, after the sync counter."""
    sequence.hold()
    return permissions.access_transport(responder, transport.pk, action=CHANGE, lock=True)


def _ready(locked: Transport, expected_version: int | None, *states: str) -> Transport:
    """The locked ride at the version the change was based on, in one of `states`."""
    check_version(locked, expected_version, "transport")
    if locked.status not in states:
        raise Conflict(f"The transport is {locked.status}; it cannot take this step.")
    return locked


def _locked(
    responder: Responder, transport: Transport, expected_version: int | None, *states: str
) -> Transport:
    return _ready(_lock(responder, transport), expected_version, *states)


@transaction.atomic
def arrive(
    *,
    transport: Transport,
    responder: Responder,
    arrived_at: datetime,
    expected_version: int | None = None,
) -> Transport:
    """At the destination, before the hand-off."""
    transport = _locked(responder, transport, expected_version, TransportStatus.UNDER_WAY)
    check_not_in_future(arrived_at, "arrived_at")
    if arrived_at < transport.departed_at:
        raise Invalid({"arrived_at": ["Is before the departure."]})
    transport.status, transport.arrived_at = TransportStatus.ARRIVED, arrived_at
    transport.save(update_fields=["status", "arrived_at", "updated_at"])
    return transport


@transaction.atomic
def refuse(
    *,
    transport: Transport,
    responder: Responder,
    reason: str,
    next_destination_id: int,
    refused_at: datetime,
    refusal_id: uuid.UUID | None = None,
    refused_destination_id: int | None = None,
    expected_version: int | None = None,
) -> Transport:
    """The destination will not take the client: kept with why, and the team drives on to
    the next destination it picked. `refusal_id` is the phone's id for the refusal: the same
    id again is the stored refusal, not a second one. `refused_destination_id`, when the
    phone names the destination that refused, must be where the ride is going now (409)."""
    transport = _lock(responder, transport)
    if refusal_id is not None:
        # Looked for with the ride locked: a retry racing its first attempt waits for it.
        stored = find_replay(
            DestinationRefusal,
            refusal_id,
            scope=permissions.refusal_scope(responder),
            content={"transport_id": transport.pk, "reason": reason},
        )
        if stored is not None:
            return transport
    transport = _ready(
        transport, expected_version, TransportStatus.UNDER_WAY, TransportStatus.ARRIVED
    )
    if refused_destination_id is not None and refused_destination_id != transport.destination_id:
        raise Conflict("The ride is on its way to another destination than the one that refused.")
    if not reason.strip():
        raise Invalid({"reason": ["Say why the destination refused."]})
    check_not_in_future(refused_at, "refused_at")
    following = _destination(next_destination_id, "next_destination")
    if following.pk == transport.destination_id:
        raise Invalid({"next_destination": ["Is the destination that refused."]})
    DestinationRefusal.objects.create(
        id=refusal_id or uuid.uuid4(),
        transport=transport,
        call_id=transport.call_id,
        service_id=transport.destination_id,
        next_destination=following,
        reason=reason,
        refused_at=refused_at,
        recorded_by=responder.user,
    )
    transport.destination = following
    transport.status, transport.arrived_at = TransportStatus.UNDER_WAY, None
    transport.save(update_fields=["destination", "status", "arrived_at", "updated_at"])
    return transport


@transaction.atomic
def hand_off(
    *,
    transport: Transport,
    responder: Responder,
    handed_off_at: datetime,
    received_by: str,
    expected_version: int | None = None,
) -> Transport:
    """Someone at the destination took the client over: the transport is done."""
    transport = _locked(responder, transport, expected_version, TransportStatus.ARRIVED)
    if not received_by.strip():
        raise Invalid({"received_by": ["Name who took the client over."]})
    check_not_in_future(handed_off_at, "handed_off_at")
    if transport.arrived_at is not None and handed_off_at < transport.arrived_at:
        raise Invalid({"handed_off_at": ["Is before the arrival."]})
    transport.status = TransportStatus.HANDED_OFF
    transport.handed_off_at, transport.received_by = handed_off_at, received_by.strip()
    transport.save(update_fields=["status", "handed_off_at", "received_by", "updated_at"])
    return transport
