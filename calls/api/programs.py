"""Programs: the list every signed-in responder reads, and the desk's move of a call to
another program."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from responders.models import Program
from umcr.api import IsResponder, request_responder
from umcr.api_docs import ERROR_RESPONSES, error_response
from umcr.policy import CHANGE, READ

from .. import permissions, routing
from . import examples
from .intake import RoutedSerializer, routed_body
from .views import CallWriteView


class ProgramSerializer(serializers.ModelSerializer):
    class Meta:
        model = Program
        fields = [
            "slug",
            "name",
            "description",
            "intake_order",
            "call_types",
            "sources",
            "refuses_weapon",
            "refuses_violence",
            "refused_safety_flags",
            "team_makeup",
            "transports",
        ]


class ProgramListView(generics.ListAPIView):
    permission_classes = [IsResponder]
    serializer_class = ProgramSerializer
    pagination_class = None
    queryset = Program.objects.filter(is_active=True)

    @extend_schema(
        operation_id="programs_list",
        summary="The active programs",
        description=(
            "Each program's call types, sources, eligibility rules and team make-up, in "
            "intake order (the order programs are tried when a call names none)."
        ),
        responses={200: ProgramSerializer(many=True), 401: ERROR_RESPONSES[401]},
        tags=["dispatch"],
    )
    def get(self, request, *args, **kwargs):
        permissions.check(request_responder(request), READ, "call_programs")
        return super().get(request, *args, **kwargs)


class CallProgramSerializer(serializers.Serializer):
    program = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Program.objects.all(),
        help_text="The slug of the program to move the call to.",
    )
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Why."
    )


class CallProgramView(CallWriteView):
    @extend_schema(
        operation_id="calls_program_create",
        summary="Move a call to another program",
        description=(
            "The desk, in one action, before a team is on scene (409 after). The new program "
            "must take the call's type and safety flags and cover its division (422 with its "
            "reasons otherwise). The call goes to that program's covering provider and is "
            "routed again among its teams; with no team of it on shift the call waits in the "
            "provider's queue, or, if a team is already on it, stays with that team (409). "
            "The move is kept in the call's history (`program_moves` on the call)."
        ),
        request=CallProgramSerializer,
        responses={
            200: RoutedSerializer,
            **{k: ERROR_RESPONSES[k] for k in (400, 401, 403, 404, 409)},
            422: error_response("The program does not take this call; its reasons."),
        },
        examples=[examples.MOVE_TO_PROGRAM],
        tags=["dispatch"],
    )
    def post(self, request, call_id):
        responder = request_responder(request)
        permissions.check(responder, CHANGE, "call_programs")
        call = self.get_call()
        data = self.parse(CallProgramSerializer)
        routed = routing.move_to_program(
            call=call, program=data["program"], moved_by=responder, reason=data["reason"]
        )
        return Response(routed_body(routed))
