"""The follow-ups app's synced table (mutable: a stale write is a 409 for the phone)."""

from datetime import datetime

from django.db.models import Q

from calls.sync import hold_in_window, linked_window
from responders.models import Device, Responder
from umcr.sync.context import PushContext
from umcr.sync.parsing import record_int, record_text, record_time, record_uuid
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record
from umcr.sync.window import Window

from . import services
from .choices import FollowUpStatus
from .models import FollowUp
from .permissions import followup_scope


def followups_audience(responder: Responder) -> Q:
    return followup_scope(responder)


OPEN = Q(status=FollowUpStatus.SCHEDULED)
# A scheduled follow-up keeps its call and person on the phones (calls/sync.py).
hold_in_window(FollowUp, OPEN)


def followups_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """Open follow-ups, and closed ones on a call in the window or closed within it."""
    inside, moved = linked_window(w, "closed_at")
    return OPEN | inside, moved


def _moved(record: Record, column: str, stored: datetime) -> datetime | None:
    """The pushed time, or None if it is the stored one as the phone saw it (pulls send
    milliseconds; the database keeps microseconds)."""
    value = record_time(record, column, required=False)
    if value is None or abs((value - stored).total_seconds()) < 0.001:
        return None
    return value


class FollowUpPush:
    def create(self, ctx: PushContext[Responder, Device], record: Record) -> None:
        services.create_followup(
            responder=ctx.responder,
            followup_id=record_uuid(record),
            kind=record_text(record, "kind", 16),
            not_before=record_time(record, "not_before"),
            due_by=record_time(record, "due_by"),
            person_id=record_uuid(record, "person_id", required=False),
            call_id=record_uuid(record, "call_id", required=False),
            assigned_team_id=record_int(record, "assigned_team_id", required=False),
            assigned_to_id=record_int(record, "assigned_to_id", required=False),
            purpose=record_text(record, "purpose", 5000),
        )

    def update(
        self, ctx: PushContext[Responder, Device], record: Record, existing: FollowUp
    ) -> None:
        # `existing` is in the pusher's scope: the engine looks ids up in the audience.
        services.change_followup(
            followup=existing,
            responder=ctx.responder,
            status=record.get("status") or None,
            not_before=_moved(record, "not_before", existing.not_before),
            due_by=_moved(record, "due_by", existing.due_by),
            outcome=record.get("outcome") if isinstance(record.get("outcome"), str) else None,
        )


register(
    SyncTable(
        name="follow_ups",
        model=FollowUp,
        columns=[
            "id",
            "person_id",
            "call_id",
            "kind",
            "purpose",
            "not_before",
            "due_by",
            "assigned_team_id",
            "assigned_to_id",
            "status",
            "outcome",
            "closed_at",
            "updated_at",
        ],
        audience=followups_audience,
        window=followups_window,
        push=FollowUpPush(),
        mutable=True,
        push_order=60,
    )
)
