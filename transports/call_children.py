"""How transports plug into calls (calls/children.py): a call's rides and the destinations
that refused on the way are listed in its detail and on the person's page, and move with a
reassigned call (the old team's phones lose them, the new team's get them). Registered from
TransportsConfig.ready(); calls never imports this app."""

from django.db.models import QuerySet
from rest_framework import serializers

from calls import children
from calls.models import Person
from responders.models import Responder
from umcr.audit import AuditedSerializer

from .models import DestinationRefusal, Transport
from .permissions import refusal_scope, transport_scope


class TransportSummarySerializer(AuditedSerializer, serializers.Serializer):
    audit_kind = "transport"
    audit_provider_path = "provider_id"
    id = serializers.UUIDField()
    status = serializers.CharField()
    destination = serializers.CharField(source="destination.name")
    on_hold = serializers.BooleanField()
    departed_at = serializers.DateTimeField()
    arrived_at = serializers.DateTimeField(allow_null=True)
    handed_off_at = serializers.DateTimeField(allow_null=True)
    received_by = serializers.CharField()


class RefusalSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    transport = serializers.UUIDField(source="transport_id")
    destination = serializers.CharField(source="service.name")
    reason = serializers.CharField()
    refused_at = serializers.DateTimeField()


def transports_detail() -> QuerySet[Transport]:
    return Transport.objects.select_related("destination")


def refusals_detail() -> QuerySet[DestinationRefusal]:
    return DestinationRefusal.objects.select_related("service")


def transports_for_person(*, responder: Responder, person: Person) -> QuerySet[Transport]:
    scoped = transports_detail().filter(transport_scope(responder), person=person)
    return scoped.order_by("-departed_at")[:100]


def refusals_for_person(*, responder: Responder, person: Person) -> QuerySet[DestinationRefusal]:
    scoped = refusals_detail().filter(refusal_scope(responder), transport__person=person)
    return scoped.order_by("-refused_at")[:100]


children.register(
    children.CallChild(
        name="transports",
        model=Transport,
        sync_table="transports",
        serializer=TransportSummarySerializer,
        detail_queryset=transports_detail,
        for_person=transports_for_person,
    )
)
children.register(
    children.CallChild(
        name="destination_refusals",
        model=DestinationRefusal,
        sync_table="destination_refusals",
        serializer=RefusalSummarySerializer,
        detail_queryset=refusals_detail,
        for_person=refusals_for_person,
    )
)
