"""The referrals app's synced tables: the services directory (read-only) and referrals
(mutable: a stale write is a 409 for the phone). A pushed referral is read by the REST
API's serializers (umcr.sync.parsing): a new one by ReferralCreateSerializer, a change by
ReferralChangeInputSerializer (the status endpoint's `status`, create's `notes`)."""

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
from .api.serializers import ReferralChangeInputSerializer, ReferralCreateSerializer
from .models import CLOSED_REFERRAL_STATUSES, Referral, Service
from .permissions import referral_scope

Context = PushContext[Responder, Device]


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
    def begin(self, ctx: Context, records: list[Record]) -> None:
        """The calls and people the slice's records name, found in scope once."""
        found = find_in_scope(
            responder=ctx.responder,
            call_ids=record_ids(records, "call_id"),
            person_ids=record_ids(records, "person_id"),
        )
        ctx.held.put("found", found)

    def create(self, ctx: Context, record: Record) -> None:
        data = RecordParser(ReferralCreateSerializer).parse(record)
        services.create_referral(
            responder=ctx.responder,
            referral_id=data["id"],
            service_id=data["service"],
            # Anything but true is refused by the service, naming the field.
            consent_given=data["consent_given"],
            consent_method=data["consent_method"],
            person_id=data.get("person"),
            call_id=data.get("call"),
            notes=data["notes"],
            assigned_to_id=data.get("assigned_to"),
            found=ctx.held.get("found"),
        )

    def update(self, ctx: Context, record: Record, existing: Referral) -> None:
        # `existing` is in the pusher's scope and locked: the engine looked it up so.
        data = RecordParser(ReferralChangeInputSerializer).parse(record)
        status = data.get("status")
        if status and status != existing.status:
            services.move_referral(
                referral=existing, responder=ctx.responder, to_status=status, accessed=True
            )
        if "notes" in data:
            services.update_referral_notes(
                referral=existing, responder=ctx.responder, notes=data["notes"]
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
        anchor=True,
        push=ReferralPush(),
        mutable=True,
        push_order=70,
    )
)
