"""Scheduled work of the calls app (a django-q2 Schedule created by migration calls/0013):
acknowledgement windows.

A call dispatched to a team and not acknowledged within its priority's window
(settings.ACK_WINDOW_SECONDS: 2 min urgent, 5 prompt, 10 routine by default) re-alerts the
team; still not acknowledged a second window later, the desk and the provider's supervisors
are alerted, and the desk reroutes it in one action (POST /calls/{id}/assign/); with
ACK_AUTO_REROUTE on, the call then moves to the next team by itself (calls/reroute.py). The
window runs from the latest dispatch as the server recorded it (a reassignment starts a new
one).

Idempotent: alerts are keyed by the dispatch event, so a schedule that fires twice, or a
worker retried after it died, alerts once. Returns how many people it newly alerted.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import alerts, reroute
from .choices import CallStatus, EventKind
from .models import Call, StatusEvent

# Dispatches older than this were escalated long ago (the task runs every minute; this
# covers a worker down for a day) and stay on the desk's list of open calls.
ESCALATION_HORIZON = timedelta(days=1)


def window(priority: int) -> timedelta:
    seconds = settings.ACK_WINDOW_SECONDS
    return timedelta(seconds=seconds.get(priority, max(seconds.values())))


def escalate_unacknowledged() -> int:
    """Re-alert teams, then the desk and supervisors, about dispatched calls nobody has
    acknowledged within their window."""
    now = timezone.now()
    latest = StatusEvent.objects.filter(
        call=OuterRef("pk"), kind=EventKind.DISPATCHED, voided_at__isnull=True
    ).order_by("-created_at")
    waiting = (
        Call.objects.filter(status=CallStatus.DISPATCHED, team__isnull=False)
        .annotate(
            dispatch_id=Subquery(latest.values("pk")[:1]),
            dispatched=Subquery(latest.values("created_at")[:1]),
        )
        .filter(dispatched__gte=now - ESCALATION_HORIZON)
        .select_related("team", "division")
    )
    sent = 0
    for call in waiting:
        late = now - call.dispatched
        if late < window(call.priority):
            continue
        with transaction.atomic():
            sent += alerts.ack_reminder(call, call.dispatch_id, late)
            if late >= 2 * window(call.priority):
                sent += alerts.ack_overdue(call, call.dispatch_id, late)
        if late >= 2 * window(call.priority) and settings.ACK_AUTO_REROUTE:
            # calls/reroute.py: to the next team, once per missed dispatch.
            sent += reroute.reroute_unacknowledged(
                call_id=call.pk, dispatch_id=call.dispatch_id, late=late
            )
    return sent
