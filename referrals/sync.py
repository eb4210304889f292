"""The referrals app's synced tables: the services directory (read-only) and referrals
(mutable: a stale write is a 409 for the phone)."""

from django.db.models import Q

from calls.sync import hold_in_window, linked_window
from responders.models import Device, Responder
from umcr.sync.context import PushContext
from umcr.sync.parsing import record_int, record_text, record_uuid
from umcr.sync.registry import SyncTable, register
from umcr.sync.types import Record
from umcr.sync.window import Window

from . import services
from .models import CLOSED_REFERRAL_STATUSES, Referral, Service
from .permissions import referral_scope


def referrals_audience(responder: Responder) -> Q:
    return referral_scope(responder)


OPEN = ~Q(status__in=CLOSED_REFERRAL_STATUSES)
# An open referral keeps its call and person on the phones (calls/sync.py).
hold_in_window(Referral, OPEN)


def referrals_window(responder: Responder, w: Window) -> tuple[Q, Q]:
    """Open referrals, and closed ones on a call in the window or closed within it."""
    inside, moved = linked_window(w, "status_changed_at")
    return OPEN | inside, moved


def directory_audience(responder: Responder) -> Q:
    return Q()


class ReferralPush:
    def create(self, ctx: PushContext[Responder, Device], record: Record) -> None:
        service_id = record_int(record, "service_id", message="Must be a service id.")
        services.create_referral(
            responder=ctx.responder,
            referral_id=record_uuid(record),
            service_id=service_id,
            # Anything but true is refused by the service, naming the column.
            consent_given=record.get("consent_given") is True,
            consent_method=record_text(record, "consent_method", 16),
            person_id=record_uuid(record, "person_id", required=False),
            call_id=record_uuid(record, "call_id", required=False),
            notes=record_text(record, "notes", 5000),
        )

    def update(
        self, ctx: PushContext[Responder, Device], record: Record, existing: Referral
    ) -> None:
        # `existing` is in the pusher's scope: the engine looks ids up in the audience.
        status = record.get("status")
        if status and status != existing.status:
            services.move_referral(referral=existing, responder=ctx.responder, to_status=status)
        if "notes" in record:
            services.update_referral_notes(
                referral=existing, responder=ctx.responder, notes=record_text(record, "notes", 5000)
            )


register(
    SyncTable(
        name="services",
        model=Service,
        columns=[
            "id",
            "organization",
            "name",
            "category",
            "description",
            "address",
            "latitude",
            "longitude",
            "phone",
            "hours",
            "hours_text",
            "eligibility",
            "capacity",
            "is_accepting_clients",
            "is_active",
            "updated_at",
        ],
        audience=directory_audience,
        push_order=1,
    )
)
register(
    SyncTable(
        name="referrals",
        model=Referral,
        columns=[
            "id",
            "person_id",
            "call_id",
            "service_id",
            "status",
            "status_changed_at",
            "consent_given",
            "consent_method",
            "notes",
            "updated_at",
        ],
        audience=referrals_audience,
        window=referrals_window,
        push=ReferralPush(),
        mutable=True,
        push_order=70,
    )
)
