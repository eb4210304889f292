"""GET /api/v1/teams/: each team's availability as the desk and supervisors see it: set
from the phone (available, out of service with a reason) and derived (off shift, on a call),
with its last known position and current call."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from responders.choices import Availability
from responders.models import Responder, Team
from responders.permissions import team_scope
from umcr.api import IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES
from umcr.policy import READ
from umcr.viewsets import ResponderScopedMixin

from .. import permissions
from ..selectors import availability, with_availability


class LastPositionSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    accuracy = serializers.IntegerField(allow_null=True, help_text="Metres.")
    taken_at = serializers.DateTimeField()


class TeamStatusSerializer(serializers.ModelSerializer):
    availability = serializers.SerializerMethodField()
    program = serializers.CharField(source="program.slug")
    provider = serializers.CharField(source="provider.slug")
    current_call = serializers.UUIDField(allow_null=True, read_only=True)
    last_position = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "call_sign",
            "program",
            "provider",
            "availability",
            "out_of_service",
            "availability_changed_at",
            "current_call",
            "last_position",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=Availability.choices))
    def get_availability(self, team: Team) -> str:
        return availability(team)

    @extend_schema_field(LastPositionSerializer(allow_null=True))
    def get_last_position(self, team: Team) -> dict | None:
        if team.last_position_at is None:
            return None
        return LastPositionSerializer(
            {
                "latitude": team.last_latitude,
                "longitude": team.last_longitude,
                "accuracy": team.last_accuracy_m,
                "taken_at": team.last_position_at,
            }
        ).data


class TeamStatusListView(ResponderScopedMixin, generics.ListAPIView):
    permission_classes = [IsResponder]
    serializer_class = TeamStatusSerializer
    pagination_class = None
    model = Team

    def scoped_queryset(self, responder: Responder) -> QuerySet[Team]:
        teams = Team.objects.filter(team_scope(responder), is_active=True)
        return with_availability(teams).select_related("program", "provider").order_by("call_sign")

    @extend_schema(
        operation_id="teams_list",
        summary="Teams: availability, position, current call",
        description=(
            "Each active team in your scope (the desk: all; provider staff: their provider's; "
            "a clinician: their own): `availability` is off_shift (no shift now), on_call (an "
            "open call: `current_call`), out_of_service (set from the phone, with the reason) "
            "or available; `last_position` is the latest ping taken."
        ),
        responses={200: TeamStatusSerializer(many=True), 401: ERROR_RESPONSES[401]},
        tags=["teams"],
    )
    def get(self, request, *args, **kwargs):
        permissions.check(request_responder(request), READ, "team_status")
        return super().get(request, *args, **kwargs)
