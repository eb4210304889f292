"""Writes of the calls app. The call's status and timestamps are derived from its events
here, one way, for the REST API, the sync push, the desk and the demo data alike."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .choices import CallStatus, EventKind
from .models import Call, StatusEvent

# Which call field each event kind stamps (the first time it happens).
EVENT_TIMESTAMP_FIELDS = {
    EventKind.DISPATCHED: "dispatched_at",
    EventKind.ACKNOWLEDGED: "acknowledged_at",
    EventKind.EN_ROUTE: "en_route_at",
    EventKind.ON_SCENE: "on_scene_at",
    EventKind.TRANSPORTING: "transporting_at",
    EventKind.CLEARED: "cleared_at",
    EventKind.CANCELLED: "cancelled_at",
}
DERIVED_FIELDS = ["status", *EVENT_TIMESTAMP_FIELDS.values()]


@dataclass(frozen=True)
class CallState:
    status: str
    timestamps: dict[str, datetime | None]


def derive_call_state(events: Iterable[StatusEvent]) -> CallState:
    """The call's status and timestamps from its events, ordered by when they happened.

    Each timestamp is the first event of its kind; the status is that of the latest event,
    except that a cleared or cancelled call stays closed whatever arrives late from a phone.
    """
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.created_at or e.occurred_at))
    timestamps: dict[str, datetime | None] = dict.fromkeys(EVENT_TIMESTAMP_FIELDS.values())
    status = CallStatus.PENDING
    for event in ordered:
        field = EVENT_TIMESTAMP_FIELDS[EventKind(event.kind)]
        if timestamps[field] is None:
            timestamps[field] = event.occurred_at
        status = CallStatus(event.kind)
    if timestamps["cancelled_at"] is not None:
        status = CallStatus.CANCELLED
    elif timestamps["cleared_at"] is not None:
        status = CallStatus.CLEARED
    return CallState(status=status, timestamps=timestamps)


def refresh_call_state(*, call: Call, events: Iterable[StatusEvent] | None = None) -> Call:
    """Recompute and store the call's derived fields from its events."""
    state = derive_call_state(call.events.all() if events is None else events)
    call.status = state.status
    for field, value in state.timestamps.items():
        setattr(call, field, value)
    call.updated_at = timezone.now()
    Call.objects.filter(pk=call.pk).update(
        status=state.status, updated_at=call.updated_at, **state.timestamps
    )
    return call
