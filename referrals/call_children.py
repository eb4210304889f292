"""How referrals plug into calls (calls/children.py): listed in a call's detail and on a
person's page, and moved with a reassigned call. Registered from ReferralsConfig.ready();
calls never imports this app."""

from django.db.models import QuerySet
from rest_framework import serializers

from calls import children
from calls.models import Person
from responders.models import Responder
from umcr.audit import AuditedSerializer

from .models import Referral
from .selectors import referrals_for_responder


class ReferralSummarySerializer(AuditedSerializer, serializers.Serializer):
    audit_kind = "referral"
    audit_provider_path = "provider_id"
    id = serializers.UUIDField()
    status = serializers.CharField()
    status_changed_at = serializers.DateTimeField()
    service = serializers.CharField(source="service.name")
    service_category = serializers.CharField(source="service.category")
    organization = serializers.CharField(source="service.organization")


def detail_queryset() -> QuerySet[Referral]:
    return Referral.objects.select_related("service")


def for_person(*, responder: Responder, person: Person) -> QuerySet[Referral]:
    scoped = referrals_for_responder(responder=responder).filter(person=person)
    return scoped.order_by("-status_changed_at")[:100]


children.register(
    children.CallChild(
        name="referrals",
        model=Referral,
        sync_table="referrals",
        serializer=ReferralSummarySerializer,
        detail_queryset=detail_queryset,
        for_person=for_person,
    )
)
