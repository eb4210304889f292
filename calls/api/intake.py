"""The desk's side: intake of calls from 911/CAD, and (re)assignment to a team."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from responders.models import Division, Program, Team
from umcr.api import BoundedDateTimeField, IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES, error_response
from umcr.policy import CHANGE, CREATE

from .. import permissions, routing, services
from ..choices import CallSource, Priority, SafetyFlag
from . import examples
from .serializers import CallStateSerializer
from .views import CallWriteView


class IntakeSerializer(serializers.Serializer):
    program = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Program.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="The program's slug. Omitted: the active programs are tried in their intake "
        "order, and the first that takes the call (source, type, rules, coverage) gets it.",
    )
    # The API's field is named `source`, as DRF names a field's path: the stubs see a clash.
    source = serializers.ChoiceField(choices=CallSource.choices)  # type: ignore[assignment]
    cad_incident_number = serializers.CharField(max_length=40)
    received_at = BoundedDateTimeField()
    call_type = serializers.CharField(
        max_length=32, help_text="One of the program's call types; others are refused (422)."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.PROMPT)
    division = serializers.CharField(max_length=8, help_text="Division code, e.g. WIL.")
    address = serializers.CharField(max_length=200)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )
    narrative = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    caller_account = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    caller_phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )
    safety_flags = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=20
    )
    weapon_reported = serializers.BooleanField(default=False)

    def validate_safety_flags(self, flags):
        unknown = [f for f in flags if f not in SafetyFlag.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown flags {', '.join(unknown)}; known: {', '.join(SafetyFlag.values)}."
            )
        return flags

    def validate_division(self, code):
        if not Division.objects.filter(code=code).exists():
            raise serializers.ValidationError("No such division.")
        return code

    violence_in_progress = serializers.BooleanField(default=False)


class RoutedSerializer(serializers.Serializer):
    call = CallStateSerializer()
    program = serializers.CharField(help_text="The program's slug.")
    provider = serializers.CharField(allow_null=True, help_text="The provider's slug.")
    team = serializers.CharField(allow_null=True, help_text="The team's call sign, if any.")
    routing = serializers.CharField(help_text="Why this team (or why none).")


def routed_body(routed) -> dict:
    return RoutedSerializer(
        {
            "call": routed.call,
            "program": routed.call.program.slug,
            "provider": routed.provider.slug if routed.provider else None,
            "team": routed.team.call_sign if routed.team else None,
            "routing": routed.reason,
        }
    ).data


class IntakeView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(
        operation_id="intake_calls_create",
        summary="Receive a call from the desk or CAD",
        description=(
            "Creates the call once per (source, CAD incident number) — a repeat returns the "
            "existing call (200) — in the program it names, or the first active program (in "
            "intake order) that takes it, and routes it within that program: the provider "
            "covering the division for it, then a team of that program on shift (a free one "
            "first, then the fewest open calls, nearest as the tie-break). No team on shift: "
            "the call waits and the supervisors are alerted. A call no program takes (weapon "
            "reported, violence in progress, a source, type or safety flag outside each "
            "program, an uncovered division) is refused with 422 and logged; `reasons` names "
            "each program's reasons and `programs` gives them by program."
        ),
        request=IntakeSerializer,
        responses={
            201: RoutedSerializer,
            200: RoutedSerializer,
            400: ERROR_RESPONSES[400],
            401: ERROR_RESPONSES[401],
            403: ERROR_RESPONSES[403],
            422: error_response("Not eligible for an unarmed response; send police."),
        },
        examples=[examples.INTAKE_WELFARE_CHECK],
        tags=["dispatch"],
    )
    def post(self, request):
        desk = request_responder(request)
        permissions.check(desk, CREATE, "calls")
        serializer = IntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        routed = routing.intake_call(desk=desk, data=serializer.validated_data)
        code = status.HTTP_201_CREATED if routed.created else status.HTTP_200_OK
        return Response(routed_body(routed), status=code)


class CallAssignSerializer(serializers.Serializer):
    team = serializers.CharField(max_length=20, help_text="The team's call sign.")


class CallAssignView(CallWriteView):
    @extend_schema(
        operation_id="calls_assign_create",
        summary="Assign or reassign a call to a team",
        description=(
            "Supervisors (their provider's calls and teams) and the desk. Records a "
            "`dispatched` event and notifies the team; the previous team's phones lose the "
            "call on their next pull. A cleared or cancelled call cannot move (409)."
        ),
        request=CallAssignSerializer,
        responses={
            200: RoutedSerializer,
            **{k: ERROR_RESPONSES[k] for k in (400, 401, 403, 404, 409)},
        },
        examples=[examples.ASSIGN_TO_TEAM],
        tags=["dispatch"],
    )
    def post(self, request, call_id):
        responder = request_responder(request)
        permissions.check(responder, CHANGE, "calls")
        call = self.get_call()
        data = self.parse(CallAssignSerializer)
        teams = Team.objects.filter(permissions.assignable_teams(responder))
        team = teams.filter(call_sign=data["team"], is_active=True).first()
        if team is None:
            raise serializers.ValidationError({"team": ["No such active team of yours."]})
        call = services.assign_call(call=call, team=team, assigned_by=responder)
        return Response(
            routed_body(routing.Routed(call, False, team.provider, team, "assigned by hand"))
        )
