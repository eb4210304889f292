"""Shapes of the follow-ups API. Input serializers only parse; services.py holds the rules."""

from rest_framework import serializers

from umcr.api import BoundedDateTimeField, id_field
from umcr.audit import AuditedSerializer

from .. import selectors
from ..choices import FollowUpKind, FollowUpStatus
from ..models import FollowUp, FollowUpChange


class FollowUpChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(
        source="changed_by.user.username", allow_null=True, read_only=True
    )

    class Meta:
        model = FollowUpChange
        fields = [
            "from_status",
            "to_status",
            "old_not_before",
            "old_due_by",
            "note",
            "changed_by",
            "changed_at",
        ]


class FollowUpSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "followup"
    audit_provider_path = "provider_id"
    person_name = serializers.SerializerMethodField()
    cad_incident_number = serializers.CharField(
        source="call.cad_incident_number", allow_null=True, read_only=True
    )
    address = serializers.CharField(source="call.address", allow_null=True, read_only=True)
    division = serializers.CharField(source="call.division.code", allow_null=True, read_only=True)
    assigned_team_call_sign = serializers.CharField(
        source="assigned_team.call_sign", allow_null=True, read_only=True
    )
    assigned_to_username = serializers.CharField(
        source="assigned_to.user.username", allow_null=True, read_only=True
    )
    is_overdue = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        source="sync_seq",
        read_only=True,
        help_text="Send it back as If-Match (or `version`) with a change: 409 if it moved.",
    )

    class Meta:
        model = FollowUp
        fields = [
            "version",
            "id",
            "kind",
            "status",
            "purpose",
            "not_before",
            "due_by",
            "is_overdue",
            "person",
            "person_name",
            "call",
            "cad_incident_number",
            "address",
            "division",
            "assigned_team",
            "assigned_team_call_sign",
            "assigned_to",
            "assigned_to_username",
            "outcome",
            "closed_at",
            "next_followup",
            "created_at",
            "updated_at",
        ]

    def get_person_name(self, followup) -> str | None:
        return str(followup.person) if followup.person_id else None

    def get_is_overdue(self, followup) -> bool:
        return selectors.is_overdue(followup)


class FollowUpDetailSerializer(FollowUpSerializer):
    history = FollowUpChangeSerializer(source="changes", many=True, read_only=True)

    class Meta(FollowUpSerializer.Meta):
        fields = [*FollowUpSerializer.Meta.fields, "history"]


class FollowUpCreateSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        required=False, help_text="Generated on the phone; omitted, the server makes one."
    )
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    not_before = BoundedDateTimeField()
    due_by = BoundedDateTimeField()
    person = serializers.UUIDField(required=False, allow_null=True)
    call = serializers.UUIDField(required=False, allow_null=True)
    assigned_team = id_field(required=False, allow_null=True)
    assigned_to = id_field(
        required=False, allow_null=True, help_text="A case manager's responder id."
    )
    purpose = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class NextFollowUpSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    not_before = BoundedDateTimeField()
    due_by = BoundedDateTimeField()
    purpose = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class CompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=5000, help_text="What happened.")
    next = NextFollowUpSerializer(
        required=False, allow_null=True, help_text="Schedule the next follow-up at once."
    )


class NoteOnlySerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    not_before = BoundedDateTimeField()
    due_by = BoundedDateTimeField()
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class FollowUpMoveSerializer(serializers.Serializer):
    """A change of a follow-up as a phone sends it (the whole record, edited): the fields of
    the REST actions in one - a status (completed, missed and cancelled close it), a new
    window (reschedule), the outcome (complete) - each optional."""

    status = serializers.ChoiceField(
        choices=FollowUpStatus.choices, required=False, allow_blank=True
    )
    not_before = BoundedDateTimeField(required=False, allow_null=True)
    due_by = BoundedDateTimeField(required=False, allow_null=True)
    outcome = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, allow_null=True
    )


class AssignSerializer(serializers.Serializer):
    assigned_team = id_field(required=False, allow_null=True)
    assigned_to = id_field(required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("assigned_team") is None and attrs.get("assigned_to") is None:
            raise serializers.ValidationError(
                {"assigned_team": ["Name a team or a case manager (assigned_to)."]}
            )
        return attrs
