"""The shapes of /api/v1/transports/: a ride as it stands, with the destinations that
refused on the way, and the input of each step."""

from rest_framework import serializers

from referrals.choices import ConsentMethod
from umcr.api import BoundedDateTimeField
from umcr.audit import AuditedSerializer

from ..models import DestinationRefusal, Transport


class DestinationRefusalSerializer(serializers.ModelSerializer):
    destination = serializers.IntegerField(source="service_id", read_only=True)
    destination_name = serializers.CharField(source="service.name", read_only=True)
    next_destination = serializers.IntegerField(
        source="next_destination_id", read_only=True, allow_null=True
    )

    class Meta:
        model = DestinationRefusal
        fields = [
            "id",
            "destination",
            "destination_name",
            "next_destination",
            "reason",
            "refused_at",
        ]


class TransportSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "transport"
    audit_provider_path = "provider_id"
    call = serializers.UUIDField(source="call_id", read_only=True)
    person = serializers.UUIDField(source="person_id", read_only=True, allow_null=True)
    destination = serializers.IntegerField(source="destination_id", read_only=True)
    destination_name = serializers.CharField(source="destination.name", read_only=True)
    team = serializers.CharField(source="team.call_sign", read_only=True, allow_null=True)
    refusals = DestinationRefusalSerializer(many=True, read_only=True)
    version = serializers.IntegerField(
        source="sync_seq",
        read_only=True,
        help_text="Send it back as If-Match (or `version`) with a step: 409 if it moved.",
    )

    class Meta:
        model = Transport
        fields = [
            "id",
            "call",
            "person",
            "team",
            "destination",
            "destination_name",
            "on_hold",
            "consent_given",
            "consent_method",
            "status",
            "departed_at",
            "arrived_at",
            "handed_off_at",
            "received_by",
            "refusals",
            "updated_at",
            "version",
        ]


class TransportCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="The phone's id for the ride.")
    call = serializers.UUIDField()
    destination = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="A service of the directory."
    )
    departed_at = BoundedDateTimeField()
    on_hold = serializers.BooleanField(default=False)
    consent_given = serializers.BooleanField(default=False)
    consent_method = serializers.ChoiceField(
        choices=ConsentMethod.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="How the client consented; blank on a hold.",
    )


class ArrivedSerializer(serializers.Serializer):
    arrived_at = BoundedDateTimeField()


class RefusedSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        required=False, help_text="The phone's id for the refusal: sent again, kept once."
    )
    reason = serializers.CharField(max_length=2000)
    next_destination = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    refused_at = BoundedDateTimeField()


class HandedOffSerializer(serializers.Serializer):
    handed_off_at = BoundedDateTimeField()
    received_by = serializers.CharField(max_length=120)
