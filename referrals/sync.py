"""The referrals app's synced tables: the services directory (read-only) and referrals
(mutable: a stale write is a 409 for the phone)."""

from django.db.models import Q

from umcr.sync.parsing import record_int, record_text, record_uuid
from umcr.sync.registry import SyncTable, register

from . import services
from .models import Referral, Service
from .permissions import referral_scope


def referrals_audience(responder) -> Q:
    return referral_scope(responder)


def directory_audience(responder) -> Q:
    return Q()


class ReferralPush:
    def create(self, ctx, record):
        service_id = record_int(record, "service_id", message="Must be a service id.")
        services.create_referral(
            responder=ctx.responder,
            referral_id=record_uuid(record),
            service_id=service_id,
            consent_given=record.get("consent_given"),
            consent_method=record_text(record, "consent_method", 16),
            person_id=record_uuid(record, "person_id", required=False),
            call_id=record_uuid(record, "call_id", required=False),
            notes=record_text(record, "notes", 5000),
        )

    def update(self, ctx, record, existing):
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
        columns={
            "id": "id",
            "organization": "organization",
            "name": "name",
            "category": "category",
            "description": "description",
            "address": "address",
            "latitude": "latitude",
            "longitude": "longitude",
            "phone": "phone",
            "hours": "hours",
            "hours_text": "hours_text",
            "eligibility": "eligibility",
            "capacity": "capacity",
            "is_accepting_clients": "is_accepting_clients",
            "is_active": "is_active",
            "updated_at": "updated_at",
        },
        audience=directory_audience,
        push_order=1,
    )
)
register(
    SyncTable(
        name="referrals",
        model=Referral,
        columns={
            "id": "id",
            "person_id": "person_id",
            "call_id": "call_id",
            "service_id": "service_id",
            "status": "status",
            "status_changed_at": "status_changed_at",
            "consent_given": "consent_given",
            "consent_method": "consent_method",
            "notes": "notes",
            "updated_at": "updated_at",
        },
        audience=referrals_audience,
        push=ReferralPush(),
        mutable=True,
        push_order=70,
    )
)
