"""Shapes of the referrals and services-directory API."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from responders.models import Division
from umcr.api import id_field
from umcr.audit import AuditedSerializer

from .. import selectors
from ..choices import ConsentMethod, ReferralStatus
from ..models import Referral, ReferralStatusChange, Service


class ServiceSerializer(serializers.ModelSerializer):
    divisions_served: serializers.SlugRelatedField[Division] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    is_open_now = serializers.SerializerMethodField()

    class Meta:
        model = Service
        fields = [
            "id",
            "organization",
            "name",
            "category",
            "description",
            "address",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "hours",
            "hours_text",
            "is_open_now",
            "eligibility",
            "capacity",
            "is_accepting_clients",
            "divisions_served",
        ]

    def get_is_open_now(self, service) -> bool:
        return selectors.is_open_now(service)


class ReferralChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(
        source="changed_by.user.username", allow_null=True, read_only=True
    )

    class Meta:
        model = ReferralStatusChange
        fields = ["from_status", "to_status", "changed_by", "changed_at", "note"]


class SuggestedFollowUpSerializer(serializers.Serializer):
    kind = serializers.CharField()
    not_before = serializers.DateTimeField()
    due_by = serializers.DateTimeField()
    purpose = serializers.CharField()


class ReferralSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "referral"
    audit_provider_path = "provider_id"
    service_name = serializers.CharField(source="service.name", read_only=True)
    service_category = serializers.CharField(source="service.category", read_only=True)
    organization = serializers.CharField(source="service.organization", read_only=True)
    person_name = serializers.SerializerMethodField()
    referred_by = serializers.CharField(
        source="referred_by.user.username", allow_null=True, read_only=True
    )
    assigned_to_username = serializers.CharField(
        source="assigned_to.user.username", allow_null=True, read_only=True
    )
    is_stale = serializers.SerializerMethodField()
    suggested_followup = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        source="sync_seq",
        read_only=True,
        help_text="Send it back as If-Match (or `version`) with a change: 409 if it moved.",
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "version",
            "status",
            "status_changed_at",
            "is_stale",
            "suggested_followup",
            "service",
            "service_name",
            "service_category",
            "organization",
            "person",
            "person_name",
            "call",
            "consent_given",
            "consent_method",
            "consent_recorded_at",
            "referred_by",
            "assigned_to",
            "assigned_to_username",
            "notes",
            "created_at",
        ]

    def get_person_name(self, referral) -> str | None:
        return str(referral.person) if referral.person_id else None

    def get_is_stale(self, referral) -> bool:
        return selectors.is_stale(referral)

    @extend_schema_field(SuggestedFollowUpSerializer(allow_null=True))
    def get_suggested_followup(self, referral):
        """A stale referral suggests a phone call to find out where it stands."""
        now = timezone.now()
        if not selectors.is_stale(referral, now):
            return None
        return {
            "kind": "phone_call",
            "not_before": now,
            "due_by": now + timedelta(days=3),
            "purpose": f"Check on the referral to {referral.service.name} "
            f"({referral.get_status_display().lower()} since "
            f"{timezone.localdate(referral.status_changed_at).isoformat()}).",
        }


class ReferralDetailSerializer(ReferralSerializer):
    history = ReferralChangeSerializer(many=True, read_only=True)

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "history"]


class ReferralCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Generated on the phone if offline.")
    service = id_field()
    person = serializers.UUIDField(required=False, allow_null=True)
    call = serializers.UUIDField(required=False, allow_null=True)
    consent_given = serializers.BooleanField(help_text="Must be true: no consent, no referral.")
    consent_method = serializers.ChoiceField(choices=ConsentMethod.choices)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    assigned_to = id_field(
        required=False, allow_null=True, help_text="The case manager who follows it up."
    )


class ReferralMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReferralChangeInputSerializer(serializers.Serializer):
    """A change of a referral as a phone sends it (the whole record, edited): a move along
    its loop (the status endpoint's `status`) and its notes (create's `notes`), each
    optional."""

    status = serializers.ChoiceField(
        choices=ReferralStatus.choices, required=False, allow_blank=True
    )
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
