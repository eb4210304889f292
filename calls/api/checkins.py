"""On-scene safety check-ins over REST: the team answers on its call
(`/calls/{id}/check-ins/`); the desk and the supervisors list safety alerts and acknowledge
one (`/safety-alerts/`). Thin: the rules are calls/checkins.py's, who may do what is the
policy's (calls/permissions.py)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from umcr.api import (
    BoundedDateTimeField,
    IsResponder,
    StrictFilterSet,
    request_responder,
    strict_boolean_filter,
)
from umcr.api_docs import ERROR_RESPONSES, READ_ERRORS, WRITE_ERRORS
from umcr.audit import AuditedSerializer
from umcr.policy import READ
from umcr.viewsets import ResponderScopedMixin

from .. import checkins, permissions
from ..choices import CheckInAnswer
from ..models import CHECK_AGAIN_MINUTES, CheckIn, SafetyAlert
from .examples import EXAMPLE_ID
from .views import CallWriteView

# --- shapes -------------------------------------------------------------------------------------


class CheckInInputSerializer(serializers.Serializer):
    """A team's answer: the one parser of a check-in for REST and the sync push."""

    id = serializers.UUIDField(help_text="Generated on the phone; a retry sends the same id.")
    answer = serializers.ChoiceField(choices=CheckInAnswer.choices)
    check_again_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=CHECK_AGAIN_MINUTES[0],
        max_value=CHECK_AGAIN_MINUTES[1],
        help_text="With `longer_visit` only: when to ask again, 5 to 120 minutes.",
    )
    details = serializers.CharField(
        max_length=5000,
        allow_blank=True,
        default="",
        help_text="With `need_help`: what is happening (goes to the backup request).",
    )
    occurred_at = BoundedDateTimeField(help_text="When the team answered, by the phone's clock.")


class CheckInSerializer(serializers.ModelSerializer):
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)
    author = serializers.CharField(
        source="responder.user.username", read_only=True, allow_null=True
    )

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "call",
            "answer",
            "check_again_minutes",
            "occurred_at",
            "recorded_at",
            "backup_request",
            "author",
        ]


class CheckInWrittenSerializer(serializers.Serializer):
    check_in = CheckInSerializer()
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next check-in is due; null if not on scene."
    )


class CheckInListSerializer(serializers.Serializer):
    check_ins = CheckInSerializer(many=True)
    next_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next check-in is due; null if not on scene."
    )


class SafetyAlertSerializer(AuditedSerializer, serializers.ModelSerializer):
    audit_kind = "safetyalert"
    audit_provider_path = "call.routed_provider_id"
    cad_incident_number = serializers.CharField(source="call.cad_incident_number")
    address = serializers.CharField(source="call.address")
    division = serializers.CharField(source="call.division.code")
    team = serializers.CharField(source="team.call_sign")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", allow_null=True, default=None
    )
    is_open = serializers.BooleanField(
        read_only=True, help_text="Still re-alerting: neither acknowledged nor answered."
    )

    class Meta:
        model = SafetyAlert
        fields = [
            "id",
            "call",
            "cad_incident_number",
            "address",
            "division",
            "team",
            "due_at",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "closed_at",
            "closed_by",
            "is_open",
        ]
        extra_kwargs = {
            "closed_by": {"help_text": "The team's late check-in that closed the alert."}
        }


CHECK_IN_OK = OpenApiExample(
    "All OK",
    request_only=True,
    value={"id": EXAMPLE_ID, "answer": "ok", "occurred_at": "2026-11-23T10:01:00Z"},
)
CHECK_IN_LONGER = OpenApiExample(
    "Longer visit",
    request_only=True,
    value={
        "id": EXAMPLE_ID,
        "answer": "longer_visit",
        "check_again_minutes": 30,
        "occurred_at": "2026-11-23T10:01:00Z",
    },
)
CHECK_IN_NEED_HELP = OpenApiExample(
    "Need help",
    request_only=True,
    value={
        "id": EXAMPLE_ID,
        "answer": "need_help",
        "details": "He has picked up a bottle; we are backing out.",
        "occurred_at": "2026-11-23T10:01:00Z",
    },
)


# --- views --------------------------------------------------------------------------------------


class CallCheckInsView(CallWriteView):
    @extend_schema(
        operation_id="calls_check_ins_list",
        summary="A call's safety check-ins",
        description="The team's answers on the call, oldest first, and when the next is due.",
        responses={200: CheckInListSerializer, 404: ERROR_RESPONSES[404], **READ_ERRORS},
        tags=["check-ins"],
    )
    def get(self, request, call_id):
        responder = request_responder(request)
        call = self.get_call()
        permissions.check(responder, READ, "check_ins")
        rows = CheckIn.objects.filter(call=call, voided_at__isnull=True).select_related(
            "responder__user"
        )
        body = {"check_ins": list(rows), "next_due_at": checkins.next_check_in_due(call.pk)}
        return Response(CheckInListSerializer(body).data)

    @extend_schema(
        operation_id="calls_check_ins_create",
        summary="Answer a safety check-in",
        description=(
            'While on scene the phone asks "all OK?" every CHECKIN_INTERVAL_MINUTES. '
            "`ok`: the next is due an interval later; `longer_visit`: after "
            "`check_again_minutes` (5 to 120); `need_help`: a police-backup request for "
            "responder safety is written with it and alerts the desk and supervisors at once. "
            "An answer closes the call's open safety alerts (they stay in its history). The "
            "same `id` again returns the stored answer with 200."
        ),
        request=CheckInInputSerializer,
        responses={201: CheckInWrittenSerializer, 200: CheckInWrittenSerializer, **WRITE_ERRORS},
        examples=[CHECK_IN_OK, CHECK_IN_LONGER, CHECK_IN_NEED_HELP],
        tags=["check-ins"],
    )
    def post(self, request, call_id):
        call = self.get_call()
        data = self.parse(CheckInInputSerializer)
        written = checkins.record_check_in(
            call=call,
            responder=request_responder(request),
            device=getattr(request.auth, "device", None),
            check_in_id=data["id"],
            answer=data["answer"],
            check_again_minutes=data.get("check_again_minutes"),
            details=data["details"],
            occurred_at=data["occurred_at"],
        )
        body = {"check_in": written.record, "next_due_at": checkins.next_check_in_due(call.pk)}
        return Response(CheckInWrittenSerializer(body).data, status=self.written_status(written))


class SafetyAlertFilter(StrictFilterSet):
    open = strict_boolean_filter(
        method="filter_open",
        help_text="true: not yet acknowledged; false: acknowledged.",
    )

    class Meta:
        model = SafetyAlert
        fields = ["open"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_open(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=value)


class SafetyAlertListView(ResponderScopedMixin, generics.ListAPIView):
    permission_classes = [IsResponder]
    serializer_class = SafetyAlertSerializer
    filterset_class = SafetyAlertFilter
    pagination_class = None
    model = SafetyAlert

    def scoped_queryset(self, responder):
        return checkins.safety_alerts_for_responder(responder=responder).order_by("-raised_at")

    def filter_queryset(self, queryset):
        # Slice after filtering: the newest 200 that match.
        return super().filter_queryset(queryset)[:200]

    @extend_schema(
        operation_id="safety_alerts_list",
        summary="Watch safety alerts (missed check-ins)",
        description="The newest 200 safety alerts in your scope (the desk: all).",
        responses={
            200: SafetyAlertSerializer(many=True),
            400: ERROR_RESPONSES[400],
            **READ_ERRORS,
        },
        tags=["check-ins"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SafetyAlertAcknowledgeView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="safety_alerts_acknowledge",
        summary="Acknowledge a safety alert (desk, supervisor)",
        description=(
            "Someone has the alert: it stops re-alerting, and the team's next check-in is due "
            "an interval from now. Acknowledging it again changes nothing (200)."
        ),
        request=None,
        responses={200: SafetyAlertSerializer, **WRITE_ERRORS},
        tags=["check-ins"],
    )
    def post(self, request, alert_id):
        alert = checkins.acknowledge_safety_alert(
            alert_id=alert_id, responder=request_responder(request)
        )
        alert = get_object_or_404(
            SafetyAlert.objects.select_related("call__division", "team", "acknowledged_by"),
            pk=alert.pk,
        )
        return Response(SafetyAlertSerializer(alert).data)
