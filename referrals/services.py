"""Writes of the referrals app: referring someone (with their consent) and moving the
referral along its closed loop, every change kept with who, when and a note.

proposed -> sent -> accepted -> enrolled -> completed, or declined | no_show |
unreachable | withdrawn; closed referrals do not move again and illegal moves are 409.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from calls.selectors import FoundInScope, call_and_person_in_scope
from calls.services import Written, find_replay
from responders.choices import Role
from responders.models import Responder
from responders.permissions import provider_of
from umcr.concurrency import check_version
from umcr.errors import Conflict, Invalid
from umcr.policy import CHANGE, CREATE
from umcr.sync import sequence

from . import permissions
from .choices import ReferralStatus
from .models import CLOSED_REFERRAL_STATUSES, Referral, ReferralStatusChange, Service
from .permissions import referral_scope

S = ReferralStatus
ALLOWED_MOVES = {
    S.PROPOSED: {S.SENT, S.WITHDRAWN},
    S.SENT: {S.ACCEPTED, S.DECLINED, S.UNREACHABLE, S.WITHDRAWN},
    S.ACCEPTED: {S.ENROLLED, S.NO_SHOW, S.UNREACHABLE, S.WITHDRAWN},
    S.ENROLLED: {S.COMPLETED, S.WITHDRAWN},
}


@transaction.atomic
def create_referral(
    *,
    responder: Responder,
    referral_id: uuid.UUID,
    service_id: int,
    consent_given: bool,
    consent_method: str,
    person_id: uuid.UUID | None = None,
    call_id: uuid.UUID | None = None,
    notes: str = "",
    assigned_to_id: int | None = None,
    found: FoundInScope | None = None,
) -> Written:
    """Refer a person to a service. No consent, no referral (400). `consent_method` is one of
    ConsentMethod (checked by the caller's serializer, the one parser of both ways in). A
    field refused here is named as the API names it (`service`, `person`, `call`).
    `found`: the call and person already found in the responder's scope by the caller (the
    push finds a slice's at once: calls.selectors.find_in_scope)."""
    permissions.check(responder, CREATE)
    stored = find_replay(Referral, referral_id, scope=referral_scope(responder))
    if stored is not None:
        return stored
    errors: dict[str, list[str]] = {}
    if consent_given is not True:
        errors["consent_given"] = ["The person's consent is required to refer them."]
    service = Service.objects.filter(pk=service_id, is_active=True).first()
    if service is None:
        errors["service"] = ["No such service in the directory."]
    if person_id is None and call_id is None:
        errors["person"] = ["A referral needs a person or a call."]
    if errors or service is None:
        raise Invalid(errors)
    if found is None:
        call, person = call_and_person_in_scope(
            responder=responder, call_id=call_id, person_id=person_id
        )
    else:
        call, person = found.call_and_person(call_id, person_id)
    assignee = None
    if assigned_to_id is not None:
        assignee = Responder.objects.filter(
            pk=assigned_to_id, provider_id=provider_of(responder), role=Role.CASE_MANAGER
        ).first()
        if assignee is None:
            raise Invalid({"assigned_to": ["No such case manager in your provider."]})
    now = timezone.now()
    referral = Referral.objects.create(
        id=referral_id,
        provider_id=provider_of(responder),
        person=person,
        call=call,
        service=service,
        status=S.PROPOSED,
        status_changed_at=now,
        consent_given=True,
        consent_method=consent_method,
        consent_recorded_at=now,
        referred_by=responder,
        # The referring pair keeps seeing it, wherever its clinicians move later.
        team_id=responder.team_id or (call.team_id if call is not None else None),
        assigned_to=assignee,
        notes=notes,
    )
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status="",
        to_status=S.PROPOSED,
        changed_by=responder,
        changed_at=now,
    )
    return Written(referral, created=True)


@transaction.atomic
def move_referral(
    *,
    referral: Referral,
    responder: Responder,
    to_status: str,
    note: str = "",
    expected_version: int | None = None,
    accessed: bool = False,
) -> Referral:
    """Move a referral one step along its loop; the same status again is a no-op. A move
    based on an older version than the stored one (`expected_version`) is a 409.
    `to_status` is one of ReferralStatus (checked by the caller's serializer).

    `accessed`: the caller found `referral` in the responder's scope and locked it (after
    the sync counter) in this transaction - the push - so it is taken as it is, the
    matrix's `change` checked; otherwise it is found, locked and checked here."""
    if accessed:
        permissions.check(responder, CHANGE)
    else:
        sequence.hold()
        referral = permissions.access_referral(responder, referral.pk, action=CHANGE, lock=True)
    check_version(referral, expected_version, "referral")
    current = referral.status
    if to_status == current:
        return referral
    if current in CLOSED_REFERRAL_STATUSES:
        raise Conflict(f"The referral is closed ({current}); it cannot move to {to_status}.")
    if to_status not in ALLOWED_MOVES[S(current)]:
        allowed = ", ".join(sorted(ALLOWED_MOVES[S(current)]))
        raise Conflict(
            f"A referral cannot go from {current} to {to_status}; from {current} it can go "
            f"to {allowed}.",
            code="illegal_move",
        )
    now = timezone.now()
    referral.status = to_status
    referral.status_changed_at = now
    referral.save(update_fields=["status", "status_changed_at", "updated_at"])
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status=current,
        to_status=to_status,
        changed_by=responder,
        changed_at=now,
        note=note,
    )
    return referral


def update_referral_notes(*, referral: Referral, responder: Responder, notes: str) -> Referral:
    """`referral` is in the responder's scope (the sync push looks ids up in it)."""
    permissions.check(responder, CHANGE)
    if referral.notes != notes:
        referral.notes = notes
        referral.save(update_fields=["notes", "updated_at"])
    return referral
