"""The acknowledgement window's automatic reroute (settings.ACK_AUTO_REROUTE, off by
default): a call its team has not acknowledged when the desk is alerted (two windows after
the dispatch, calls/tasks.py) moves to the routing's next choice - a team of the call's
provider and program on shift, not out of service, never a team that let it pass -
kept in the call's history (CallReroute) and told to the old team, the new team, the desk
and the provider's supervisors.

Not the desk's own reroute, which is one action: POST /calls/{id}/assign/ (or the admin's
Reassign), through the same calls.services.assign_call.
"""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from umcr.sync import sequence

from . import alerts, routing, services
from .choices import CallStatus, EventKind
from .models import Call, CallReroute, StatusEvent
from .permissions import SYSTEM


def reroute_unacknowledged(*, call_id: uuid.UUID, dispatch_id: uuid.UUID, late: timedelta) -> int:
    """Move the call to the next team if `dispatch_id` is still its latest dispatch and
    nobody acknowledged it. Idempotent: one reroute per missed dispatch (the timer firing
    twice, or a worker retried, finds the call already moved). Returns how many people are
    newly alerted; 0 if nothing moved (acknowledged meanwhile, no other team on shift)."""
    with transaction.atomic():
        sequence.hold()
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related("routed_provider")
            .get(pk=call_id)
        )
        latest = (
            StatusEvent.objects.filter(call=call, kind=EventKind.DISPATCHED, voided_at__isnull=True)
            .order_by("-created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if (
            call.status != CallStatus.DISPATCHED
            or call.team_id is None
            or call.routed_provider is None
            or latest != dispatch_id
            or CallReroute.objects.filter(missed_dispatch_id=dispatch_id).exists()
        ):
            return 0
        from_team_id = call.team_id
        # Not the team that did not answer, nor one that let this call pass before.
        missed = {
            from_team_id,
            *CallReroute.objects.filter(call=call).values_list("from_team_id", flat=True),
        }
        team, _ = routing.pick_team(
            provider=call.routed_provider, call=call, at=timezone.now(), exclude=missed
        )
        if team is None:
            return 0  # the desk and supervisors were alerted; nobody else to send
        minutes = int(late.total_seconds() // 60)
        call = services.assign_call(call=call, team=team, assigned_by=SYSTEM)
        reroute = CallReroute.objects.create(
            call=call,
            missed_dispatch_id=dispatch_id,
            from_team_id=from_team_id,
            to_team=team,
            reason=f"Not acknowledged {minutes} min after dispatch; rerouted automatically.",
        )
        return alerts.call_rerouted(call, reroute)
