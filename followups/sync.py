"""The follow-ups app's synced table (mutable: a stale write is a 409 for the phone).

A pushed follow-up is read by the REST API's serializers (umcr.sync.parsing): a new one by
FollowUpCreateSerializer (the POST's), a change by FollowUpMoveSerializer (the actions'
fields in one); the service writes on the row the engine found, locked and checked."""

from datetime import datetime
from typing import Any

from django.db.models import Q

from calls.selectors import find_in_scope
from calls.sync import hold_in_window, linked_window
from responders.models import Device, Responder
from umcr.sync.context import PushContext
from umcr.sync.parsing import RecordParser, record_ids
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record
from umcr.sync.window import Window

from . import services
from .api.serializers import FollowUpCreateSerializer, FollowUpMoveSerializer
from .choices import FollowUpStatus
from .models import FollowUp
from .permissions import followup_scope

Context = PushContext[Responder, Device]


def followups_audience(responder: Responder) -> Q:
    return followup_scope(responder)


OPEN = Q(status=FollowUpStatus.SCHEDULED)
# A scheduled follow-up keeps its call and person on the phones (calls/sync.py).
hold_in_window(FollowUp, OPEN)


def followups_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """Open follow-ups, and closed ones on a call in the window or closed within it."""
    inside, moved = linked_window(w, "closed_at")
    return OPEN | inside, moved


def _moved(data: dict[str, Any], name: str, stored: datetime) -> datetime | None:
    """The pushed time, or None if it is the stored one as the phone saw it (pulls send
    milliseconds; the database keeps microseconds)."""
    value: datetime | None = data.get(name)
    if value is None or abs((value - stored).total_seconds()) < 0.001:
        return None
    return value


class FollowUpPush:
    def begin(self, ctx: Context, records: list[Record]) -> None:
        """The calls and people the slice's records name, found in scope once."""
        found = find_in_scope(
            responder=ctx.responder,
            call_ids=record_ids(records, "call_id"),
            person_ids=record_ids(records, "person_id"),
        )
        ctx.held.put("found", found)

    def create(self, ctx: Context, record: Record) -> None:
        data = RecordParser(FollowUpCreateSerializer).parse(record)
        services.create_followup(
            responder=ctx.responder,
            followup_id=data["id"],
            kind=data["kind"],
            not_before=data["not_before"],
            due_by=data["due_by"],
            person_id=data.get("person"),
            call_id=data.get("call"),
            assigned_team_id=data.get("assigned_team"),
            assigned_to_id=data.get("assigned_to"),
            purpose=data["purpose"],
            found=ctx.held.get("found"),
        )

    def update(self, ctx: Context, record: Record, existing: FollowUp) -> None:
        # `existing` is in the pusher's scope and locked: the engine looked it up so.
        data = RecordParser(FollowUpMoveSerializer).parse(record)
        services.change_followup(
            followup=existing,
            responder=ctx.responder,
            status=data.get("status") or None,
            not_before=_moved(data, "not_before", existing.not_before),
            due_by=_moved(data, "due_by", existing.due_by),
            outcome=data.get("outcome"),
            accessed=True,
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
        anchor=True,
        push=FollowUpPush(),
        mutable=True,
        push_order=60,
    )
)
